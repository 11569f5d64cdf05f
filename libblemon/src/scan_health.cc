#include "blemon/scan_health.h"

#include <fmt/format.h>

#include <algorithm>

#include "blemon/time.h"

namespace blemon {
namespace {

bool LatestScanFailed(const DashboardMonitor& m) {
  return m.last_scan_error_at &&
         (!m.last_scan_ok_at || *m.last_scan_error_at >= *m.last_scan_ok_at);
}

// Listened successfully within the last two intervals (one late scan is jitter).
bool ScannedRecently(const DashboardMonitor& m, UtcTime now, Seconds interval) {
  return m.is_active && m.last_scan_ok_at && now - *m.last_scan_ok_at <= 2 * interval;
}

}  // namespace

ScanState ScanStateOf(const DashboardMonitor& monitor, const std::vector<DashboardMonitor>& fleet,
                      UtcTime now, Seconds interval) {
  if (LatestScanFailed(monitor)) return ScanState::kFailing;
  if (!monitor.last_scan_ok_at) return ScanState::kUnknown;
  if (monitor.empty_scans_in_row < kSilentAfterScans || !ScannedRecently(monitor, now, interval)) {
    return ScanState::kOk;
  }
  const bool others_hear = std::any_of(fleet.begin(), fleet.end(), [&](const DashboardMonitor& m) {
    return m.monitor_name != monitor.monitor_name && ScannedRecently(m, now, interval) &&
           !LatestScanFailed(m) && m.empty_scans_in_row == 0;
  });
  return others_hear ? ScanState::kSilent : ScanState::kOk;
}

std::vector<std::string> ScanProblems(const DashboardSnapshot& snapshot, Seconds interval) {
  std::vector<std::string> problems;
  // A stopped monitor whose latest scan failed is listed too: it may have stopped because of it
  // (--single exits 69), and systemd may be restarting it into the same failure.
  for (const auto& m : snapshot.monitors) {
    switch (ScanStateOf(m, snapshot.monitors, snapshot.store_now, interval)) {
      case ScanState::kFailing:
        problems.push_back(fmt::format(
            "monitor {}: its latest scan failed ({} failed scans in all) at {}: {} — it is not "
            "listening; see docs/bluez.md",
            m.monitor_name, m.scans_failed, UtcLabel(*m.last_scan_error_at),
            m.last_scan_error.value_or("(no message)")));
        break;
      case ScanState::kSilent:
        problems.push_back(fmt::format(
            "monitor {}: silent — its last {} scans heard no device while other monitors hear "
            "devices; check its adapter (`bluetoothctl show`) and antenna",
            m.monitor_name, m.empty_scans_in_row));
        break;
      case ScanState::kOk:
      case ScanState::kUnknown:
        break;
    }
  }
  return problems;
}

}  // namespace blemon
