#include "blemon/sqlite/sqlite_delivery_log.h"

#include <fmt/format.h>

#include <algorithm>

#include "blemon/errors.h"
#include "connection.h"
#include "timestamps.h"

namespace blemon::sqlite {
namespace {

using internal::Connection;
using internal::FormatUtc;
using internal::ReadTime;
using internal::WriteTransaction;

constexpr Seconds kKeepTries{90 * 86400};

DeliveryRecord::Outcome OutcomeFromString(const std::string& text) {
  if (text == "retrying") return DeliveryRecord::Outcome::kRetrying;
  if (text == "given up") return DeliveryRecord::Outcome::kGivenUp;
  return DeliveryRecord::Outcome::kDelivered;
}

class SqliteDeliveryLog final : public DeliveryLog {
 public:
  explicit SqliteDeliveryLog(std::unique_ptr<Connection> db) : db_(std::move(db)) {
    if (!internal::HasTable(*db_, "alert_deliveries")) {
      throw Refused(
          fmt::format("SQLite database {} has no alert delivery log (schema version 14): run "
                      "`blemon-admin migrate` or a monitor of this version against it first",
                      db_->path()));
    }
  }

  void Owe(std::string_view channel, std::span<const AlertMessage> alerts) override {
    WriteTransaction tx(*db_);
    for (const auto& alert : alerts) {
      db_->Prepare(
             "INSERT INTO alert_deliveries (event_id, channel, event_json, summary, body) "
             "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (event_id, channel) DO NOTHING")
          .Bind(1, alert.event_id)
          .Bind(2, channel)
          .Bind(3, alert.json)
          .Bind(4, alert.summary)
          .Bind(5, alert.text)
          .Run();
    }
    tx.Commit();
  }

  std::vector<AlertMessage> Owed(std::string_view channel, int limit) override {
    auto rows = db_->Prepare(
        "SELECT event_id, event_json, summary, body FROM alert_deliveries "
        "WHERE channel = ?1 AND status = 'owed' ORDER BY delivery_seq LIMIT ?2");
    rows.Bind(1, channel).Bind(2, std::max(limit, 0));
    std::vector<AlertMessage> owed;
    while (rows.Step()) {
      owed.push_back({.event_id = rows.Text(0),
                      .json = rows.Text(1),
                      .summary = rows.Text(2),
                      .text = rows.Text(3)});
    }
    return owed;
  }

  DeliveryState StateOf(std::string_view event_id, std::string_view channel) override {
    auto row = db_->Prepare(
        "SELECT attempts, status <> 'owed' FROM alert_deliveries "
        "WHERE event_id = ?1 AND channel = ?2");
    row.Bind(1, event_id).Bind(2, channel);
    if (!row.Step()) return {};
    return {.attempts = static_cast<int>(row.Int(0)), .finished = row.Int(1) != 0};
  }

  void Record(const DeliveryRecord& r) override {
    WriteTransaction tx(*db_);
    db_->Prepare(
           "INSERT INTO alert_delivery_tries (tried_at, event_id, channel, target, attempt, "
           "outcome, detail, sent_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
        .Bind(1, FormatUtc(r.at))
        .Bind(2, r.event_id)
        .Bind(3, r.channel)
        .Bind(4, r.target)
        .Bind(5, r.attempt)
        .Bind(6, ToString(r.outcome))
        .Bind(7, r.detail)
        .Bind(8, r.sent_by)
        .Run();
    const bool finished = r.outcome != DeliveryRecord::Outcome::kRetrying;
    db_->Prepare(
           "UPDATE alert_deliveries SET attempts = max(attempts, ?3), "
           "status = CASE WHEN status <> 'owed' THEN status WHEN ?4 THEN ?5 ELSE 'owed' END, "
           "finished_at = CASE WHEN ?4 AND finished_at IS NULL THEN ?6 ELSE finished_at END "
           "WHERE event_id = ?1 AND channel = ?2")
        .Bind(1, r.event_id)
        .Bind(2, r.channel)
        .Bind(3, r.attempt)
        .Bind(4, finished ? 1 : 0)
        .Bind(5, ToString(r.outcome))
        .Bind(6, FormatUtc(r.at))
        .Run();
    db_->Prepare("DELETE FROM alert_delivery_tries WHERE tried_at < ?1")
        .Bind(1, FormatUtc(r.at - kKeepTries))
        .Run();
    db_->Prepare("DELETE FROM alert_deliveries WHERE status <> 'owed' AND finished_at < ?1")
        .Bind(1, FormatUtc(r.at - kKeepTries))
        .Run();
    tx.Commit();
  }

  std::vector<DeliveryRecord> Recent(int limit) override {
    std::vector<DeliveryRecord> out;
    auto rows = db_->Prepare(
        "SELECT tried_at, channel, target, event_id, attempt, outcome, detail, sent_by "
        "FROM alert_delivery_tries ORDER BY try_id DESC LIMIT ?1");
    rows.Bind(1, limit);
    while (rows.Step()) {
      out.push_back({.at = ReadTime(rows, 0, *db_),
                     .channel = rows.Text(1),
                     .target = rows.Text(2),
                     .event_id = rows.Text(3),
                     .attempt = static_cast<int>(rows.Int(4)),
                     .outcome = OutcomeFromString(rows.Text(5)),
                     .detail = rows.Text(6),
                     .sent_by = rows.Text(7)});
    }
    return out;
  }

 private:
  std::unique_ptr<Connection> db_;
};

}  // namespace

std::unique_ptr<DeliveryLog> OpenDeliveryLog(const std::string& path) {
  return std::make_unique<SqliteDeliveryLog>(Connection::Open(path));
}

}  // namespace blemon::sqlite
