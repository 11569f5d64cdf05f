#include "blemon/mariadb/mariadb_delivery_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "connection.h"
#include "session.h"

namespace blemon::mariadb {
namespace {

constexpr Seconds kKeepTries{90 * 86400};

DeliveryRecord::Outcome OutcomeFromString(const std::string& text) {
  if (text == "retrying") return DeliveryRecord::Outcome::kRetrying;
  if (text == "given up") return DeliveryRecord::Outcome::kGivenUp;
  return DeliveryRecord::Outcome::kDelivered;
}

class MariaDbDeliveryLog final : public DeliveryLog {
 public:
  explicit MariaDbDeliveryLog(const DatabaseSettings& settings)
      : runner_(settings, /*require_schema=*/true) {}

  void Owe(std::string_view channel, std::span<const AlertMessage> alerts) override {
    runner_.Run("recording owed alerts", [&](Session& s) {
      Transaction tx(s.connection);
      for (const auto& alert : alerts) {
        s.Prepared(
             "INSERT IGNORE INTO alert_deliveries (event_id, channel, event_json, summary, body) "
             "VALUES (?, ?, ?, ?, ?)")
            .Execute({alert.event_id, std::string(channel), alert.json, alert.summary, alert.text});
      }
      tx.Commit();
    });
  }

  std::vector<AlertMessage> Owed(std::string_view channel, int limit) override {
    return runner_.Run("reading owed alerts", [&](Session& s) {
      std::vector<AlertMessage> owed;
      for (const Row& r :
           s.Prepared("SELECT event_id, event_json, summary, body "
                      "FROM alert_deliveries WHERE channel = ? AND status = 'owed' "
                      "ORDER BY delivery_seq LIMIT ?")
               .Query({std::string(channel), static_cast<long long>(std::max(limit, 0))})) {
        owed.push_back(
            {.event_id = r.Text(0), .json = r.Text(1), .summary = r.Text(2), .text = r.Text(3)});
      }
      return owed;
    });
  }

  DeliveryState StateOf(std::string_view event_id, std::string_view channel) override {
    return runner_.Run("reading an alert's delivery", [&](Session& s) -> DeliveryState {
      const auto rows = s.Prepared(
                             "SELECT attempts, status <> 'owed' FROM alert_deliveries "
                             "WHERE event_id = ? AND channel = ?")
                            .Query({std::string(event_id), std::string(channel)});
      if (rows.empty()) return {};
      return {.attempts = static_cast<int>(rows[0].Int(0)), .finished = rows[0].Int(1) != 0};
    });
  }

  void Record(const DeliveryRecord& r) override {
    const bool finished = r.outcome != DeliveryRecord::Outcome::kRetrying;
    runner_.Run("recording an alert delivery", [&](Session& s) {
      Transaction tx(s.connection);
      s.Prepared(
           "INSERT INTO alert_delivery_tries (tried_at, event_id, channel, target, attempt, "
           "outcome, detail, sent_by) VALUES (FROM_UNIXTIME(?), ?, ?, ?, ?, ?, ?, ?)")
          .Execute({ToDb(r.at), r.event_id, r.channel, r.target, static_cast<long long>(r.attempt),
                    std::string(ToString(r.outcome)), r.detail, r.sent_by});
      s.Prepared(
           "UPDATE alert_deliveries SET attempts = GREATEST(attempts, ?), "
           "finished_at = IF(? AND status = 'owed', FROM_UNIXTIME(?), finished_at), "
           "status = IF(status <> 'owed', status, IF(?, ?, 'owed')) "
           "WHERE event_id = ? AND channel = ?")
          .Execute({static_cast<long long>(r.attempt), static_cast<long long>(finished), ToDb(r.at),
                    static_cast<long long>(finished), std::string(ToString(r.outcome)), r.event_id,
                    r.channel});
      s.Prepared("DELETE FROM alert_delivery_tries WHERE tried_at < FROM_UNIXTIME(?)")
          .Execute({ToDb(r.at - kKeepTries)});
      s.Prepared(
           "DELETE FROM alert_deliveries WHERE status <> 'owed' AND finished_at < "
           "FROM_UNIXTIME(?)")
          .Execute({ToDb(r.at - kKeepTries)});
      tx.Commit();
    });
  }

  std::vector<DeliveryRecord> Recent(int limit) override {
    return runner_.Run("reading the alert delivery log", [&](Session& s) {
      std::vector<DeliveryRecord> out;
      for (const Row& r :
           s.Prepared("SELECT UNIX_TIMESTAMP(tried_at), channel, target, event_id, attempt, "
                      "outcome, detail, sent_by FROM alert_delivery_tries "
                      "ORDER BY try_id DESC LIMIT ?")
               .Query({static_cast<long long>(std::max(limit, 0))})) {
        out.push_back({.at = r.Time(0),
                       .channel = r.Text(1),
                       .target = r.Text(2),
                       .event_id = r.Text(3),
                       .attempt = static_cast<int>(r.Int(4)),
                       .outcome = OutcomeFromString(r.Text(5)),
                       .detail = r.Text(6),
                       .sent_by = r.Text(7)});
      }
      return out;
    });
  }

 private:
  SessionRunner runner_;
};

}  // namespace

std::unique_ptr<DeliveryLog> OpenDeliveryLog(const DatabaseSettings& settings) {
  return std::make_unique<MariaDbDeliveryLog>(settings);
}

}  // namespace blemon::mariadb
