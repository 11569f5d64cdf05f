#include <fmt/format.h>

#include <cmath>
#include <string>
#include <utility>

#include "blemon/calibration_store.h"
#include "blemon/errors.h"
#include "blemon/sqlite/sqlite_report_store.h"
#include "connection.h"
#include "lease_row.h"
#include "timestamps.h"

namespace blemon::sqlite {
namespace {

using internal::Connection;
using internal::FormatUtc;
using internal::ReadTime;
using internal::WriteTransaction;

class SqliteCalibrationStore final : public CalibrationStore {
 public:
  explicit SqliteCalibrationStore(std::unique_ptr<Connection> db) : db_(std::move(db)) {
    if (!internal::HasTable(*db_, "beacon_observations")) {
      throw Refused(
          fmt::format("SQLite database {} has no beacon_observations (schema version 13): run "
                      "`blemon-admin migrate` or a monitor of this version against it first",
                      db_->path()));
    }
  }

  std::vector<CalibrationMonitor> CalibrationMonitors() override {
    auto rows = db_->Prepare(
        "SELECT monitor_id, monitor_name, coalesce(location, ''), rssi_offset_db, position_x, "
        "position_y FROM monitors ORDER BY monitor_id");
    std::vector<CalibrationMonitor> monitors;
    while (rows.Step()) {
      CalibrationMonitor m{.monitor_id = rows.Int(0),
                           .name = rows.Text(1),
                           .location = rows.Text(2),
                           .offset_tenths = static_cast<int>(std::lround(rows.Double(3) * 10)),
                           .position = std::nullopt};
      if (!rows.IsNull(4) && !rows.IsNull(5)) {
        m.position = MonitorPosition{.x = rows.Double(4), .y = rows.Double(5)};
      }
      monitors.push_back(std::move(m));
    }
    return monitors;
  }

  std::vector<BeaconObservation> RecentBeaconObservations(int intervals,
                                                          std::optional<UtcTime> up_to) override {
    std::vector<BeaconObservation> out;
    if (intervals <= 0) return out;
    // The newest `intervals` interval starts with observations; '9999' stands for "no limit"
    // (every stored time is an ISO text, so it sorts after them all).
    auto rows = db_->Prepare(
        "SELECT receiver_monitor_id, sender_monitor_id, rssi, sender_tx_power "
        "FROM beacon_observations WHERE interval_start IN (SELECT DISTINCT interval_start FROM "
        "beacon_observations WHERE interval_start <= ?1 ORDER BY interval_start DESC LIMIT ?2)");
    rows.Bind(1, up_to ? FormatUtc(*up_to) : std::string("9999")).Bind(2, intervals);
    while (rows.Step()) {
      out.push_back(BeaconObservation{.receiver = rows.Int(0),
                                      .sender = rows.Int(1),
                                      .rssi = static_cast<int>(rows.Int(2)),
                                      .sender_tx_power = static_cast<int>(rows.Int(3))});
    }
    return out;
  }

  std::vector<WinnerSighting> RecentWinners(const MacAddress& device, int intervals) override {
    auto rows = db_->Prepare(
        "SELECT s.interval_start, s.monitor_id, s.rssi FROM device_sightings s "
        "JOIN ble_devices d ON d.device_id = s.device_id WHERE d.mac_address = ?1 "
        "ORDER BY s.interval_start DESC LIMIT ?2");
    rows.Bind(1, device.ToString()).Bind(2, std::max(intervals, 0));
    std::vector<WinnerSighting> out;
    while (rows.Step()) {
      out.insert(out.begin(), WinnerSighting{.interval_start = ReadTime(rows, 0, *db_),
                                             .monitor_id = rows.Int(1),
                                             .rssi = static_cast<int>(rows.Int(2))});
    }
    return out;
  }

  void SetOffsets(const RssiOffsets& offsets) override {
    WriteTransaction tx(*db_);
    Write(offsets);
    tx.Commit();
  }

  void ApplyOffsets(const RssiOffsets& offsets, MonitorId monitor, std::int64_t epoch) override {
    WriteTransaction tx(*db_);
    internal::CheckFence(*db_, monitor, epoch);
    Write(offsets);
    tx.Commit();
  }

 private:
  void Write(const RssiOffsets& offsets) {
    for (const auto& [id, tenths] : offsets) {
      db_->Prepare("UPDATE monitors SET rssi_offset_db = ?2 WHERE monitor_id = ?1")
          .Bind(1, id)
          .Bind(2, tenths / 10.0)
          .Run();
    }
  }

  std::unique_ptr<Connection> db_;
};

}  // namespace

std::unique_ptr<CalibrationStore> OpenCalibrationStore(const std::string& path) {
  return std::make_unique<SqliteCalibrationStore>(Connection::Open(path));
}

}  // namespace blemon::sqlite
