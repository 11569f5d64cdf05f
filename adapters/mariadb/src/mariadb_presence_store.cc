#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "blemon/errors.h"
#include "blemon/mariadb/mariadb_report_store.h"
#include "connection.h"
#include "lease_row.h"
#include "session.h"

namespace blemon::mariadb {
namespace {

// The columns ReadEvent reads, in its order.
constexpr std::string_view kEventColumns =
    "event_id, watch_name, device, UNIX_TIMESTAMP(interval_start), kind, from_room, to_room, "
    "UNIX_TIMESTAMP(decided_in)";

PresenceEvent ReadEvent(const Row& row) {
  const auto kind = PresenceEventKindFromString(row.Text(4));
  if (!kind) {
    throw Refused(
        fmt::format("presence_events holds the kind '{}', unknown to this blemon", row.Text(4)));
  }
  return PresenceEvent{.event_id = row.Text(0),
                       .watch_name = row.Text(1),
                       .device = row.Text(2),
                       .interval_start = row.Time(3),
                       .kind = *kind,
                       .from_room = row.Text(5),
                       .to_room = row.Text(6),
                       .decided_in = row.Time(7)};
}

std::optional<UtcTime> Through(Session& s) {
  const auto rows = s.Prepared(
                         "SELECT UNIX_TIMESTAMP(through_interval) FROM presence_progress "
                         "WHERE progress_id = 1")
                        .Query({});
  if (rows.empty()) return std::nullopt;
  return rows[0].OptionalTime(0);
}

std::optional<long long> OptionalDb(const std::optional<UtcTime>& t) {
  if (!t) return std::nullopt;
  return ToDb(*t);
}

Value ValueOf(const std::optional<long long>& v) {
  if (!v) return std::monostate{};
  return *v;
}

// Replaces presence_state with `state`: entries no longer watched disappear.
void WriteState(Session& s, const PresenceState& state) {
  s.Prepared("DELETE FROM presence_state").Execute({});
  for (const auto& watched : state.watched) {
    s.Prepared(
         "INSERT INTO presence_state (watch_name, device, home, room, last_seen) "
         "VALUES (?, ?, ?, ?, FROM_UNIXTIME(?))")
        .Execute({watched.name, watched.device, watched.home ? 1LL : 0LL, watched.room,
                  ValueOf(OptionalDb(watched.last_seen))});
  }
}

void InsertEvent(Session& s, const PresenceEvent& event) {
  s.Prepared(
       "INSERT IGNORE INTO presence_events (event_id, watch_name, device, interval_start, kind, "
       "from_room, to_room, decided_in) "
       "VALUES (?, ?, ?, FROM_UNIXTIME(?), ?, ?, ?, FROM_UNIXTIME(?))")
      .Execute({event.event_id, event.watch_name, event.device, ToDb(event.interval_start),
                std::string(ToString(event.kind)), event.from_room, event.to_room,
                ToDb(event.decided_in)});
}

PresenceState LoadState(Session& s) {
  PresenceState state;
  state.through = Through(s);
  for (const Row& r : s.Prepared("SELECT watch_name, device, home, room, UNIX_TIMESTAMP(last_seen) "
                                 "FROM presence_state ORDER BY watch_name")
                          .Query({})) {
    WatchedState watched;
    watched.name = r.Text(0);
    watched.device = r.Text(1);
    watched.home = r.Bool(2);
    watched.room = r.Text(3);
    watched.last_seen = r.OptionalTime(4);
    state.watched.push_back(std::move(watched));
  }
  return state;
}

std::vector<OccupancyRow> ReadOccupancy(Session& s, UtcTime from, UtcTime to) {
  std::vector<OccupancyRow> result;
  for (const Row& r :
       s.Prepared("SELECT UNIX_TIMESTAMP(interval_start), room, device_class, devices "
                  "FROM presence_occupancy WHERE interval_start >= FROM_UNIXTIME(?) "
                  "AND interval_start < FROM_UNIXTIME(?) "
                  "ORDER BY interval_start, room, device_class")
           .Query({ToDb(from), ToDb(to)})) {
    result.push_back({.interval_start = r.Time(0),
                      .room = r.Text(1),
                      .device_class = r.Text(2),
                      .devices = static_cast<int>(r.Int(3))});
  }
  return result;
}

class MariaDbPresenceStore final : public PresenceStore {
 public:
  explicit MariaDbPresenceStore(const DatabaseSettings& settings)
      : runner_(settings, /*require_schema=*/true) {}

