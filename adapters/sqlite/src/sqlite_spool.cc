#include "blemon/sqlite/sqlite_spool.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <string>

#include "blemon/errors.h"
#include "blemon/payload_text.h"
#include "connection.h"

namespace blemon::sqlite {
namespace {

using internal::Connection;
using internal::WriteTransaction;

// The spool is private to one monitor, so its schema lives here rather than in schema/sqlite.
// Times are integer Unix seconds: nothing but this file reads them. spool_state keeps the last
// batch_seq handed out, which outlives the batches themselves. company_ids is decimal ("76,6", as
// version 1 wrote it); the payload columns (version 2) use the stores' text forms
// (blemon/payload_text.h) and are NULL when absent.
constexpr int kSpoolSchemaVersion = 2;
constexpr const char* kSpoolSchema = R"sql(
CREATE TABLE IF NOT EXISTS spool_batches (
  batch_seq      INTEGER PRIMARY KEY,
  interval_start INTEGER NOT NULL,
  scan_time      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS spool_readings (
  batch_seq     INTEGER NOT NULL REFERENCES spool_batches (batch_seq) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  mac_address   TEXT    NOT NULL,
  address_class TEXT    NOT NULL,
  rssi          INTEGER NOT NULL,
  advert_count  INTEGER NOT NULL,
  device_name   TEXT,
  tx_power      INTEGER,
  company_ids   TEXT    NOT NULL,
  manufacturer_data TEXT,
  service_uuids     TEXT,
  appearance        INTEGER,
  beacon_monitor_id INTEGER,
  beacon_tx_power   INTEGER,
  PRIMARY KEY (batch_seq, position)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS spool_state (
  id             INTEGER PRIMARY KEY CHECK (id = 1),
  last_batch_seq INTEGER NOT NULL
);
INSERT OR IGNORE INTO spool_state (id, last_batch_seq) VALUES (1, 0);
)sql";

// A version-1 file (blemon before the advert payload) keeps its batches: they replay with no
// payload, which is what their scans recorded.
constexpr const char* kSpoolUpgradeFrom1 = R"sql(
ALTER TABLE spool_readings ADD COLUMN manufacturer_data TEXT;
ALTER TABLE spool_readings ADD COLUMN service_uuids TEXT;
ALTER TABLE spool_readings ADD COLUMN appearance INTEGER;
ALTER TABLE spool_readings ADD COLUMN beacon_monitor_id INTEGER;
ALTER TABLE spool_readings ADD COLUMN beacon_tx_power INTEGER;
)sql";

std::int64_t WallClockMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t ToUnix(UtcTime t) { return t.time_since_epoch().count(); }
UtcTime FromUnix(std::int64_t s) { return UtcTime(Seconds(s)); }

std::string JoinCompanyIds(const std::vector<std::uint16_t>& ids) {
  std::string text;
  for (auto id : ids) {
    if (!text.empty()) text += ',';
    text += std::to_string(id);
  }
  return text;
}

std::vector<std::uint16_t> SplitCompanyIds(std::string_view text) {
  std::vector<std::uint16_t> ids;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto part = text.substr(0, comma);
    std::uint16_t id = 0;
    std::from_chars(part.data(), part.data() + part.size(), id);
    ids.push_back(id);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return ids;
}

class SqliteSpool final : public Spool {
 public:
  explicit SqliteSpool(std::unique_ptr<Connection> db) : db_(std::move(db)) {
    WriteTransaction tx(*db_);
    auto version = db_->Prepare("PRAGMA user_version");
    version.Step();
    const auto found = version.Int(0);
    if (found > kSpoolSchemaVersion) {
      throw Refused(
          fmt::format("spool {} has format version {}, newer than this blemon understands ({}); "
                      "move it aside or upgrade blemon",
                      db_->path(), found, kSpoolSchemaVersion));
    }
    db_->Execute(kSpoolSchema, "creating the spool tables");
    if (found == 1) db_->Execute(kSpoolUpgradeFrom1, "upgrading the spool to format version 2");
    db_->Execute(fmt::format("PRAGMA user_version = {}", kSpoolSchemaVersion),
                 "recording the spool's format version");
    tx.Commit();
  }

  std::int64_t Append(UtcTime interval_start, UtcTime scan_time,
                      const std::vector<Reading>& readings) override {
    WriteTransaction tx(*db_);
    std::int64_t last = last_seq_;
    {
      auto state = db_->Prepare("SELECT last_batch_seq FROM spool_state WHERE id = 1");
      if (state.Step()) last = std::max(last, state.Int(0));
    }
    // Wall-clock microseconds make a recreated file continue above every earlier number; the
    // stored and remembered last values keep it strictly increasing if the clock steps back.
    const std::int64_t seq = std::max(last + 1, WallClockMicros());
    db_->Prepare(
           "INSERT INTO spool_batches (batch_seq, interval_start, scan_time) VALUES (?1, ?2, ?3)")
        .Bind(1, seq)
        .Bind(2, ToUnix(interval_start))
        .Bind(3, ToUnix(scan_time))
        .Run();
    int position = 0;
    for (const auto& r : readings) {
      const PayloadColumns payload = ToPayloadColumns(r);
      db_->Prepare(
             "INSERT INTO spool_readings (batch_seq, position, mac_address, address_class, rssi, "
             "advert_count, device_name, tx_power, company_ids, manufacturer_data, "
             "service_uuids, appearance, beacon_monitor_id, beacon_tx_power) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)")
          .Bind(1, seq)
          .Bind(2, position++)
          .Bind(3, r.mac.ToString())
          .Bind(4, ToString(r.address_class))
          .Bind(5, r.rssi)
          .Bind(6, r.advert_count)
          .Bind(7, r.name)
          .Bind(8, r.tx_power)
          .Bind(9, JoinCompanyIds(r.company_ids))
          .Bind(10, payload.manufacturer_data)
          .Bind(11, payload.service_uuids)
          .Bind(12, payload.appearance)
          .Bind(13, payload.beacon_monitor_id)
          .Bind(14, payload.beacon_tx_power)
          .Run();
    }
    db_->Prepare("UPDATE spool_state SET last_batch_seq = ?1 WHERE id = 1").Bind(1, seq).Run();
    tx.Commit();  // synchronous=FULL: the WAL is fsync'd before this returns
    last_seq_ = seq;
    return seq;
  }

