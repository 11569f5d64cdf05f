#pragma once

// Estimated devices behind rotating addresses. A phone that changes its resolvable private
// address every 7 to 15 minutes shows up as a new device each time; over an hour one phone counts
// as four to nine. When the address a device used stops being heard and a new one starts being
// heard at the same time, what the device says (its payload signature) and where it is (the RSSI
// it gives each monitor) usually stay the same. Linking joins such pairs, so every address gets
// an estimated device: the first address of its chain.
//
// Pure: no I/O, no clock. Links are estimates and are never merged into identities (identity.h):
// callers pass only addresses that rotate and that no known IRK resolves.

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "blemon/best_rssi.h"
#include "blemon/device_class.h"
#include "blemon/mac_address.h"
#include "blemon/payload_text.h"
#include "blemon/reading.h"
#include "blemon/time.h"

namespace blemon {

// How many bytes at the start of a manufacturer prefix last across address rotations, by what is
// published of the formats: Apple's iBeacon (type 0x02) all 8 kept; Proximity Pairing (0x07:
// type, length, 0x01, two-byte model) 5; Nearby Info (0x10: type, length, status and action,
// data flags) 4; other Apple types 3 (type, length, first byte; an authentication tag or key
// follows); Microsoft's Connected Devices Platform 4 (scenario, device type, version, flags; a
// salt follows); any other company 3.
std::size_t LastingPrefixBytes(const ManufacturerPrefix& data);

// The part of what a device advertises that survives an address rotation. Two addresses with
// different signatures are never linked.
struct PayloadSignature {
  AddressClass address_class = AddressClass::kResolvablePrivate;
  DeviceClass device_class = DeviceClass::kUnknown;  // ClassifyPayload of the whole payload
  std::vector<std::uint16_t> company_ids;            // sorted, unique
  std::vector<ManufacturerPrefix> manufacturers;     // by company; prefixes cut to 3 bytes
  std::vector<std::uint16_t> service_uuids;          // sorted, unique
  std::optional<std::uint16_t> appearance;
  std::optional<int> tx_power;  // dBm

  friend auto operator<=>(const PayloadSignature&, const PayloadSignature&) = default;
};

// The signature of a reading (its address class, device class, company ids, payload and TX
// power; not its name, which many devices send in only some adverts).
PayloadSignature SignatureOf(const Reading& reading);
// The signature of a staged row as the stores keep it: its address, address class, TX power and
// payload columns (blemon/payload_text.h). A payload column that does not parse (a hand-edited
// row) is left out.
PayloadSignature SignatureOfStaged(const MacAddress& mac, AddressClass address_class,
                                   std::optional<std::int64_t> tx_power,
                                   const PayloadColumns& columns);

// Whether addresses of this class rotate and so take part in linking: resolvable private and
// non-resolvable ones. Public and static addresses are their own estimated device.
bool Rotates(AddressClass address_class);

// One rotating address in one interval.
struct AddressObservation {
  MacAddress mac;
  PayloadSignature signature;
  std::map<MonitorId, int> rssi_by_monitor;  // the best RSSI each monitor heard, dBm
};

struct LinkingOptions {
  // The RMS difference (dB) over monitors above which two RSSI patterns are not the same place.
  double max_distance_db = 9.0;
  // The same for a pair with no rival of its signature on either side.
  double max_lone_distance_db = 20.0;
  // A link is made only when the next best candidate, on either side, is this much (dB) further.
  double min_margin_db = 0.75;
  // Stands in for a monitor that did not hear an address: about the receivers' sensitivity.
  int unheard_rssi_dbm = -100;
  // How many of an estimated device's latest intervals its pattern is averaged over: long enough
  // to average fading out, short enough to follow a device that moved.
  int chain_intervals = 6;
};

// A link: `to` is the address that `from` became.
struct AddressLink {
  MacAddress from;
  MacAddress to;
  UtcTime from_last_interval;  // the last interval `from` was heard in
  UtcTime to_first_interval;   // the first interval `to` was heard in
  double distance_db = 0;      // of their RSSI patterns