  std::vector<WatchEntry> WatchList() override {
    return runner_.Run("reading the watch list", [&](Session& s) {
      std::vector<WatchEntry> entries;
      for (const Row& r :
           s.Prepared("SELECT watch_name, target_kind, target FROM watch_list ORDER BY watch_name")
               .Query({})) {
        const auto kind = WatchTargetKindFromString(r.Text(1));
        if (!kind) {
          throw Refused(fmt::format("watch_list holds the target kind '{}'", r.Text(1)));
        }
        entries.push_back({.name = r.Text(0), .kind = *kind, .target = r.Text(2)});
      }
      return entries;
    });
  }

  bool AddWatch(const WatchEntry& entry) override {
    return runner_.Run("adding to the watch list", [&](Session& s) {
      return s.Prepared(
                  "INSERT IGNORE INTO watch_list (watch_name, target_kind, target) "
                  "VALUES (?, ?, ?)")
                 .Execute({entry.name, std::string(ToString(entry.kind)), entry.target}) == 1;
    });
  }

  bool RemoveWatch(const std::string& name) override {
    return runner_.Run("removing from the watch list", [&](Session& s) {
      Transaction tx(s.connection);
      const bool removed =
          s.Prepared("DELETE FROM watch_list WHERE watch_name = ?").Execute({name}) == 1;
      s.Prepared("DELETE FROM presence_state WHERE watch_name = ?").Execute({name});
      tx.Commit();
      return removed;
    });
  }

  PresenceState LoadPresenceState() override {
    return runner_.Run("reading the presence state", [&](Session& s) { return LoadState(s); });
  }

  std::vector<UtcTime> PresenceDueIntervals(std::optional<UtcTime> after, UtcTime up_to) override {
    return runner_.Run("listing intervals for presence", [&](Session& s) {
      std::vector<UtcTime> due;
      if (!after) {
        const auto rows = s.Prepared(
                               "SELECT UNIX_TIMESTAMP(MAX(interval_start)) FROM device_sightings "
                               "WHERE interval_start <= FROM_UNIXTIME(?)")
                              .Query({ToDb(up_to)});
        if (!rows.empty() && !rows[0].IsNull(0)) due.push_back(rows[0].Time(0));
        return due;
      }
      for (const Row& r : s.Prepared("SELECT UNIX_TIMESTAMP(interval_start) FROM device_sightings "
                                     "WHERE interval_start > FROM_UNIXTIME(?) "
                                     "AND interval_start <= FROM_UNIXTIME(?) "
                                     "GROUP BY interval_start ORDER BY interval_start")
                              .Query({ToDb(*after), ToDb(up_to)})) {
        due.push_back(r.Time(0));
      }
      return due;
    });
  }

  std::vector<PresenceSighting> IntervalSightings(UtcTime interval) override {
    return runner_.Run("reading an interval's sightings", [&](Session& s) {
      std::vector<PresenceSighting> sightings;
      for (const Row& r :
           s.Prepared("SELECT b.mac_address, COALESCE(NULLIF(m.location, ''), m.monitor_name), "
                      "COALESCE(NULLIF(b.device_class, ''), 'unknown'), "
                      "(SELECT MIN(i.name) FROM identities i WHERE i.device_id = b.device_id) "
                      "FROM device_sightings ds JOIN ble_devices b ON b.device_id = ds.device_id "
                      "JOIN monitors m ON m.monitor_id = COALESCE(ds.room_monitor_id, "
                      "ds.monitor_id) "
                      "WHERE ds.interval_start = FROM_UNIXTIME(?) ORDER BY b.mac_address")
               .Query({ToDb(interval)})) {
        // The stable room (schema 6) where processing decided one, else the raw winner's; the
        // identity enrolled for this device row, if any.
        sightings.push_back({.mac = r.Text(0),
                             .identity = r.OptionalText(3),
                             .room = r.Text(1),
                             .device_class = r.Text(2)});
      }
      return sightings;
    });
  }

