#pragma once

// Calibration of the monitors' RSSI from monitors hearing each other's beacons: least-squares
// fits, pure (no I/O). docs/rooms.md derives the model; in short, when monitor A hears B's beacon
//
//   rssi(A hears B) = T_B + G_A + G_B + R_A - L(A, B)
//
// with T the sender's TX power (known from its beacon), G a monitor's reciprocal gain (antenna,
// placement: it enters both what the monitor hears and how loud it is heard), R its receiver's
// non-reciprocal RSSI reporting offset, and L the path loss between the two, equal both ways.
//   difference: rssi(A<-B) - rssi(B<-A) - (T_B - T_A) = R_A - R_B            no geometry needed
//   sum:        rssi(A<-B) + rssi(B<-A) - T_A - T_B - R_A - R_B
//                   = 2 (G_A + G_B) + 2 C - 20 n log10(d_AB)                 needs positions
// (C the RSSI at 1 m of a 0 dBm sender through unit gains, n the path-loss exponent.) Only
// differences of R and of G are observable, so both are fitted with mean zero: a common offset
// changes no winner.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "blemon/best_rssi.h"

namespace blemon {

// One monitor heard another's beacon in one scan.
struct BeaconObservation {
  MonitorId receiver = 0;
  MonitorId sender = 0;
  int rssi = 0;             // dBm, as the receiver reported it
  int sender_tx_power = 0;  // dBm, as the sender's beacon says
};

struct MonitorPosition {
  double x = 0;  // metres
  double y = 0;
};

// The fitted terms of one monitor.
struct MonitorTerms {
  MonitorId monitor_id = 0;
  // R: its RSSI reports are this many dB too loud (mean zero over the fitted monitors); nullopt
  // when it has no pair heard both ways.
  std::optional<double> reporting_offset_db;
  // G: its antenna and placement add this many dB both ways (mean zero); nullopt without
  // positions (its own and enough others').
  std::optional<double> gain_db;
  int pairs = 0;  // monitors it heard and was heard by

  // The offset that makes its readings comparable: -(R + G), each term that was fitted.
  double RssiOffsetDb() const { return -(reporting_offset_db.value_or(0) + gain_db.value_or(0)); }
};

// One pair of monitors that heard each other, with what the fits leave unexplained.
struct PairFit {
  MonitorId a = 0;
  MonitorId b = 0;
  int heard_ab = 0;  // observations of A hearing B
  int heard_ba = 0;
  double difference_residual_db = 0;      // of the difference fit
  std::optional<double> sum_residual_db;  // of the sum fit (half the pair's sum); with positions
  std::optional<double> distance_m;       // with both positions
};

struct CalibrationFit {
  std::vector<MonitorTerms> monitors;  // every monitor observed, by id
  std::vector<PairFit> pairs;          // by (a, b), a < b
  std::optional<double> path_loss_exponent;
  std::optional<double> rssi_at_one_metre_db;  // C
  double difference_rms_db = 0;
  std::optional<double> sum_rms_db;
  // What could not be calibrated and why, one sentence each ("monitor 4 heard no other monitor
  // both ways: its offset is not fitted").
  std::vector<std::string> limits;
};

// Fits R from the differences over every pair heard both ways, and, where at least three monitors
// with positions form enough pairs, G, C and n from the sums. Observations are averaged per
// direction first, so a pair counts once however many scans it is heard in.
CalibrationFit FitCalibration(const std::vector<BeaconObservation>& observations,
                              const std::map<MonitorId, MonitorPosition>& positions);

// The fitted offsets in tenths of a dB (RssiOffsets), for the monitors that got any term.
RssiOffsets FittedOffsets(const CalibrationFit& fit);

// Moves `current` a share `weight` (0..1] of the way toward `fitted`, per monitor, rounded to
// tenths: auto_calibrate's smoothing, so one noisy fit never swings the rooms. Monitors missing
// from `fitted` keep their offset.
RssiOffsets SmoothOffsets(const RssiOffsets& current, const RssiOffsets& fitted, double weight);

// --- The manual path: one reference tag held about 1 m from each monitor in turn ---------------

// One interval's winner of a device (device_sightings): the raw winner and its raw RSSI (dBm).
struct WinnerSighting {
  UtcTime interval_start;
  MonitorId monitor_id = 0;
  int rssi = 0;
};

// A monitor's 1 m reading of the tag, and the offset that brings it to the common target.
struct ReferenceTerms {
  MonitorId monitor_id = 0;
  int intervals = 0;             // intervals it won the tag in
  double one_metre_rssi_db = 0;  // median raw RSSI of those intervals
  double offset_db = 0;          // target - one_metre_rssi_db
};

struct ReferenceFit {
  std::vector<ReferenceTerms> monitors;  // the calibrated ones, by id
  double target_db = 0;                  // mean 1 m RSSI over them
  std::vector<std::string> limits;       // who could not be calibrated and why
};

// A monitor needs the tag's win in at least this many intervals: one alone may be a passer-by's
// fading, not the tag held at it.
inline constexpr int kMinReferenceIntervals = 2;

// While the tag is held at monitor M it is loudest there, so M wins it: M's 1 m RSSI is the
// median of the tag's raw winning RSSI over the intervals M won it (the median, not the mean, so
// the interval the tag was carried in or out counts for little). offset(M) = target - that, the
// target being the mean over the monitors with at least kMinReferenceIntervals wins. `monitors`
// lists every monitor that should have been visited, so the ones missed are named in limits.
ReferenceFit FitReference(const std::vector<WinnerSighting>& sightings,
                          const std::vector<MonitorId>& monitors);

// The reference fit's offsets in tenths of a dB, for the calibrated monitors.
RssiOffsets FittedOffsets(const ReferenceFit& fit);

}  // namespace blemon
