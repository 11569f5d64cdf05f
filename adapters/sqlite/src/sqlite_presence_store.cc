#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "blemon/errors.h"
#include "blemon/sqlite/sqlite_report_store.h"
#include "connection.h"
#include "lease_row.h"
#include "timestamps.h"

namespace blemon::sqlite {
namespace {

using internal::Connection;
using internal::FormatUtc;
using internal::ReadOptionalTime;
using internal::ReadTime;
using internal::Statement;
using internal::WriteTransaction;

constexpr std::string_view kEventColumns =
    "event_id, watch_name, device, interval_start, kind, from_room, to_room, decided_in";

PresenceEvent ReadEvent(const Statement& row, const Connection& db) {
  const auto kind_text = row.Text(4);
  const auto kind = PresenceEventKindFromString(kind_text);
  if (!kind) {
    throw Refused(fmt::format("SQLite database {}: presence_events holds the kind '{}'", db.path(),
                              kind_text));
  }
  return PresenceEvent{.event_id = row.Text(0),
                       .watch_name = row.Text(1),
                       .device = row.Text(2),
                       .interval_start = ReadTime(row, 3, db),
                       .kind = *kind,
                       .from_room = row.Text(5),
                       .to_room = row.Text(6),
                       .decided_in = ReadTime(row, 7, db)};
}

class SqlitePresenceStore final : public PresenceStore {
 public:
  explicit SqlitePresenceStore(std::unique_ptr<Connection> db) : db_(std::move(db)) {
    if (!internal::HasTable(*db_, "watch_list")) {
      throw Refused(
          fmt::format("SQLite database {} has no presence tables (schema version 7): run "
                      "`blemon-admin migrate` or a monitor of this version against it first",
                      db_->path()));
    }
  }

  std::vector<WatchEntry> WatchList() override {
    auto rows =
        db_->Prepare("SELECT watch_name, target_kind, target FROM watch_list ORDER BY watch_name");
    std::vector<WatchEntry> entries;
    while (rows.Step()) {
      const auto kind = WatchTargetKindFromString(rows.Text(1));
      if (!kind) {
        throw Refused(fmt::format("SQLite database {}: watch_list holds the target kind '{}'",
                                  db_->path(), rows.Text(1)));
      }
      entries.push_back({.name = rows.Text(0), .kind = *kind, .target = rows.Text(2)});
    }
    return entries;
  }

  bool AddWatch(const WatchEntry& entry) override {
    WriteTransaction tx(*db_);
    db_->Prepare(
           "INSERT INTO watch_list (watch_name, target_kind, target) VALUES (?1, ?2, ?3) "
           "ON CONFLICT DO NOTHING")
        .Bind(1, entry.name)
        .Bind(2, ToString(entry.kind))
        .Bind(3, entry.target)
        .Run();
    const bool added = db_->Changes() == 1;
    tx.Commit();
    return added;
  }

  bool RemoveWatch(const std::string& name) override {
    WriteTransaction tx(*db_);
    db_->Prepare("DELETE FROM watch_list WHERE watch_name = ?1").Bind(1, name).Run();
    const bool removed = db_->Changes() == 1;
    db_->Prepare("DELETE FROM presence_state WHERE watch_name = ?1").Bind(1, name).Run();
    tx.Commit();
    return removed;
  }

  PresenceState LoadPresenceState() override {
    PresenceState state;
    state.through = Through();
    auto rows = db_->Prepare(
        "SELECT watch_name, device, home, room, last_seen FROM presence_state "
        "ORDER BY watch_name");
    while (rows.Step()) {
      WatchedState watched;
      watched.name = rows.Text(0);
      watched.device = rows.Text(1);
      watched.home = rows.Int(2) != 0;
      watched.room = rows.Text(3);
      watched.last_seen = ReadOptionalTime(rows, 4, *db_);
      state.watched.push_back(std::move(watched));
    }
    return state;
  }

  std::vector<UtcTime> PresenceDueIntervals(std::optional<UtcTime> after, UtcTime up_to) override {
    std::vector<UtcTime> due;
    if (!after) {
      auto newest = db_->Prepare(
          "SELECT max(interval_start) FROM device_sightings WHERE interval_start <= ?1");
      newest.Bind(1, FormatUtc(up_to));
      newest.Step();
      if (auto t = ReadOptionalTime(newest, 0, *db_)) due.push_back(*t);
      return due;
    }
    auto rows = db_->Prepare(
        "SELECT DISTINCT interval_start FROM device_sightings WHERE interval_start > ?1 "
        "AND interval_start <= ?2 ORDER BY interval_start");
    rows.Bind(1, FormatUtc(*after)).Bind(2, FormatUtc(up_to));
    while (rows.Step()) due.push_back(ReadTime(rows, 0, *db_));
    return due;
  }

  std::vector<PresenceSighting> IntervalSightings(UtcTime interval) override {
    // The room is the stable one (schema 6) where processing decided it, else the raw winner's;
    // the identity is the enrolled one whose device row this is (identities.device_id).
    auto rows = db_->Prepare(
        "SELECT d.mac_address, coalesce(nullif(m.location, ''), m.monitor_name), "
        "coalesce(nullif(d.device_class, ''), 'unknown'), "
        "(SELECT min(i.name) FROM identities i WHERE i.device_id = d.device_id) "
        "FROM device_sightings s JOIN ble_devices d ON d.device_id = s.device_id "
        "JOIN monitors m ON m.monitor_id = coalesce(s.room_monitor_id, s.monitor_id) "
        "WHERE s.interval_start = ?1 ORDER BY d.mac_address");
    rows.Bind(1, FormatUtc(interval));
    std::vector<PresenceSighting> sightings;
    while (rows.Step()) {
      sightings.push_back({.mac = rows.Text(0),
                           .identity = rows.OptionalText(3),
                           .room = rows.Text(1),
                           .device_class = rows.Text(2)});
    }
    return sightings;
  }

