#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <utility>

#include "blemon/calibration_store.h"
#include "blemon/mariadb/mariadb_report_store.h"
#include "connection.h"
#include "lease_row.h"
#include "session.h"

namespace blemon::mariadb {
namespace {

// A DOUBLE column, which crosses the wire as text.
std::optional<double> OptionalDouble(const Row& row, std::size_t column) {
  if (row.IsNull(column)) return std::nullopt;
  return std::stod(row.Text(column));
}

class MariaDbCalibrationStore final : public CalibrationStore {
 public:
  explicit MariaDbCalibrationStore(const DatabaseSettings& settings)
      : runner_(settings, /*require_schema=*/true) {}

  std::vector<CalibrationMonitor> CalibrationMonitors() override {
    return runner_.Run("reading the monitors' calibration", [&](Session& s) {
      std::vector<CalibrationMonitor> monitors;
      for (const Row& r :
           s.Prepared("SELECT monitor_id, monitor_name, COALESCE(location, ''), "
                      "CAST(ROUND(rssi_offset_db * 10) AS SIGNED), position_x, position_y "
                      "FROM monitors ORDER BY monitor_id")
               .Query({})) {
        CalibrationMonitor m{.monitor_id = r.Int(0),
                             .name = r.Text(1),
                             .location = r.Text(2),
                             .offset_tenths = static_cast<int>(r.Int(3)),
                             .position = std::nullopt};
        const auto x = OptionalDouble(r, 4), y = OptionalDouble(r, 5);
        if (x && y) m.position = MonitorPosition{.x = *x, .y = *y};
        monitors.push_back(std::move(m));
      }
      return monitors;
    });
  }

  std::vector<BeaconObservation> RecentBeaconObservations(int intervals,
                                                          std::optional<UtcTime> up_to) override {
    if (intervals <= 0) return {};
    return runner_.Run("reading beacon observations", [&](Session& s) {
      // The newest `intervals` interval starts with observations (a derived table: MariaDB
      // takes no LIMIT in an IN subquery). 2^31 - 1 stands for "no limit".
      std::vector<BeaconObservation> out;
      for (const Row& r :
           s.Prepared("SELECT o.receiver_monitor_id, o.sender_monitor_id, o.rssi, "
                      "o.sender_tx_power FROM beacon_observations o JOIN (SELECT DISTINCT "
                      "interval_start FROM beacon_observations WHERE interval_start <= "
                      "FROM_UNIXTIME(?) ORDER BY interval_start DESC LIMIT ?) w "
                      "ON w.interval_start = o.interval_start")
               .Query({up_to ? ToDb(*up_to) : 2147483647LL, static_cast<long long>(intervals)})) {
        out.push_back(BeaconObservation{.receiver = r.Int(0),
                                        .sender = r.Int(1),
                                        .rssi = static_cast<int>(r.Int(2)),
                                        .sender_tx_power = static_cast<int>(r.Int(3))});
      }
      return out;
    });
  }

  std::vector<WinnerSighting> RecentWinners(const MacAddress& device, int intervals) override {
    return runner_.Run("reading a device's sightings", [&](Session& s) {
      std::vector<WinnerSighting> out;
      for (const Row& r :
           s.Prepared("SELECT UNIX_TIMESTAMP(ds.interval_start), ds.monitor_id, ds.rssi "
                      "FROM device_sightings ds JOIN ble_devices b ON b.device_id = ds.device_id "
                      "WHERE b.mac_address = ? ORDER BY ds.interval_start DESC LIMIT ?")
               .Query({device.ToString(), static_cast<long long>(std::max(intervals, 0))})) {
        out.push_back(WinnerSighting{.interval_start = r.Time(0),
                                     .monitor_id = r.Int(1),
                                     .rssi = static_cast<int>(r.Int(2))});
      }
      std::reverse(out.begin(), out.end());
      return out;
    });
  }

  void SetOffsets(const RssiOffsets& offsets) override {
    runner_.Run("setting RSSI offsets", [&](Session& s) {
      Transaction tx(s.connection);
      Write(s, offsets);
      tx.Commit();
      return 0;
    });
  }

  void ApplyOffsets(const RssiOffsets& offsets, MonitorId monitor, std::int64_t epoch) override {
    runner_.Run("applying calibrated RSSI offsets", [&](Session& s) {
      Transaction tx(s.connection);
      CheckFence(s, monitor, epoch, "calibration");
      Write(s, offsets);
      tx.Commit();
      return 0;
    });
  }

 private:
  // last_seen = last_seen: the seed's ON UPDATE would make the monitor look alive.
  static void Write(Session& s, const RssiOffsets& offsets) {
    for (const auto& [id, tenths] : offsets) {
      s.Prepared(
           "UPDATE monitors SET rssi_offset_db = ? / 10, last_seen = last_seen "
           "WHERE monitor_id = ?")
          .Execute({static_cast<long long>(tenths), static_cast<long long>(id)});
    }
  }

  SessionRunner runner_;
};

}  // namespace

std::unique_ptr<CalibrationStore> OpenCalibrationStore(const DatabaseSettings& settings) {
  return std::make_unique<MariaDbCalibrationStore>(settings);
}

}  // namespace blemon::mariadb
