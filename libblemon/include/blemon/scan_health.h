#pragma once

// Whether a monitor's scans can be trusted, from what it reported (ScanHealthUpdate, kept in
// monitors.scans_failed and the columns beside it). Shared by blemon-dashboard and
// `blemon-admin check`, so both call the same monitor failing or silent. Pure: data in, data out.

#include <string>
#include <vector>

#include "blemon/report_store.h"

namespace blemon {

enum class ScanState {
  kUnknown,  // no scan reported yet (a new monitor, or an older blemon that does not report)
  kOk,
  // Its latest scan did not really listen (no D-Bus, no adapter, discovery refused): it hears
  // nothing because it is not listening, not because the room is empty.
  kFailing,
  // It listens but has heard nothing for kSilentAfterScans scans in a row while another active
  // monitor hears devices: a deaf radio, a wrong adapter, a monitor in a metal box.
  kSilent,
};

inline constexpr int kSilentAfterScans = 3;

// `fleet` is every monitor of the snapshot (`monitor` among them); `now` the store's clock.
ScanState ScanStateOf(const DashboardMonitor& monitor, const std::vector<DashboardMonitor>& fleet,
                      UtcTime now, Seconds interval);

// One sentence per monitor that is failing (active or not) or silent, saying what and what to do;
// empty when all scan well.
std::vector<std::string> ScanProblems(const DashboardSnapshot& snapshot, Seconds interval);

}  // namespace blemon
