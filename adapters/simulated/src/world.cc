#include "world.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "hash.h"

namespace blemon::simulated {
namespace {

// A single-storey house with a garden in front, 22 m x 13 m. Rooms tile it, so walls are where
// one rectangle meets another. The hallway runs the full width between the day and night sides.
constexpr std::array<Room, 11> kRooms{{
    {"Garden", 0, -8, 22, 0, 0.5},
    {"Garage", 0, 0, 6, 6, 1.0},
    {"Kitchen", 6, 0, 11, 6, 2.0},
    {"Dining Room", 11, 0, 15, 6, 1.0},
    {"Living Room", 15, 0, 22, 6, 3.0},
    {"Hallway", 0, 6, 22, 8, 0.5},
    {"Office", 0, 8, 5, 13, 2.0},
    {"Bedroom", 5, 8, 11, 13, 2.0},
    {"Bathroom", 11, 8, 14, 13, 0.5},
    {"Kids Room", 14, 8, 18, 13, 1.5},
    {"Guest Room", 18, 8, 22, 13, 1.0},
}};
constexpr double kPlanX0 = 0, kPlanY0 = -8, kPlanX1 = 22, kPlanY1 = 13;
// Devices keep this far from walls, so a device is never on the line between two rooms.
constexpr double kWallMargin = 0.3;

// Hash streams: each random attribute of a device has its own tag, so adding an attribute later
// does not change the others (and a given seed keeps giving the same world).
enum Tag : std::uint64_t {
  kTagAddressClass = 1,
  kTagAddress,
  kTagRotatingAddress,
  kTagAdvertInterval,
  kTagAdvertPhase,
  kTagAdvertDelay,
  kTagTxOffset,
  kTagNamed,
  kTagName,
  kTagTxPower,
  kTagCompany,
  kTagHomeRoom,
  kTagPosition,
  kTagMoves,
  kTagDwell,
  kTagVisitedRoom,
  kTagComesAndGoes,
  kTagPresencePeriod,
  kTagPresence,
  kTagNoise,
  kTagUnknownRssi,
  kTagNameInAdvert,
  kTagLocation,
  kTagFading,
  kTagPayload,
  kTagRotationShape,
  kTagRotationJitter,
  kTagRotatingPayload,
  kTagKnownIrk,
  kTagMonitorGain,
  kTagMonitorReporting,
  kTagBeaconNoise,
  kTagBeaconFading,
  kTagBeaconPhase,
};

// Word `a` of Hash(): the stream tag and the device index, so no two devices share a stream.
constexpr std::uint64_t Stream(Tag tag, std::uint32_t device) {
  return (static_cast<std::uint64_t>(tag) << 32) | device;
}

constexpr std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

struct NameEntry {
  std::string_view text;
  std::uint16_t company;  // 0: none
};

constexpr std::uint16_t kApple = 0x004C;
constexpr std::uint16_t kMicrosoft = 0x0006;
constexpr std::uint16_t kSamsung = 0x0075;
constexpr std::uint16_t kGoogle = 0x00E0;
constexpr std::uint16_t kGarmin = 0x0087;
constexpr std::uint16_t kXiaomi = 0x038F;

// Personal devices are advertised as "<owner>’s <model>" (with the typographic apostrophe, as
// iOS does); the owners include non-ASCII names on purpose.
constexpr std::array<std::string_view, 12> kOwners{"Anna",  "Jörg",  "Zoë",  "Łukasz",
                                                   "Søren", "Chloé", "José", "Björn",
                                                   "Mia",   "Noah",  "Aiko", "Αλέξης"};
constexpr std::array<NameEntry, 6> kOwnedModels{{{"iPhone", kApple},
                                                 {"iPad", kApple},
                                                 {"AirPods Pro", kApple},
                                                 {"Apple Watch", kApple},
                                                 {"Galaxy S23", kSamsung},
                                                 {"Pixel 7", kGoogle}}};
constexpr std::array<NameEntry, 16> kModels{{{"Galaxy Buds2 Pro", kSamsung},
                                             {"Mi Band 6", kXiaomi},
                                             {"小米手环7", kXiaomi},
                                             {"JBL Flip 5", 0},
                                             {"Forerunner 245", kGarmin},
                                             {"LE-Bose QC35 II", 0},
                                             {"[TV] Samsung Q70 Series (55)", kSamsung},
                                             {"Tile", 0},
                                             {"WH-1000XM4", 0},
                                             {"Xbox Wireless Controller", kMicrosoft},
                                             {"Hue Lamp", 0},
                                             {"Govee_H6159_3A2F", 0},
                                             {"Polar H10 9E2F1A2B", 0},
                                             {"Charge 5", 0},
                                             {"MX Master 3", 0},
                                             {"Kühlschrank", 0}}};
// Cheap devices send garbage: control characters, bytes that are not UTF-8, names longer than
// the 200 characters blemon keeps. The aggregator must clean these up.
const std::array<std::string, 4>& MalformedNames() {
  static const std::array<std::string, 4> names{
      std::string("CarKit\x01\x02\x7F"), std::string("BT\xFF\xFESpeaker"),
      std::string("Sensor\xE2\x82"),  // truncated three-byte sequence
      [] {
        std::string s = "Smart Tag ";
        for (int i = 0; i < 230; ++i) s += "é";
        return s;
      }()};
  return names;
}

// Vendor prefixes of public addresses (Raspberry Pi, Espressif, Bose, and a few more).
constexpr std::array<std::array<std::uint8_t, 3>, 6> kOuis{{{0xB8, 0x27, 0xEB},
                                                            {0xDC, 0xA6, 0x32},
                                                            {0x24, 0x0A, 0xC4},
                                                            {0x04, 0x52, 0xC7},
                                                            {0x00, 0x1A, 0x7D},
                                                            {0x8C, 0xF5, 0xA3}}};

int PickRoom(std::uint64_t h) {
  double total = 0;
  for (const Room& room : kRooms) total += room.weight;
  double pick = Uniform(h) * total;
  for (std::size_t i = 0; i < kRooms.size(); ++i) {
    pick -= kRooms[i].weight;
    if (pick < 0) return static_cast<int>(i);
  }
  return static_cast<int>(kRooms.size()) - 1;
}

Point PointIn(const Room& room, std::uint64_t h) {
  const double x = Uniform(h, room.x0 + kWallMargin, room.x1 - kWallMargin);
  const double y = Uniform(SplitMix64(h), room.y0 + kWallMargin, room.y1 - kWallMargin);
  return {x, y};
}

std::array<std::uint8_t, 6> AddressBytes(std::uint64_t h) {
  std::array<std::uint8_t, 6> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<std::uint8_t>(h >> (8 * i));
  }
  return bytes;
}

// Sets the two most significant bits of the most significant octet, which is what tells random
// address kinds apart.
std::array<std::uint8_t, 6> WithTopBits(std::array<std::uint8_t, 6> bytes, std::uint8_t bits) {
  bytes[0] = static_cast<std::uint8_t>((bytes[0] & 0x3F) | (bits << 6));
  return bytes;
}

// One device's own hashes: an independent, reproducible value per (tag, extra), so adding a
// property to a device never shifts the values of the others.
struct DeviceDraws {
  std::uint64_t seed;
  std::uint32_t index;
  std::uint64_t operator()(Tag tag, std::uint64_t extra = 0) const {
    return Hash(seed, Stream(tag, index), extra);
  }
};

// The address class in the real world's proportions; the classes with a fixed address get it
// here (public ones under a real vendor's OUI), the rotating ones get theirs per scan.
void DrawAddress(const DeviceDraws& h, DeviceProfile& d) {
  const auto kind = static_cast<int>(Below(h(kTagAddressClass), 100));
  const auto random_bytes = AddressBytes(h(kTagAddress));
  if (kind < kResolvablePrivatePercent) {
    d.address_class = AddressClass::kResolvablePrivate;
    if (static_cast<int>(Below(h(kTagKnownIrk), 100)) < kKnownIrkPercent) {
      std::array<std::uint8_t, 16> key{};
      const std::uint64_t high = h(kTagKnownIrk, 1), low = h(kTagKnownIrk, 2);
      for (std::size_t i = 0; i < 8; ++i) {
        key[i] = static_cast<std::uint8_t>(high >> (8 * i));
        key[i + 8] = static_cast<std::uint8_t>(low >> (8 * i));
      }
      d.irk = Irk::FromBytes(key);
    }
  } else if (kind < kResolvablePrivatePercent + kRandomStaticPercent) {
    d.address_class = AddressClass::kRandomStatic;
    d.fixed_address = WithTopBits(random_bytes, 0b11);
  } else if (kind < kResolvablePrivatePercent + kRandomStaticPercent + kPublicPercent) {
    d.address_class = AddressClass::kPublic;
    const auto& oui = kOuis[Below(h(kTagAddress, 1), kOuis.size())];
    d.fixed_address = random_bytes;
    std::copy(oui.begin(), oui.end(), d.fixed_address.begin());
  } else {
    d.address_class = AddressClass::kNonResolvable;
  }
}

// The name a named device announces (a few malformed on purpose, some "Owner's Model", the rest
// a bare model) and the company its model belongs to; 0 for none.
std::uint16_t DrawName(std::uint64_t pick, DeviceProfile& d) {
  const auto style = Below(pick, 100);
  if (style < 2) {
    d.raw_name = MalformedNames()[Below(SplitMix64(pick), MalformedNames().size())];
    return 0;
  }
  if (style < 45) {
    const auto owner = kOwners[Below(SplitMix64(pick), kOwners.size())];
    const auto& model = kOwnedModels[Below(SplitMix64(pick + 1), kOwnedModels.size())];
    d.raw_name = std::string(owner) + "\xE2\x80\x99s " + std::string(model.text);
    d.model = model.text;
    return model.company;
  }
  const auto& model = kModels[Below(SplitMix64(pick), kModels.size())];
  d.raw_name = std::string(model.text);
  d.model = model.text;
  return model.company;
}

// The manufacturer data company of a device without a name; 0 for none.
std::uint16_t DrawNamelessCompany(std::uint64_t draw) {
  // Nameless devices are mostly phones and laptops announcing themselves to their own kind.
  const auto pick = Below(draw, 100);
  if (pick < 45) return kApple;
  if (pick < 55) return kMicrosoft;
  if (pick < 65) return kSamsung;
  if (pick < 70) return kGoogle;
  return 0;
}

DeviceProfile MakeDevice(std::uint64_t seed, std::uint32_t index) {
  DeviceProfile d;
  d.index = index;
  const DeviceDraws h{seed, index};
  DrawAddress(h, d);

  d.advert_interval_ms = kMinAdvertIntervalMs +
                         static_cast<int>(Below(h(kTagAdvertInterval),
                                                kMaxAdvertIntervalMs - kMinAdvertIntervalMs + 1));
  d.advert_phase_ms = static_cast<int>(Below(h(kTagAdvertPhase), d.advert_interval_ms));
  d.tx_offset_db = Uniform(h(kTagTxOffset), -8.0, 4.0);

  const std::uint16_t company = Below(h(kTagNamed), 100) < kNamedPercent
                                    ? DrawName(h(kTagName), d)
                                    : DrawNamelessCompany(h(kTagCompany));
  // What the device's adverts carry follows from its model or, nameless, its company; the
  // company ids are then those of its manufacturer data.
  d.payload = DrawPayloadProfile(d.model, company, h(kTagPayload));
  for (const ManufacturerPrefix& data : d.payload.lasting.manufacturer_data) {
    d.company_ids.push_back(data.company_id);
  }
  std::sort(d.company_ids.begin(), d.company_ids.end());
  d.rotation = DrawRotationSchedule(h(kTagRotationShape), h(kTagRotationJitter));
  if (Below(h(kTagTxPower), 4) == 0) {
    d.tx_power = static_cast<int>(Below(h(kTagTxPower, 1), 6)) * 4 - 12;  // -12..8 dBm
  }

  d.home_room = PickRoom(h(kTagHomeRoom));
  d.moves = Below(h(kTagMoves), 100) < kMovingPercent;
  d.dwell_seconds = 600 + static_cast<int>(Below(h(kTagDwell), 1800 + 1));  // 10..40 min
  d.comes_and_goes = Below(h(kTagComesAndGoes), 100) < kComesAndGoesPercent;
  d.presence_period_seconds =
      900 + static_cast<int>(Below(h(kTagPresencePeriod), 4500 + 1));  // 15..90 min
  return d;
}

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Normalise(std::string_view text) {
  const auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), LowerAscii);
  return out;
}

