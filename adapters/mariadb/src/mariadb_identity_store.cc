#include "blemon/mariadb/mariadb_identity_store.h"

#include <fmt/format.h>
#include <mysqld_error.h>

#include "blemon/errors.h"
#include "connection.h"
#include "session.h"

namespace blemon::mariadb {
namespace {

class MariaDbIdentityStore final : public IdentityStore {
 public:
  // require_schema: the Session refuses a database below this build's schema version, with a
  // message that says to run `blemon-admin migrate`.
  explicit MariaDbIdentityStore(const DatabaseSettings& settings)
      : runner_(settings, /*require_schema=*/true) {}

  StoredIdentity AddIdentity(const std::string& name, const Irk& irk,
                             bool byte_order_known) override {
    runner_.Run("adding an identity", [&](Session& s) {
      Transaction tx(s.connection);
      const auto same = s.Prepared(
                             "SELECT name FROM identities WHERE irk = UNHEX(?) OR "
                             "irk = UNHEX(?) LIMIT 1")
                            .Query({irk.ToHex(), irk.Reversed().ToHex()});
      if (!same.empty()) {
        throw Refused(fmt::format("identity '{}' already has this key", same[0].Text(0)));
      }
      try {
        s.Prepared("INSERT INTO identities (name, irk, byte_order_known) VALUES (?, UNHEX(?), ?)")
            .Execute({name, irk.ToHex(), byte_order_known ? 1LL : 0LL});
      } catch (const DbError& e) {
        if (e.code() != ER_DUP_ENTRY) throw;
        throw Refused(fmt::format(
            "an identity named '{}' exists already; remove it first or choose another name", name));
      }
      tx.Commit();
      return 0;
    });
    for (auto& identity : Identities()) {
      if (identity.name == name) return identity;
    }
    throw Refused(fmt::format("identity '{}' vanished right after it was added", name));
  }

  std::vector<StoredIdentity> Identities() override {
    return runner_.Run("reading the identities", [&](Session& s) {
      std::vector<StoredIdentity> identities;
      for (const Row& r :
           s.Prepared("SELECT i.identity_id, i.name, HEX(i.irk), i.byte_order_known, i.device_id, "
                      "b.mac_address, UNIX_TIMESTAMP(i.created_at) FROM identities i "
                      "LEFT JOIN ble_devices b ON b.device_id = i.device_id ORDER BY i.name")
               .Query({})) {
        StoredIdentity identity;
        identity.identity_id = r.Int(0);
        identity.name = r.Text(1);
        const auto irk = Irk::Parse(r.Text(2));
        if (!irk) {
          throw Refused(
              fmt::format("identity '{}' holds a key that is not 16 bytes; remove and re-add it",
                          identity.name));
        }
        identity.irk = *irk;
        identity.byte_order_known = r.Bool(3);
        identity.device_id = r.OptionalInt(4);
        identity.device_mac = r.OptionalText(5);
        identity.created_at = r.Time(6);
        identities.push_back(std::move(identity));
      }
      return identities;
    });
  }

  bool RemoveIdentity(const std::string& name) override {
    return runner_.Run("removing an identity", [&](Session& s) {
      return s.Prepared("DELETE FROM identities WHERE name = ?").Execute({name}) == 1;
    });
  }

 private:
  SessionRunner runner_;
};

}  // namespace

std::unique_ptr<IdentityStore> OpenIdentityStore(const DatabaseSettings& settings) {
  return std::make_unique<MariaDbIdentityStore>(settings);
}

}  // namespace blemon::mariadb
