#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace blemon {

// What BlueZ reports as Device1.AddressType.
enum class AddressType { kPublic, kRandom };

// The kind of address, which says how long it identifies a device: a public or random static
// address is stable, a resolvable private one rotates (typically every 15 minutes), a
// non-resolvable one may change with every advert.
enum class AddressClass { kPublic, kRandomStatic, kResolvablePrivate, kNonResolvable, kReserved };

std::string_view ToString(AddressClass address_class);
std::optional<AddressClass> AddressClassFromString(std::string_view text);
// Parses BlueZ's "public" / "random"; anything else is nullopt.
std::optional<AddressType> AddressTypeFromString(std::string_view text);

// A 48-bit Bluetooth device address. Always valid once constructed.
class MacAddress {
 public:
  // Accepts six octets of hex digits in either case, separated by ':' or '-' (the same separator
  // throughout) or not separated at all. On failure returns nullopt and, if `why` is given, a
  // reason a user can act on ("octet 3 'G1' is not hexadecimal").
  static std::optional<MacAddress> Parse(std::string_view text, std::string* why = nullptr);
  static MacAddress FromBytes(const std::array<std::uint8_t, 6>& bytes) {
    return MacAddress(bytes);
  }

  // Canonical form "AA:BB:CC:DD:EE:FF": what every store keeps in ble_devices.mac_address.
  std::string ToString() const;
  const std::array<std::uint8_t, 6>& bytes() const { return bytes_; }

  // Public addresses are public whatever their bits; random ones are told apart by the two most
  // significant bits of the most significant octet (Core spec Vol 6, Part B, 1.3.2).
  AddressClass Classify(AddressType type) const;

  friend auto operator<=>(const MacAddress&, const MacAddress&) = default;

 private:
  explicit MacAddress(const std::array<std::uint8_t, 6>& bytes) : bytes_(bytes) {}
  std::array<std::uint8_t, 6> bytes_{};
};

}  // namespace blemon