// Whether the segment a→b runs through the rectangle for a positive length (Liang–Barsky).
bool Crosses(const Room& room, Point a, Point b) {
  double t0 = 0, t1 = 1;
  const double dx = b.x - a.x, dy = b.y - a.y;
  const double p[4] = {-dx, dx, -dy, dy};
  const double q[4] = {a.x - room.x0, room.x1 - a.x, a.y - room.y0, room.y1 - a.y};
  for (int i = 0; i < 4; ++i) {
    if (p[i] == 0) {
      if (q[i] <= 0) return false;  // parallel to and outside (or on) this edge
      continue;
    }
    const double t = q[i] / p[i];
    if (p[i] < 0) {
      t0 = std::max(t0, t);
    } else {
      t1 = std::min(t1, t);
    }
    if (t0 >= t1) return false;
  }
  return true;
}

}  // namespace

std::span<const Room> FloorPlan() { return kRooms; }

std::optional<int> FindRoom(std::string_view name) {
  const std::string key = Normalise(name);
  for (std::size_t i = 0; i < kRooms.size(); ++i) {
    if (Normalise(kRooms[i].name) == key) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::optional<int> RoomContaining(Point p) {
  for (std::size_t i = 0; i < kRooms.size(); ++i) {
    if (kRooms[i].Contains(p)) return static_cast<int>(i);
  }
  return std::nullopt;
}

int WallsBetween(Point a, Point b) {
  int rooms = 0;
  for (const Room& room : kRooms) {
    if (Crosses(room, a, b)) ++rooms;
  }
  return std::max(rooms - 1, 0);
}

MonitorPlacement PlaceMonitor(std::string_view location) {
  MonitorPlacement m;
  m.key = Normalise(location);
  m.key_hash = HashText(m.key);
  m.named_room = FindRoom(m.key);
  if (m.named_room) {
    m.position = kRooms[*m.named_room].Centre();
  } else {
    // Not a room of the plan: a fixed point of the house derived from the name alone (not the
    // seed), so a monitor keeps its place whatever world it looks at.
    const std::uint64_t h = Hash(0, Stream(kTagLocation, 0), m.key_hash);
    m.position = {Uniform(h, kPlanX0 + kWallMargin, kPlanX1 - kWallMargin),
                  Uniform(SplitMix64(h), kPlanY0 + kWallMargin, kPlanY1 - kWallMargin)};
  }
  return m;
}

World::World(const SimulationSettings& settings)
    : seed_(settings.seed), noise_db_(std::max(settings.noise_db, 0.0)), settings_(settings) {
  const int count = std::max(settings.devices, 0);
  devices_.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i)
    devices_.push_back(MakeDevice(seed_, static_cast<std::uint32_t>(i)));
}

DeviceState World::StateAt(const DeviceProfile& device, std::int64_t unix_seconds) const {
  DeviceState state;
  auto h = [&](Tag tag, std::uint64_t b = 0, std::uint64_t c = 0) {
    return Hash(seed_, Stream(tag, device.index), b, c);
  };
  if (device.comes_and_goes) {
    // Each period the device is either around or away (60 % around); periods are staggered per
    // device so the fleet does not leave all at once.
    const auto phase = static_cast<std::int64_t>(Below(
        h(kTagPresencePeriod, 1), static_cast<std::uint64_t>(device.presence_period_seconds)));
    const std::int64_t slot = FloorDiv(unix_seconds + phase, device.presence_period_seconds);
    state.present = Uniform(h(kTagPresence, static_cast<std::uint64_t>(slot))) < 0.6;
  }
  if (device.moves) {
    // Half of its stays are at home, the rest in a room picked like a home room.
    const auto phase = static_cast<std::int64_t>(
        Below(h(kTagDwell, 1), static_cast<std::uint64_t>(device.dwell_seconds)));
    const auto slot =
        static_cast<std::uint64_t>(FloorDiv(unix_seconds + phase, device.dwell_seconds));
    const std::uint64_t pick = h(kTagVisitedRoom, slot);
    state.room = Uniform(pick) < 0.5 ? device.home_room : PickRoom(SplitMix64(pick));
    state.position =
        PointIn(kRooms[static_cast<std::size_t>(state.room)], h(kTagPosition, slot, 1));
  } else {
    state.room = device.home_room;
    state.position = PointIn(kRooms[static_cast<std::size_t>(state.room)], h(kTagPosition));
  }
  return state;
}

MacAddress World::AddressAt(const DeviceProfile& device, std::int64_t unix_ms) const {
  switch (device.address_class) {
    case AddressClass::kResolvablePrivate:
    case AddressClass::kNonResolvable: {
      const RotationSlot slot = RotationSlotAt(device.rotation, unix_ms);
      const std::uint64_t draw = Hash(seed_, Stream(kTagRotatingAddress, device.index),
                                      static_cast<std::uint64_t>(slot.index));
      if (device.irk) {
        return MakeResolvablePrivateAddress(*device.irk, static_cast<std::uint32_t>(draw));
      }
      const auto bytes = AddressBytes(draw);
      const std::uint8_t bits =
          device.address_class == AddressClass::kResolvablePrivate ? 0b01 : 0b00;
      return MacAddress::FromBytes(WithTopBits(bytes, bits));
    }
    default:
      return MacAddress::FromBytes(device.fixed_address);
  }
}

AdvertPayload World::PayloadAt(const DeviceProfile& device, std::int64_t unix_ms) const {
  // A device with a fixed address changes its rolling bytes on the same timer all devices have.
  const RotationSlot slot = RotationSlotAt(device.rotation, unix_ms);
  return PayloadForRotation(device.payload, Hash(seed_, Stream(kTagRotatingPayload, device.index),
                                                 static_cast<std::uint64_t>(slot.index)));
}

std::optional<std::uint32_t> World::DeviceBehind(const MacAddress& mac, std::int64_t from_ms,
                                                 std::int64_t to_ms) const {
  for (const DeviceProfile& device : devices_) {
    if (AddressAt(device, from_ms) == mac || AddressAt(device, to_ms - 1) == mac) {
      return device.index;
    }
  }
  return std::nullopt;
}

double World::MeanRssi(const DeviceProfile& device, Point device_position, Point monitor) const {
  const double d = std::max(
      std::hypot(device_position.x - monitor.x, device_position.y - monitor.y), kMinDistance);
  return kRssiAtOneMetre + device.tx_offset_db - 10.0 * kPathLossExponent * std::log10(d) -
         kWallLossDb * WallsBetween(device_position, monitor);
}

namespace {

// Calls f(t_ms) for each advert of `device` in [from_ms, to_ms). Advert k is sent at
// phase + k * interval + delay(k), delay in [0, kMaxAdvertDelayMs].
template <class F>
void ForEachAdvert(std::uint64_t seed, const DeviceProfile& device, std::int64_t from_ms,
                   std::int64_t to_ms, F&& f) {
  const std::int64_t interval = device.advert_interval_ms;
  std::int64_t k = FloorDiv(from_ms - device.advert_phase_ms - kMaxAdvertDelayMs, interval);
  for (;; ++k) {
    const std::int64_t nominal = device.advert_phase_ms + k * interval;
    if (nominal >= to_ms) break;
    const auto delay = static_cast<std::int64_t>(
        Below(Hash(seed, Stream(kTagAdvertDelay, device.index), static_cast<std::uint64_t>(k)),
              kMaxAdvertDelayMs + 1));
    const std::int64_t t = nominal + delay;
    if (t >= from_ms && t < to_ms) f(t);
  }
}

}  // namespace

std::vector<std::int64_t> World::AdvertTimes(const DeviceProfile& device, std::int64_t from_ms,
                                             std::int64_t to_ms) const {
  std::vector<std::int64_t> times;
  ForEachAdvert(seed_, device, from_ms, to_ms, [&](std::int64_t t) { times.push_back(t); });
  return times;
}

void World::Hear(const MonitorPlacement& monitor, std::int64_t from_ms, std::int64_t to_ms,
                 ScanAggregator& sink) const {
  if (to_ms <= from_ms) return;
  for (const DeviceProfile& device : devices_) HearDevice(device, monitor, from_ms, to_ms, sink);
}

void World::HearDevice(const DeviceProfile& device, const MonitorPlacement& monitor,
                       std::int64_t from_ms, std::int64_t to_ms, ScanAggregator& sink) const {
  const DeviceState state = StateAt(device, FloorDiv(from_ms, 1000));
  if (!state.present) return;
  const std::int64_t fading_slot = FloorDiv(from_ms, kFadingSeconds * 1000);
  const double fading = kFadingShare * noise_db_ *
                        Gaussian(Hash(seed_, Stream(kTagFading, device.index), monitor.key_hash,
                                      static_cast<std::uint64_t>(fading_slot)));
  const double mean = MeanRssi(device, state.position, monitor.position) + fading +
                      monitor.gain_db + monitor.reporting_offset_db;
  // Box–Muller from 53-bit uniforms never strays beyond 8.6 sigma, so a device this far below
  // the sensitivity cannot be heard at all; skipping it is exact, and keeps large worlds cheap.
  if (mean + 8.6 * noise_db_ < kSensitivityDbm) return;

  // Two prepared adverts (with and without the name, which named devices send in about half of
  // their adverts, the rest going to scan responses), so the per-advert work is the noise alone.
  Advert plain;
  plain.address_type = device.address_class == AddressClass::kPublic ? "public" : "random";
  plain.tx_power = device.tx_power;
  plain.company_ids = device.company_ids;
  Advert named = plain;
  named.name = device.raw_name;

  std::int64_t slot_end_ms = from_ms;  // of the address (and payload) last put in the adverts
  const auto noise_stream = Stream(kTagNoise, device.index);
  ForEachAdvert(seed_, device, from_ms, to_ms, [&](std::int64_t t) {
    // The address can rotate inside a window; BlueZ would then report two devices, and so do we.
    if (t >= slot_end_ms) {
      slot_end_ms = RotationSlotAt(device.rotation, t).end_ms;
      plain.address = AddressAt(device, t).ToString();
      plain.payload = PayloadAt(device, t);
      named.address = plain.address;
      named.payload = plain.payload;
    }
    const auto tu = static_cast<std::uint64_t>(t);
    const double noisy =
        mean + noise_db_ * Gaussian(Hash(seed_, noise_stream, monitor.key_hash, tu));
    const int rssi = std::clamp(static_cast<int>(std::lround(noisy)), kMinRssi, kMaxRssi);
    if (rssi < kSensitivityDbm) return;
    const bool with_name = device.raw_name.has_value() &&
                           (Hash(seed_, Stream(kTagNameInAdvert, device.index), tu) & 1) != 0;
    Advert& advert = with_name ? named : plain;
    advert.rssi = rssi;
    sink.Add(advert);
    if (Below(Hash(seed_, Stream(kTagUnknownRssi, device.index), monitor.key_hash, tu),
              kUnknownRssiOneIn) == 0) {
      plain.rssi = kUnknownRssi;
      sink.Add(plain);
    }
  });
}

MonitorPlacement World::Place(std::string_view location) const {
  MonitorPlacement m = PlaceMonitor(location);
  const auto bias = [&](const std::map<std::string, double, std::less<>>& set, double sigma,
                        Tag tag) {
    if (const auto found = set.find(m.key); found != set.end()) return found->second;
    return sigma * Gaussian(Hash(seed_, Stream(tag, 0), m.key_hash));
  };
  m.gain_db = bias(settings_.monitor_gain_db, settings_.gain_sigma_db, kTagMonitorGain);
  m.reporting_offset_db = bias(settings_.monitor_reporting_offset_db,
                               settings_.reporting_offset_sigma_db, kTagMonitorReporting);
  return m;
}

void World::HearBeacons(const MonitorPlacement& monitor, std::span<const BeaconSender> senders,
                        std::int64_t from_ms, std::int64_t to_ms, ScanAggregator& sink) const {
  const int tx = settings_.beacon_tx_power;
  const std::int64_t fading_slot = FloorDiv(from_ms, kFadingSeconds * 1000);
  for (const BeaconSender& sender : senders) {
    const MonitorPlacement& from = sender.placement;
    if (from.key_hash == monitor.key_hash) continue;
    const double d = std::max(
        std::hypot(from.position.x - monitor.position.x, from.position.y - monitor.position.y),
        kMinDistance);
    // Fading is drawn per direction: the channel's mean is reciprocal, its minute-to-minute
    // wobble at two receivers is not.
    const double fading = kFadingShare * noise_db_ *
                          Gaussian(Hash(seed_, Stream(kTagBeaconFading, sender.monitor_id),
                                        monitor.key_hash, static_cast<std::uint64_t>(fading_slot)));
    const double mean = kRssiAtOneMetre + tx - 10.0 * kPathLossExponent * std::log10(d) -
                        kWallLossDb * WallsBetween(from.position, monitor.position) + from.gain_db +
                        monitor.gain_db + monitor.reporting_offset_db + fading;
    if (mean + 8.6 * noise_db_ < kSensitivityDbm) continue;
    Advert beacon;
    // A random static address of the sender's own, stable for its location.
    beacon.address =
        MacAddress::FromBytes(WithTopBits(AddressBytes(from.key_hash), 0b11)).ToString();
    beacon.address_type = "random";
    beacon.tx_power = tx;
    beacon.payload.monitor_beacon = MonitorBeacon{.monitor_id = sender.monitor_id, .tx_power = tx};
    const auto phase = static_cast<std::int64_t>(
        Below(Hash(seed_, Stream(kTagBeaconPhase, sender.monitor_id)), kBeaconIntervalMs));
    const std::int64_t first = FloorDiv(from_ms - phase, kBeaconIntervalMs) + 1;
    for (std::int64_t t = phase + first * kBeaconIntervalMs; t < to_ms; t += kBeaconIntervalMs) {
      if (t < from_ms) continue;
      const double noisy =
          mean + noise_db_ * Gaussian(Hash(seed_, Stream(kTagBeaconNoise, sender.monitor_id),
                                           monitor.key_hash, static_cast<std::uint64_t>(t)));
      const int rssi = std::clamp(static_cast<int>(std::lround(noisy)), kMinRssi, kMaxRssi);
      if (rssi < kSensitivityDbm) continue;
      beacon.rssi = rssi;
      sink.Add(beacon);
    }
  }
}

}  // namespace blemon::simulated
