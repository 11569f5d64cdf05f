#pragma once

// The store side of calibration (schema version 13: beacon_observations; version 6's
// monitors.rssi_offset_db, position_x, position_y). One port for its two users: `blemon-admin
// calibrate` and the processor's auto_calibrate step (blemon/auto_calibration.h). Each store
// adapter implements it (adapters/<store>/src/<store>_calibration_store.cc) and passes the
// contract suite (tests/contract/calibration_store_contract.cc).
//
// The observations themselves are written by Store::StageBatch, in the batch's staging
// transaction: a reading whose payload is another monitor's beacon (BeaconsOf below) goes to
// beacon_observations and never to sighting_staging, so a monitor is never a device.
//
// Threading: one thread at a time. Failures: Unavailable (store away; nothing changed, retry),
// Refused (it answers no: schema older than version 13, access denied), LeaseLost from
// ApplyOffsets only. Times are UTC.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "blemon/best_rssi.h"
#include "blemon/calibration.h"
#include "blemon/mac_address.h"
#include "blemon/ports.h"
#include "blemon/time.h"

namespace blemon {

// One beacon a batch carries: `sender` heard by the batch's monitor at `rssi` (raw dBm).
struct BatchBeacon {
  MonitorId sender = 0;
  int rssi = 0;
  int sender_tx_power = 0;

  friend bool operator==(const BatchBeacon&, const BatchBeacon&) = default;
};

// True when the reading is a blemon monitor's beacon (payload.monitor_beacon): it is staged as a
// beacon observation, never as a device's reading.
bool IsMonitorBeacon(const Reading& reading);

// The batch's beacons, one per sender (the strongest reading when a scan heard a sender under two
// addresses), ordered by sender. Readings that are not beacons are left out.
std::vector<BatchBeacon> BeaconsOf(const Batch& batch);

// A monitor as calibration sees it: monitors.monitor_id, monitor_name, location, rssi_offset_db
// (tenths) and position (both columns set, else nullopt).
struct CalibrationMonitor {
  MonitorId monitor_id = 0;
  std::string name;
  std::string location;
  int offset_tenths = 0;
  std::optional<MonitorPosition> position;
};

class CalibrationStore {
 public:
  virtual ~CalibrationStore() = default;
  CalibrationStore() = default;
  CalibrationStore(const CalibrationStore&) = delete;
  CalibrationStore& operator=(const CalibrationStore&) = delete;

  // Every monitor, by id.
  virtual std::vector<CalibrationMonitor> CalibrationMonitors() = 0;
  // The beacon observations of the `intervals` newest intervals that have any, among those
  // starting at or before `up_to` (nullopt: all), in no particular order. Empty when there are
  // none (or intervals <= 0).
  virtual std::vector<BeaconObservation> RecentBeaconObservations(int intervals,
                                                                  std::optional<UtcTime> up_to) = 0;
  // The device's sightings (by its stored MAC) in its `intervals` newest intervals, oldest
  // first.
  virtual std::vector<WinnerSighting> RecentWinners(const MacAddress& device, int intervals) = 0;
  // Sets monitors.rssi_offset_db (tenths / 10) of each monitor named; the others keep theirs.
  // Unknown ids are ignored. blemon-admin's path: not fenced.
  virtual void SetOffsets(const RssiOffsets& offsets) = 0;
  // The processor's path: SetOffsets in one transaction that commits only while `monitor` holds
  // the processor lease under `epoch` (else LeaseLost, nothing changed).
  virtual void ApplyOffsets(const RssiOffsets& offsets, MonitorId monitor, std::int64_t epoch) = 0;
};

}  // namespace blemon
