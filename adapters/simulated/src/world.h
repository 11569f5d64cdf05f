#pragma once

// The simulated world behind the simulated Scanner: a house with a fixed floor plan, devices in
// its rooms, and what a monitor at some location hears of them. Everything here is a pure
// function of the settings (seed, device count, noise) and the time asked about, so any number of
// monitor processes given the same settings see the same devices at the same places, each from its
// own position. docs/simulation.md describes the model and its numbers.
//
// This header is internal to the adapter (and its tests); applications use
// blemon/simulated/simulated_scanner.h.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "address_rotation.h"
#include "blemon/config.h"
#include "blemon/identity.h"
#include "blemon/mac_address.h"
#include "blemon/reading.h"
#include "device_payload.h"

namespace blemon::simulated {

// Radio model. RSSI(d) = kRssiAtOneMetre + tx_offset - 10 * kPathLossExponent * log10(d)
//                        - kWallLossDb * walls + fading + noise, d in metres (at least
//                        kMinDistance).
inline constexpr double kRssiAtOneMetre = -59.0;
inline constexpr double kPathLossExponent = 2.5;
inline constexpr double kWallLossDb = 5.0;
inline constexpr double kMinDistance = 0.5;
// Besides the per-advert noise (sigma = noise_db), each device-monitor pair sees a slow fading
// term (people walking by, a phone turned over) that holds for kFadingSeconds: sigma =
// kFadingShare * noise_db. Without it the strongest of a scan's many adverts would average the
// noise away and the monitor in the device's room would always win.
inline constexpr double kFadingShare = 1.0;
inline constexpr std::int64_t kFadingSeconds = 60;
// Adverts weaker than this are not heard (a typical BLE receiver's sensitivity).
inline constexpr int kSensitivityDbm = -100;
// Advertising intervals are drawn from [kMinAdvertIntervalMs, kMaxAdvertIntervalMs]; each advert is
// further delayed by 0..kMaxAdvertDelayMs ms (the spec's advDelay), so a device's adverts are
// 100 to 1000 ms apart.
inline constexpr int kMinAdvertIntervalMs = 110;
inline constexpr int kMaxAdvertIntervalMs = 990;
inline constexpr int kMaxAdvertDelayMs = 9;
// One heard advert in this many is followed by a report without a measured RSSI (127), which the
// aggregator drops and counts.
inline constexpr int kUnknownRssiOneIn = 250;

// Shares of the device population, in percent.
inline constexpr int kResolvablePrivatePercent = 55;
inline constexpr int kRandomStaticPercent = 20;
inline constexpr int kPublicPercent = 20;
inline constexpr int kNonResolvablePercent = 5;
// Of the resolvable private devices, this share has an IRK known to the world (a test or a demo
// can register it as an identity); their addresses are made with the specification's ah.
inline constexpr int kKnownIrkPercent = 5;
inline constexpr int kNamedPercent = 30;
inline constexpr int kMovingPercent = 15;
inline constexpr int kComesAndGoesPercent = 20;

struct Point {
  double x = 0;  // metres
  double y = 0;
};

// A room of the floor plan: an axis-aligned rectangle. Rooms tile the plan without overlapping.
struct Room {
  std::string_view name;
  double x0, y0, x1, y1;
  double weight;  // relative share of the devices that live here