  bool CommitPresence(const PresenceStep& step, MonitorId monitor, std::int64_t epoch) override {
    if (!step.state.through) return false;
    const UtcTime interval = *step.state.through;
    return runner_.Run(fmt::format("storing presence for {}", UtcLabel(interval)), [&](Session& s) {
      Transaction tx(s.connection);
      CheckFence(s, monitor, epoch, fmt::format("presence for interval {}", UtcLabel(interval)));
      if (const auto through = Through(s); through && *through >= interval) return false;
      s.Prepared(
           "UPDATE presence_progress SET through_interval = FROM_UNIXTIME(?) "
           "WHERE progress_id = 1")
          .Execute({ToDb(interval)});
      WriteState(s, step.state);
      for (const auto& event : step.events) InsertEvent(s, event);
      for (const auto& room : step.snapshot.rooms) {
        for (const auto& [device_class, devices] : room.by_class) {
          s.Prepared(
               "REPLACE INTO presence_occupancy (interval_start, room, device_class, devices) "
               "VALUES (FROM_UNIXTIME(?), ?, ?, ?)")
              .Execute({ToDb(interval), room.room, device_class, static_cast<long long>(devices)});
        }
      }
      tx.Commit();
      return true;
    });
  }

  std::vector<PresenceEvent> UnpublishedEvents(int limit) override {
    return runner_.Run("reading unpublished events", [&](Session& s) {
      std::vector<PresenceEvent> events;
      for (const Row& r : s.Prepared(fmt::format("SELECT {} FROM presence_events "
                                                 "WHERE published_at IS NULL ORDER BY event_seq "
                                                 "LIMIT ?",
                                                 kEventColumns))
                              .Query({static_cast<long long>(std::max(limit, 0))})) {
        events.push_back(ReadEvent(r));
      }
      return events;
    });
  }

  void MarkPublished(std::span<const std::string> event_ids) override {
    runner_.Run("marking events published", [&](Session& s) {
      Transaction tx(s.connection);
      for (const auto& id : event_ids) {
        s.Prepared(
             "UPDATE presence_events SET published_at = NOW() "
             "WHERE event_id = ? AND published_at IS NULL")
            .Execute({id});
      }
      tx.Commit();
    });
  }

  std::optional<PresenceSnapshot> LatestSnapshot() override {
    return runner_.Run(
        "reading the presence snapshot", [&](Session& s) -> std::optional<PresenceSnapshot> {
          PresenceState state = LoadState(s);
          if (!state.through) return std::nullopt;
          const auto rows = ReadOccupancy(s, *state.through, *state.through + Seconds{1});
          return SnapshotOf(std::move(state), rows);
        });
  }

  std::vector<PresenceEvent> Events(UtcTime from, UtcTime to) override {
    return runner_.Run("reading presence events", [&](Session& s) {
      std::vector<PresenceEvent> events;
      for (const Row& r : s.Prepared(fmt::format("SELECT {} FROM presence_events "
                                                 "WHERE interval_start >= FROM_UNIXTIME(?) "
                                                 "AND interval_start < FROM_UNIXTIME(?)",
                                                 kEventColumns))
                              .Query({ToDb(from), ToDb(to)})) {
        events.push_back(ReadEvent(r));
      }
      std::ranges::stable_sort(events, EventBefore);
      return events;
    });
  }

  std::vector<OccupancyRow> Occupancy(UtcTime from, UtcTime to) override {
    return runner_.Run("reading room occupancy",
                       [&](Session& s) { return ReadOccupancy(s, from, to); });
  }

 private:
  SessionRunner runner_;
};

}  // namespace

std::unique_ptr<PresenceStore> OpenPresenceStore(const DatabaseSettings& settings) {
  return std::make_unique<MariaDbPresenceStore>(settings);
}

}  // namespace blemon::mariadb
