#pragma once

// Identities of known devices: the Identity Resolving Key (IRK) a phone hands its bonded peers,
// and the Core specification's resolution of resolvable private addresses (RPAs) with it.
//
// A resolvable private address is prand (24 bits, the two most significant 0b01) followed by
// hash = ah(IRK, prand) (24 bits): printed "PP:PP:PP:HH:HH:HH", prand in the three most
// significant octets (Core spec Vol 6, Part B, 1.3.2.2). ah is AES-128 of prand padded to 128
// bits, keeping the least significant 24 bits (Vol 3, Part H, 2.2.2). The AES call lives in
// identity.cc alone, over OpenSSL's libcrypto, linked privately: this header names no crypto
// library.

#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "blemon/mac_address.h"
#include "blemon/time.h"

namespace blemon {

// A 128-bit Identity Resolving Key. Its bytes are in the Core specification's printed order:
// bytes()[0] is the most significant octet, the one AES-128 takes as the key's first byte.
class Irk {
 public:
  // Accepts 32 hex digits in either case, optionally separated between octets by ':', '-' or ' '
  // (any mix) and optionally prefixed "0x". The digits are read most significant octet first, as
  // written; an IRK exported least significant octet first (see docs/identity.md) parses to the
  // Reversed() key. On failure returns nullopt and, if `why` is given, a reason a user can act on
  // ("has 30 hex digits, an IRK has 32").
  static std::optional<Irk> Parse(std::string_view text, std::string* why = nullptr);
  static Irk FromBytes(const std::array<std::uint8_t, 16>& bytes) { return Irk(bytes); }

  const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
  // The same 16 octets in the opposite order: the key as the other byte-order convention means it.
  Irk Reversed() const;
  // 32 lower-case hex digits. Only for storing the key: never log or print it.
  std::string ToHex() const;
  // Eight hex digits that tell keys apart without revealing them (the first four octets of
  // SHA-256 over the 16 key bytes), e.g. "3fa4c1e2". Safe to print.
  std::string Fingerprint() const;

  friend bool operator==(const Irk&, const Irk&) = default;

 private:
  explicit Irk(const std::array<std::uint8_t, 16>& bytes) : bytes_(bytes) {}
  std::array<std::uint8_t, 16> bytes_{};
};

// The random address hash ah(k, r) of Vol 3, Part H, 2.2.2: AES-128 under `irk` of the 24-bit
// `prand` (only its low 24 bits are used) padded with zeros to 128 bits; the least significant 24
// bits of the result. Returned as a number in [0, 2^24).
std::uint32_t RandomAddressHash(const Irk& irk, std::uint32_t prand);

// True when `address` is a resolvable private address (two most significant bits 0b01) whose hash
// part is ah(irk, prand part). Any other address, public or random, is false.
bool Resolves(const Irk& irk, const MacAddress& address);

// The resolvable private address `irk` gives for `prand`: the low 22 bits of `prand` are kept and
// its two most significant bits (bits 23 and 22) set to 0b01, as the specification requires. The
// specification also forbids a random part of all zeros or all ones; callers that draw prand at
// random meet that with overwhelming probability, and this function does not reject it.
MacAddress MakeResolvablePrivateAddress(const Irk& irk, std::uint32_t prand);

// Resolves many addresses against many keys at once: for each key one AES-128-ECB pass over all
// the addresses' prands, so the key schedule is paid once per key and the cipher runs in bulk.
// Immutable after construction; safe to use from one thread at a time.
class IrkResolver {
 public:
  explicit IrkResolver(std::vector<Irk> irks);
  ~IrkResolver();
  IrkResolver(const IrkResolver&) = delete;
  IrkResolver& operator=(const IrkResolver&) = delete;

  // For each address, the index (into the constructor's `irks`) of the first key it resolves
  // under, or nullopt when none does or it is not a resolvable private address. Same length and
  // order as `addresses`.
  std::vector<std::optional<std::size_t>> Resolve(std::span<const MacAddress> addresses) const;

  std::size_t size() const { return irks_.size(); }

 private:
  struct Ciphers;
  std::vector<Irk> irks_;
  std::unique_ptr<Ciphers> ciphers_;
};

// An enrolled identity as the processor needs it: its key and whether the key's byte order is
// known. An owner may paste an IRK in either of the two orders phones and operating systems
// export (docs/identity.md); until one of its addresses has resolved, both orders are tried.
struct KnownIdentity {
  std::int64_t identity_id = 0;
  Irk irk = Irk::FromBytes({});
  bool byte_order_known = false;