  friend bool operator==(const AddressLink&, const AddressLink&) = default;
};

// The RMS difference of two RSSI patterns over the monitors either heard, an unheard monitor
// counting as `unheard_rssi_dbm`; nullopt when neither pattern has a monitor.
std::optional<double> RssiPatternDistance(const std::map<MonitorId, int>& a,
                                          const std::map<MonitorId, int>& b, int unheard_rssi_dbm);

// What is known of one rotating address: what the linker decides on. The in-memory linker keeps
// one per address it has seen; a store builds them from its staged readings and stored links.
struct AddressHistory {
  PayloadSignature signature;
  // The RSSI pattern of each interval it was heard in, oldest first (a store may give only the
  // latest few: chain_intervals of them are used).
  std::vector<std::map<MonitorId, int>> patterns;
  UtcTime first_interval;  // the first and last interval it was heard in
  UtcTime last_interval;
  std::optional<MacAddress> predecessor;  // the address it was linked from
  bool has_successor = false;             // whether an address was linked from it
};

// The links to make when interval `now` has been processed. An address last heard in interval
// L = now - 2 * interval (so not in the two intervals since) is linked to one first heard in L or
// L + interval that has no predecessor yet, when their signatures are equal, their RSSI
// patterns are within max_distance_db (max_lone_distance_db for a pair with no rival of its
// signature), and the pair is unambiguous: each is the other's nearest candidate by at least
// min_margin_db. The ended address's pattern is its chain's (it and the addresses it was linked
// from) mean over the latest chain_intervals intervals; the new address's its own mean so far,
// up to two intervals. Deciding one interval after the end, rather than at once, lets the new
// address be heard twice. A pair that is not clear stays unlinked: a missed link costs one
// extra estimated device, a wrong one merges two devices.
//
// The caller makes sure intervals L, L + interval and `now` were all scanned (a gap would make
// every address look ended). Pure: the same histories give the same links.
std::vector<AddressLink> DecideLinks(const std::map<MacAddress, AddressHistory>& histories,
                                     UtcTime now, Seconds interval,
                                     const LinkingOptions& options = {});

// One staged reading of a rotating address, as a store reads it for linking.
struct StagedSignal {
  MacAddress mac;
  UtcTime interval_start;
  MonitorId monitor_id = 0;
  int rssi = 0;
  PayloadSignature signature;
};

// An earlier link as a store keeps it: `to` is what `from` became.
struct StoredLink {
  MacAddress from;
  MacAddress to;
};

// How many intervals before the one being processed a store reads for linking: the chain's
// average reaches this far back from the ended address, which is two intervals old.
inline constexpr int LinkingLookbackIntervals(const LinkingOptions& options) {
  return options.chain_intervals + 2;
}

// The histories DecideLinks needs, from a store's staged readings of rotating addresses (several
// readings of one address, monitor and interval keep the strongest; the signature is the first
// reading's) and its stored links among them.
std::map<MacAddress, AddressHistory> HistoriesFromStaged(std::span<const StagedSignal> readings,
                                                         std::span<const StoredLink> links);

// Links addresses interval by interval in memory (tests, benchmarks), with DecideLinks.
// Not thread-safe. Memory grows with the number of distinct addresses seen.
class AddressLinker {
 public:
  explicit AddressLinker(LinkingOptions options = {}) : options_(options) {}

  // Adds interval `interval_start`'s observations (one per address; addresses whose class does
  // not rotate are ignored). Intervals must come in increasing order; links are decided only
  // when the two intervals before came exactly `interval` apart. Returns the links made now:
  // those of the addresses last heard two intervals ago.
  std::vector<AddressLink> AddInterval(UtcTime interval_start, Seconds interval,
                                       std::span<const AddressObservation> observations);

  // The estimated device of `mac`: the first address of its chain of links (`mac` itself when
  // it was never linked to an earlier one, or never seen).
  MacAddress EstimatedDevice(const MacAddress& mac) const;

 private:
  LinkingOptions options_;
  std::map<MacAddress, AddressHistory> histories_;
  std::map<MacAddress, MacAddress> root_;  // a linked address → its estimated device
  std::vector<UtcTime> recent_intervals_;  // the last two added, oldest first
};

}  // namespace blemon