  bool CommitPresence(const PresenceStep& step, MonitorId monitor, std::int64_t epoch) override {
    if (!step.state.through) return false;
    const UtcTime interval = *step.state.through;
    WriteTransaction tx(*db_);
    internal::CheckFence(*db_, monitor, epoch);
    if (const auto through = Through(); through && *through >= interval) return false;
    db_->Prepare("UPDATE presence_progress SET through_interval = ?1 WHERE progress_id = 1")
        .Bind(1, FormatUtc(interval))
        .Run();
    WriteState(step.state);
    for (const auto& event : step.events) InsertEvent(event);
    for (const auto& room : step.snapshot.rooms) {
      for (const auto& [device_class, devices] : room.by_class) {
        db_->Prepare(
               "INSERT OR REPLACE INTO presence_occupancy (interval_start, room, device_class, "
               "devices) VALUES (?1, ?2, ?3, ?4)")
            .Bind(1, FormatUtc(interval))
            .Bind(2, room.room)
            .Bind(3, device_class)
            .Bind(4, devices)
            .Run();
      }
    }
    tx.Commit();
    return true;
  }

  std::vector<PresenceEvent> UnpublishedEvents(int limit) override {
    auto rows = db_->Prepare(fmt::format(
        "SELECT {} FROM presence_events WHERE published_at IS NULL ORDER BY event_seq LIMIT ?1",
        kEventColumns));
    rows.Bind(1, std::max(limit, 0));
    std::vector<PresenceEvent> events;
    while (rows.Step()) events.push_back(ReadEvent(rows, *db_));
    return events;
  }

  void MarkPublished(std::span<const std::string> event_ids) override {
    WriteTransaction tx(*db_);
    for (const auto& id : event_ids) {
      db_->Prepare(
             "UPDATE presence_events SET published_at = datetime('now') "
             "WHERE event_id = ?1 AND published_at IS NULL")
          .Bind(1, id)
          .Run();
    }
    tx.Commit();
  }

  std::optional<PresenceSnapshot> LatestSnapshot() override {
    PresenceState state = LoadPresenceState();
    if (!state.through) return std::nullopt;
    const auto rows = Occupancy(*state.through, *state.through + Seconds{1});
    return SnapshotOf(std::move(state), rows);
  }

  std::vector<PresenceEvent> Events(UtcTime from, UtcTime to) override {
    auto rows = db_->Prepare(fmt::format(
        "SELECT {} FROM presence_events WHERE interval_start >= ?1 AND interval_start < ?2",
        kEventColumns));
    rows.Bind(1, FormatUtc(from)).Bind(2, FormatUtc(to));
    std::vector<PresenceEvent> events;
    while (rows.Step()) events.push_back(ReadEvent(rows, *db_));
    std::ranges::stable_sort(events, EventBefore);
    return events;
  }

  std::vector<OccupancyRow> Occupancy(UtcTime from, UtcTime to) override {
    auto rows = db_->Prepare(
        "SELECT interval_start, room, device_class, devices FROM presence_occupancy "
        "WHERE interval_start >= ?1 AND interval_start < ?2 "
        "ORDER BY interval_start, room, device_class");
    rows.Bind(1, FormatUtc(from)).Bind(2, FormatUtc(to));
    std::vector<OccupancyRow> result;
    while (rows.Step()) {
      result.push_back({.interval_start = ReadTime(rows, 0, *db_),
                        .room = rows.Text(1),
                        .device_class = rows.Text(2),
                        .devices = static_cast<int>(rows.Int(3))});
    }
    return result;
  }

 private:
  std::optional<UtcTime> Through() {
    auto row = db_->Prepare("SELECT through_interval FROM presence_progress WHERE progress_id = 1");
    if (!row.Step()) return std::nullopt;
    return ReadOptionalTime(row, 0, *db_);
  }

  // Replaces presence_state with `state`: entries no longer watched disappear.
  void WriteState(const PresenceState& state) {
    db_->Execute("DELETE FROM presence_state", "clearing presence_state");
    for (const auto& watched : state.watched) {
      std::optional<std::string> last_seen;
      if (watched.last_seen) last_seen = FormatUtc(*watched.last_seen);
      db_->Prepare(
             "INSERT INTO presence_state (watch_name, device, home, room, last_seen) "
             "VALUES (?1, ?2, ?3, ?4, ?5)")
          .Bind(1, watched.name)
          .Bind(2, watched.device)
          .Bind(3, watched.home ? 1 : 0)
          .Bind(4, watched.room)
          .Bind(5, last_seen)
          .Run();
    }
  }

  void InsertEvent(const PresenceEvent& event) {
    db_->Prepare(
           "INSERT INTO presence_events (event_id, watch_name, device, interval_start, kind, "
           "from_room, to_room, decided_in) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
           "ON CONFLICT (event_id) DO NOTHING")
        .Bind(1, event.event_id)
        .Bind(2, event.watch_name)
        .Bind(3, event.device)
        .Bind(4, FormatUtc(event.interval_start))
        .Bind(5, ToString(event.kind))
        .Bind(6, event.from_room)
        .Bind(7, event.to_room)
        .Bind(8, FormatUtc(event.decided_in))
        .Run();
  }

  std::unique_ptr<Connection> db_;
};

}  // namespace

std::unique_ptr<PresenceStore> OpenPresenceStore(const std::string& path) {
  return std::make_unique<SqlitePresenceStore>(Connection::Open(path));
}

}  // namespace blemon::sqlite