  friend bool operator==(const KnownIdentity&, const KnownIdentity&) = default;
};

// Which identity an address belongs to, and whether it resolved under the Reversed() key (the
// owner pasted the key in the other byte order: the store then pins the reversed key).
struct Attribution {
  std::int64_t identity_id = 0;
  bool reversed = false;

  friend bool operator==(const Attribution&, const Attribution&) = default;
};

// The processor's resolution of an interval's addresses: every resolvable private address against
// every identity's key (both byte orders while the order is unknown), with a cache of address ->
// identity (or "nobody") kept for an address's lifetime. A phone keeps one resolvable private
// address for about 15 minutes (the Core specification recommends rotating every 15 minutes), so
// an address seen in several intervals is resolved once. An entry leaves the cache when it was
// not asked for during `lifetime` (measured on the intervals' clock, not the wall clock), when the
// cache holds `capacity` entries (least recently used first), or when the identities change.
// Not thread-safe: one processor, one thread.
class AddressAttributor {
 public:
  explicit AddressAttributor(std::size_t capacity = 100'000, Seconds lifetime = Seconds(3600));
  ~AddressAttributor();
  AddressAttributor(const AddressAttributor&) = delete;
  AddressAttributor& operator=(const AddressAttributor&) = delete;

  // The identities to resolve against, read from the store at each interval. The cache is emptied
  // when they differ from the previous call's (one added, removed, or its key pinned).
  void SetIdentities(std::vector<KnownIdentity> identities);
  // For each address, its identity or nullopt; same length and order as `addresses`. Only
  // resolvable private addresses can resolve. `now` is the interval being processed.
  std::vector<std::optional<Attribution>> Attribute(std::span<const MacAddress> addresses,
                                                    UtcTime now);

  std::size_t cached() const { return entries_.size(); }
  std::uint64_t cache_hits() const { return hits_; }

 private:
  struct Entry {
    std::optional<Attribution> attribution;
    UtcTime last_used;
    std::list<MacAddress>::iterator position;
  };
  void Remember(const MacAddress& address, std::optional<Attribution> attribution, UtcTime now);
  void Expire(UtcTime now);

  std::size_t capacity_;
  Seconds lifetime_;
  std::vector<KnownIdentity> identities_;
  // The resolver's keys: each identity's key, then its reversed key while the order is unknown;
  // key_owner_[i] says whose key i is and in which order.
  std::unique_ptr<IrkResolver> resolver_;
  std::vector<Attribution> key_owner_;
  std::map<MacAddress, Entry> entries_;
  std::list<MacAddress> recency_;  // most recently used first
  std::uint64_t hits_ = 0;
};

// An identity as the processor reads it from the store: its key and its device row's MAC, if it
// has one yet.
struct EnrolledIdentity {
  KnownIdentity known;
  std::optional<MacAddress> device_mac;
};

// What the processor writes for one identity heard in an interval, in its processing
// transaction.
struct IdentityAssignment {
  std::int64_t identity_id = 0;
  // sighting_staging.resolved_mac for `addresses`: the identity's device row's MAC or, the first
  // time one of its addresses resolves, the smallest of them (which then becomes the row's MAC).
  MacAddress device_mac = MacAddress::FromBytes({});
  // No device row yet: after the merge has created device_mac's row, link the identity to it.
  bool device_is_new = false;
  // Set when the key's byte order was unknown and this interval settled it: the key to store
  // (the reversed one when the owner pasted it in the other order), with the order now known.
  std::optional<Irk> learned_key;
  std::vector<MacAddress> addresses;  // the interval's addresses that resolved to it, sorted
};

// Attributes `addresses` (an interval's resolvable private addresses; others are ignored) to
// `identities` through `attributor` (whose identities it sets) and says, per identity heard, what
// to write. Ordered by identity_id. Pure apart from the attributor's cache.
std::vector<IdentityAssignment> AssignAddresses(AddressAttributor& attributor,
                                                const std::vector<EnrolledIdentity>& identities,
                                                std::span<const MacAddress> addresses,
                                                UtcTime interval);

}  // namespace blemon
