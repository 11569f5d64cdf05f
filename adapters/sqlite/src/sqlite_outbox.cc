#include "blemon/sqlite/sqlite_outbox.h"

#include <fmt/format.h>

#include "blemon/errors.h"
#include "connection.h"

namespace blemon::sqlite {
namespace {

using internal::Connection;
using internal::WriteTransaction;

// Private to the processor, like the spool, so its schema lives here. `seq` is the queue order
// (AUTOINCREMENT: never reused, even after the newest row is forgotten); `sent_at` is NULL while
// the message waits. The unique event_id (NULL for state) is what refuses a second copy of an
// event, sent or not, until Forget drops it.
constexpr int kOutboxSchemaVersion = 1;
constexpr const char* kOutboxSchema = R"sql(
CREATE TABLE IF NOT EXISTS outbox_messages (
  seq       INTEGER PRIMARY KEY AUTOINCREMENT,
  topic     TEXT    NOT NULL,
  payload   TEXT    NOT NULL,
  retain    INTEGER NOT NULL,
  event_id  TEXT UNIQUE,
  queued_at INTEGER NOT NULL,
  sent_at   INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_waiting ON outbox_messages (seq) WHERE sent_at IS NULL;
PRAGMA user_version = 1;
)sql";

std::int64_t ToUnix(UtcTime t) { return t.time_since_epoch().count(); }

class SqliteOutbox final : public Outbox {
 public:
  explicit SqliteOutbox(std::unique_ptr<Connection> db) : db_(std::move(db)) {
    WriteTransaction tx(*db_);
    auto version = db_->Prepare("PRAGMA user_version");
    version.Step();
    if (const auto found = version.Int(0); found > kOutboxSchemaVersion) {
      throw Refused(fmt::format(
          "outbox {} has format version {}, newer than this blemon understands ({}); move it "
          "aside or upgrade blemon",
          db_->path(), found, kOutboxSchemaVersion));
    }
    db_->Execute(kOutboxSchema, "creating the outbox table");
    tx.Commit();
  }

  int Enqueue(const std::vector<OutgoingMessage>& messages, UtcTime now) override {
    WriteTransaction tx(*db_);
    int queued = 0;
    for (const auto& m : messages) {
      std::optional<std::string> event_id;
      if (!m.event_id.empty()) event_id = m.event_id;
      db_->Prepare(
             "INSERT OR IGNORE INTO outbox_messages (topic, payload, retain, event_id, "
             "queued_at) VALUES (?1, ?2, ?3, ?4, ?5)")
          .Bind(1, m.topic)
          .Bind(2, m.payload)
          .Bind(3, m.retain ? 1 : 0)
          .Bind(4, event_id)
          .Bind(5, ToUnix(now))
          .Run();
      queued += db_->Changes();
    }
    tx.Commit();  // synchronous=FULL: on disk before the caller marks its events handed over
    return queued;
  }

  std::vector<QueuedMessage> Oldest(std::size_t limit) override {
    std::vector<QueuedMessage> out;
    auto rows = db_->Prepare(
        "SELECT seq, topic, payload, retain, event_id FROM outbox_messages "
        "WHERE sent_at IS NULL ORDER BY seq LIMIT ?1");
    rows.Bind(1, static_cast<std::int64_t>(limit));
    while (rows.Step()) {
      out.push_back(
          QueuedMessage{.seq = rows.Int(0),
                        .message = OutgoingMessage{.topic = rows.Text(1),
                                                   .payload = rows.Text(2),
                                                   .retain = rows.Int(3) != 0,
                                                   .event_id = rows.OptionalText(4).value_or("")}});
    }
    return out;
  }

  void MarkSent(std::int64_t through, UtcTime now) override {
    WriteTransaction tx(*db_);
    db_->Prepare("UPDATE outbox_messages SET sent_at = ?1 WHERE sent_at IS NULL AND seq <= ?2")
        .Bind(1, ToUnix(now))
        .Bind(2, through)
        .Run();
    tx.Commit();
  }

  std::int64_t Pending() override {
    auto count = db_->Prepare("SELECT count(*) FROM outbox_messages WHERE sent_at IS NULL");
    count.Step();
    return count.Int(0);
  }

  int Forget(Seconds keep, UtcTime now) override {
    WriteTransaction tx(*db_);
    db_->Prepare("DELETE FROM outbox_messages WHERE sent_at IS NOT NULL AND sent_at < ?1")
        .Bind(1, ToUnix(now - keep))
        .Run();
    const int forgotten = db_->Changes();
    tx.Commit();
    return forgotten;
  }

 private:
  std::unique_ptr<Connection> db_;
};

}  // namespace

std::unique_ptr<Outbox> OpenOutbox(const std::string& path) {
  return std::make_unique<SqliteOutbox>(Connection::Open(path));
}

}  // namespace blemon::sqlite