  std::optional<SpooledBatch> OldestAfter(std::int64_t after_seq) override {
    // One read transaction, so the batch and its readings come from the same snapshot.
    db_->Execute("BEGIN", "reading the oldest batch");
    struct Rollback {
      Connection& db;
      ~Rollback() { sqlite3_exec(db.handle(), "ROLLBACK", nullptr, nullptr, nullptr); }
    } end{*db_};
    SpooledBatch batch;
    {
      auto head = db_->Prepare(
          "SELECT batch_seq, interval_start, scan_time FROM spool_batches "
          "WHERE batch_seq > ?1 ORDER BY batch_seq LIMIT 1");
      head.Bind(1, after_seq);
      if (!head.Step()) return std::nullopt;
      batch.batch_seq = head.Int(0);
      batch.interval_start = FromUnix(head.Int(1));
      batch.scan_time = FromUnix(head.Int(2));
    }
    auto rows = db_->Prepare(
        "SELECT mac_address, address_class, rssi, advert_count, device_name, tx_power, "
        "company_ids, manufacturer_data, service_uuids, appearance, beacon_monitor_id, "
        "beacon_tx_power FROM spool_readings WHERE batch_seq = ?1 ORDER BY position");
    rows.Bind(1, batch.batch_seq);
    while (rows.Step()) batch.readings.push_back(ReadSpooledReading(rows, batch.batch_seq));
    return batch;
  }

  void Remove(std::int64_t batch_seq) override {
    WriteTransaction tx(*db_);
    // Readings go with it (ON DELETE CASCADE). Removing an absent batch is not an error: a
    // monitor may remove the same batch twice after a crash between store commit and removal.
    db_->Prepare("DELETE FROM spool_batches WHERE batch_seq = ?1").Bind(1, batch_seq).Run();
    tx.Commit();
  }

  int Trim(const SpoolLimits& limits, UtcTime now) override {
    WriteTransaction tx(*db_);
    int dropped = 0;
    db_->Prepare("DELETE FROM spool_batches WHERE scan_time < ?1")
        .Bind(1, ToUnix(now - limits.max_age))
        .Run();
    dropped += db_->Changes();
    const std::int64_t excess = std::max<std::int64_t>(0, CountBatches() - limits.max_batches);
    if (excess > 0) {
      db_->Prepare(
             "DELETE FROM spool_batches WHERE batch_seq IN "
             "(SELECT batch_seq FROM spool_batches ORDER BY batch_seq LIMIT ?1)")
          .Bind(1, excess)
          .Run();
      dropped += db_->Changes();
    }
    tx.Commit();
    return dropped;
  }

  std::int64_t Pending() override { return CountBatches(); }

 private:
  std::int64_t CountBatches() {
    auto count = db_->Prepare("SELECT count(*) FROM spool_batches");
    count.Step();
    return count.Int(0);
  }

  // One row of OldestAfter's query as the reading that was appended.
  Reading ReadSpooledReading(const internal::Statement& rows, std::int64_t batch_seq) {
    const auto mac_text = rows.Text(0);
    const auto mac = MacAddress::Parse(mac_text);
    const auto address_class = AddressClassFromString(rows.Text(1));
    if (!mac || !address_class) ThrowUnreadable(batch_seq, mac_text);
    Reading r{.mac = *mac,
              .address_class = *address_class,
              .rssi = static_cast<int>(rows.Int(2)),
              .advert_count = static_cast<int>(rows.Int(3)),
              .name = rows.OptionalText(4),
              .tx_power = std::nullopt,
              .company_ids = {},
              .payload = {}};
    if (auto stored = rows.OptionalInt(5)) r.tx_power = static_cast<int>(*stored);
    const bool payload_intact =
        FromPayloadColumns(PayloadColumns{.company_ids = std::nullopt,
                                          .manufacturer_data = rows.OptionalText(7),
                                          .service_uuids = rows.OptionalText(8),
                                          .appearance = rows.OptionalInt(9),
                                          .beacon_monitor_id = rows.OptionalInt(10),
                                          .beacon_tx_power = rows.OptionalInt(11)},
                           r);
    if (!payload_intact) ThrowUnreadable(batch_seq, mac_text);
    r.company_ids = SplitCompanyIds(rows.Text(6));
    return r;
  }

  // Only this class writes the file, so an unreadable row is damage, not a format to tolerate.
  [[noreturn]] void ThrowUnreadable(std::int64_t batch_seq, const std::string& mac_text) {
    throw Refused(
        fmt::format("spool {}: batch {} holds an unreadable reading ({}); move the "
                    "spool aside",
                    db_->path(), batch_seq, mac_text));
  }

  std::unique_ptr<Connection> db_;
  std::int64_t last_seq_ = 0;  // survives the file being deleted under us
};

}  // namespace

std::unique_ptr<Spool> OpenSpool(const std::string& path) {
  return std::make_unique<SqliteSpool>(Connection::Open(path));
}

}  // namespace blemon::sqlite
