#include "blemon/sqlite/sqlite_delivery_log.h"

#include <fmt/format.h>

#include "blemon/errors.h"
#include "connection.h"

namespace blemon::sqlite {
namespace {

using internal::Connection;
using internal::WriteTransaction;

constexpr int kLogSchemaVersion = 1;
constexpr const char* kLogSchema = R"sql(
CREATE TABLE IF NOT EXISTS alert_deliveries (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  at       INTEGER NOT NULL,
  channel  TEXT    NOT NULL,
  target   TEXT    NOT NULL,
  event_id TEXT    NOT NULL,
  attempt  INTEGER NOT NULL,
  outcome  TEXT    NOT NULL,
  detail   TEXT    NOT NULL
);
PRAGMA user_version = 1;
)sql";

DeliveryRecord::Outcome OutcomeFromString(const std::string& text) {
  if (text == "retrying") return DeliveryRecord::Outcome::kRetrying;
  if (text == "given up") return DeliveryRecord::Outcome::kGivenUp;
  return DeliveryRecord::Outcome::kDelivered;
}

class SqliteDeliveryLog final : public DeliveryLog {
 public:
  SqliteDeliveryLog(std::unique_ptr<Connection> db, int keep_days)
      : db_(std::move(db)), keep_(Seconds(std::int64_t{keep_days} * 86400)) {
    WriteTransaction tx(*db_);
    auto version = db_->Prepare("PRAGMA user_version");
    version.Step();
    if (const auto found = version.Int(0); found > kLogSchemaVersion) {
      throw Refused(fmt::format(
          "alert log {} has format version {}, newer than this blemon understands ({}); move it "
          "aside or upgrade blemon",
          db_->path(), found, kLogSchemaVersion));
    }
    db_->Execute(kLogSchema, "creating the alert log table");
    tx.Commit();
  }

  void Record(const DeliveryRecord& r) override {
    WriteTransaction tx(*db_);
    db_->Prepare(
           "INSERT INTO alert_deliveries (at, channel, target, event_id, attempt, outcome, "
           "detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        .Bind(1, r.at.time_since_epoch().count())
        .Bind(2, r.channel)
        .Bind(3, r.target)
        .Bind(4, r.event_id)
        .Bind(5, r.attempt)
        .Bind(6, ToString(r.outcome))
        .Bind(7, r.detail)
        .Run();
    db_->Prepare("DELETE FROM alert_deliveries WHERE at < ?1")
        .Bind(1, (r.at - keep_).time_since_epoch().count())
        .Run();
    tx.Commit();
  }

  std::vector<DeliveryRecord> Recent(int limit) override {
    std::vector<DeliveryRecord> out;
    auto rows = db_->Prepare(
        "SELECT at, channel, target, event_id, attempt, outcome, detail FROM alert_deliveries "
        "ORDER BY id DESC LIMIT ?1");
    rows.Bind(1, limit);
    while (rows.Step()) {
      out.push_back({.at = UtcTime(Seconds(rows.Int(0))),
                     .channel = rows.Text(1),
                     .target = rows.Text(2),
                     .event_id = rows.Text(3),
                     .attempt = static_cast<int>(rows.Int(4)),
                     .outcome = OutcomeFromString(rows.Text(5)),
                     .detail = rows.Text(6)});
    }
    return out;
  }

 private:
  std::unique_ptr<Connection> db_;
  Seconds keep_;
};

}  // namespace

std::unique_ptr<DeliveryLog> OpenDeliveryLog(const std::string& path, int keep_days) {
  return std::make_unique<SqliteDeliveryLog>(Connection::Open(path), keep_days);
}

}  // namespace blemon::sqlite