  Point Centre() const { return {(x0 + x1) / 2, (y0 + y1) / 2}; }
  bool Contains(Point p) const { return p.x >= x0 && p.x < x1 && p.y >= y0 && p.y < y1; }
};

std::span<const Room> FloorPlan();
// The room called `name`, ignoring ASCII case and surrounding white space.
std::optional<int> FindRoom(std::string_view name);
std::optional<int> RoomContaining(Point p);
// How many walls a straight line from `a` to `b` crosses: the number of rooms it passes through,
// less one.
int WallsBetween(Point a, Point b);

// Where a monitor sits and what its hearing is keyed on.
struct MonitorPlacement {
  std::string key;  // the location, lower-cased and trimmed
  std::uint64_t key_hash = 0;
  Point position;
  // The room named by the location; nullopt when it names none, and the position is then a point
  // of the house derived from the name's hash.
  std::optional<int> named_room;
  // The monitor's radio biases (dB, set by World::Place; 0 from PlaceMonitor): a reciprocal gain
  // of antenna and placement, added both to what it hears and to how loud its beacon is heard,
  // and a non-reciprocal offset of the RSSI its receiver reports.
  double gain_db = 0;
  double reporting_offset_db = 0;
};
MonitorPlacement PlaceMonitor(std::string_view location);

// A simulated monitor as the others hear it: its beacon (blemon/reading.h MonitorBeacon) names
// `monitor_id` and advertises at the world's beacon_tx_power every kBeaconIntervalMs.
struct BeaconSender {
  std::uint32_t monitor_id = 0;
  MonitorPlacement placement;
};
inline constexpr int kBeaconIntervalMs = 200;

// What does not change over time about a device.
struct DeviceProfile {
  std::uint32_t index = 0;
  AddressClass address_class = AddressClass::kPublic;
  // Public and random static devices always use this; rotating ones derive theirs per rotation.
  std::array<std::uint8_t, 6> fixed_address{};
  // When a rotating (resolvable private or non-resolvable) device changes its address; every
  // device changes the rolling bytes of its payload on it.
  RotationSchedule rotation;
  // Resolvable private devices only, kKnownIrkPercent of them: the key their addresses resolve
  // under. The others' addresses look resolvable but resolve under no key anyone has.
  std::optional<Irk> irk;
  int advert_interval_ms = 0;
  int advert_phase_ms = 0;
  double tx_offset_db = 0;  // stronger or weaker than the reference transmitter
  // As advertised: untrusted bytes, a few deliberately malformed so the sanitiser has work.
  std::optional<std::string> raw_name;
  std::optional<int> tx_power;
  std::vector<std::uint16_t> company_ids;  // those of payload's manufacturer data
  std::string_view model;                  // the product in its name; empty when nameless
  PayloadProfile payload;
  int home_room = 0;
  bool moves = false;  // wanders between rooms, staying dwell_seconds in each place
  int dwell_seconds = 0;
  bool comes_and_goes = false;  // is away for some periods of presence_period_seconds
  int presence_period_seconds = 0;
};

// Where a device is at one moment.
struct DeviceState {
  bool present = true;
  int room = 0;
  Point position;
};

class World {
 public:
  explicit World(const SimulationSettings& settings);

  const std::vector<DeviceProfile>& devices() const { return devices_; }

  // PlaceMonitor(location) with the monitor's biases: the settings' value for the location if it
  // has one, else a draw from N(0, sigma) keyed on (seed, location); 0 with sigma 0.
  MonitorPlacement Place(std::string_view location) const;

  DeviceState StateAt(const DeviceProfile& device, std::int64_t unix_seconds) const;
  // The address the device advertises at that moment.
  MacAddress AddressAt(const DeviceProfile& device, std::int64_t unix_ms) const;
  // The payload its adverts carry at that moment (it changes with the address).
  AdvertPayload PayloadAt(const DeviceProfile& device, std::int64_t unix_ms) const;

  // Ground truth for tests and benchmarks, never for the Scanner port: the device that used
  // `mac` at some moment of [from_ms, to_ms) (a span shorter than the shortest rotation, 7
  // minutes), or nullopt when none did. Costs one address computation per device.
  std::optional<std::uint32_t> DeviceBehind(const MacAddress& mac, std::int64_t from_ms,
                                            std::int64_t to_ms) const;
  // The noiseless RSSI a monitor at `monitor` would measure.
  double MeanRssi(const DeviceProfile& device, Point device_position, Point monitor) const;

  // The moments in [from_ms, to_ms) at which the device advertises (whether or not anyone hears).
  std::vector<std::int64_t> AdvertTimes(const DeviceProfile& device, std::int64_t from_ms,
                                        std::int64_t to_ms) const;

  // Feeds `sink` every advert a monitor at `monitor` hears in [from_ms, to_ms), in time order per
  // device. Device positions and presence are taken at the start of the span.
  void Hear(const MonitorPlacement& monitor, std::int64_t from_ms, std::int64_t to_ms,
            ScanAggregator& sink) const;
  // Feeds `sink` the beacons `monitor` hears of the other monitors in [from_ms, to_ms), through
  // the same radio model: sender's TX power, both gains, the receiver's reporting offset, path
  // loss, walls, fading and noise. A sender at the receiver's own location is skipped.
  void HearBeacons(const MonitorPlacement& monitor, std::span<const BeaconSender> senders,
                   std::int64_t from_ms, std::int64_t to_ms, ScanAggregator& sink) const;

 private:
  void HearDevice(const DeviceProfile& device, const MonitorPlacement& monitor,
                  std::int64_t from_ms, std::int64_t to_ms, ScanAggregator& sink) const;

  std::uint64_t seed_;
  double noise_db_;
  SimulationSettings settings_;
  std::vector<DeviceProfile> devices_;
};

}  // namespace blemon::simulated
