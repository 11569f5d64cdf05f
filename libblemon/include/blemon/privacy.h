#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "blemon/identity.h"
#include "blemon/mac_address.h"
#include "blemon/reading.h"
#include "blemon/time.h"

namespace blemon {

// Privacy mode (docs/privacy.md). In "pseudonymise" mode a monitor replaces, before anything is
// spooled, sent or logged, the address of every device that is not watched by a keyed hash and
// drops its name.
//
// The pseudonym of address A on UTC day D:
//   day_key   = HMAC-SHA256(fleet_secret, "blemon-pseudonym-key" || "YYYY-MM-DD")
//   pseudonym = the first 6 bytes of HMAC-SHA256(day_key, A's 6 bytes, most significant first),
//               with the two top bits of the first octet set (11: the form of a random static
//               address, so no pseudonym ever looks like a vendor's public address, and it is
//               recognisable as made up).
// Every monitor of the fleet shares the secret, so the same device gets the same pseudonym on all
// monitors within a day (room winners and counts are those of raw mode), and a new one the next
// day. The reading's address class stays what the radio said (rotation linking and classes read
// the class and the payload, never the address bits).
//
// Kept raw: an address on the watch list, and a resolvable private address that resolves under
// the key of a watched identity (the central then resolves it to the identity as usual).
// What stays raw in privacy mode: the watch list's addresses, and the keys of the identities it
// names (both byte orders when the order is not known yet).
struct WatchedDevices {
  std::set<MacAddress> addresses;
  std::vector<Irk> identity_keys;
};

class Pseudonymiser {
 public:
  // `fleet_secret`: the bytes of the secret file (at least 16). Throws std::invalid_argument when
  // shorter, std::runtime_error when the cipher library fails.
  explicit Pseudonymiser(std::string fleet_secret);
  ~Pseudonymiser();
  Pseudonymiser(const Pseudonymiser&) = delete;
  Pseudonymiser& operator=(const Pseudonymiser&) = delete;

  // What stays raw: watched addresses, and the keys of watched identities.
  void SetWatched(WatchedDevices watched);

  // The pseudonym of `address` on the UTC day of `when`. Cached per day, so HMAC runs once per
  // address per day: the cache holds at most kMaxCachedPseudonyms addresses (about 6 MB) and is
  // emptied when full and at each new day.
  MacAddress Pseudonym(const MacAddress& address, UtcTime when);

  // Rewrites `readings` in place for a scan at `when`: unwatched ones get their pseudonym and lose
  // their name. Readings stay ordered by address, as the aggregator gives them.
  void Apply(std::vector<Reading>& readings, UtcTime when);

  static constexpr std::size_t kMinSecretBytes = 16;
  static constexpr std::size_t kMaxCachedPseudonyms = 100'000;

 private:
  struct DayMac;  // HMAC keyed with the day key, set up once per day (libcrypto, in privacy.cc)
  struct AddressHash {
    std::size_t operator()(const MacAddress& address) const noexcept;
  };

  void UseDayOf(UtcTime when);

  std::string fleet_secret_;
  std::optional<std::int64_t> day_;  // days since 1970-01-01 of the key in use
  std::unique_ptr<DayMac> day_mac_;
  std::unordered_map<MacAddress, MacAddress, AddressHash> cache_;  // this day's pseudonyms
  std::set<MacAddress> watched_;
  std::unique_ptr<IrkResolver> watched_identities_;
};

}  // namespace blemon
