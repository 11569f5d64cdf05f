#include "blemon/mac_address.h"

#include <fmt/format.h>

namespace blemon {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Input is quoted back in messages: show anything unprintable as \xNN so a stray newline or
// escape sequence cannot garble a log line.
std::string Printable(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7F) {
      out += fmt::format("\\x{:02X}", byte);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool Fail(std::string* why, std::string reason) {
  if (why != nullptr) *why = std::move(reason);
  return false;
}

// Reads the 12 hex digits of `text`, which the caller has stripped of separators.
bool ParseDigits(std::string_view digits, std::array<std::uint8_t, 6>& bytes, std::string* why) {
  for (std::size_t i = 0; i < 6; ++i) {
    const int high = HexValue(digits[2 * i]);
    const int low = HexValue(digits[2 * i + 1]);
    if (high < 0 || low < 0) {
      return Fail(why, fmt::format("octet {} '{}' is not hexadecimal", i + 1,
                                   Printable(digits.substr(2 * i, 2))));
    }
    bytes[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return true;
}

}  // namespace

std::string_view ToString(AddressClass address_class) {
  switch (address_class) {
    case AddressClass::kPublic:
      return "public";
    case AddressClass::kRandomStatic:
      return "random-static";
    case AddressClass::kResolvablePrivate:
      return "resolvable-private";
    case AddressClass::kNonResolvable:
      return "non-resolvable";
    case AddressClass::kReserved:
      return "reserved";
  }
  return "reserved";
}

std::optional<AddressClass> AddressClassFromString(std::string_view text) {
  for (auto c :
       {AddressClass::kPublic, AddressClass::kRandomStatic, AddressClass::kResolvablePrivate,
        AddressClass::kNonResolvable, AddressClass::kReserved}) {
    if (ToString(c) == text) return c;
  }
  return std::nullopt;
}

std::optional<AddressType> AddressTypeFromString(std::string_view text) {
  if (text == "public") return AddressType::kPublic;
  if (text == "random") return AddressType::kRandom;
  return std::nullopt;
}

std::optional<MacAddress> MacAddress::Parse(std::string_view text, std::string* why) {
  std::array<std::uint8_t, 6> bytes{};
  if (text.size() == 12) {
    if (!ParseDigits(text, bytes, why)) return std::nullopt;
    return MacAddress(bytes);
  }
  if (text.size() != 17) {
    Fail(why, fmt::format("expected 12 hex digits or 6 octets separated by ':' or '-', got {} "
                          "characters",
                          text.size()));
    return std::nullopt;
  }
  const char separator = text[2];
  if (separator != ':' && separator != '-') {
    Fail(why, fmt::format("'{}' is not a separator (use ':' or '-')",
                          Printable(std::string_view(&separator, 1))));
    return std::nullopt;
  }
  std::string digits;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i % 3 == 2) {
      if (text[i] != separator) {
        Fail(why, fmt::format("character {} should be the separator '{}', got '{}'", i + 1,
                              separator, Printable(text.substr(i, 1))));
        return std::nullopt;
      }
    } else {
      digits.push_back(text[i]);
    }
  }
  if (!ParseDigits(digits, bytes, why)) return std::nullopt;
  return MacAddress(bytes);
}

std::string MacAddress::ToString() const {
  return fmt::format("{:02X}:{:02X}:{:02X}:{:02X}:{:02X}:{:02X}", bytes_[0], bytes_[1], bytes_[2],
                     bytes_[3], bytes_[4], bytes_[5]);
}

AddressClass MacAddress::Classify(AddressType type) const {
  if (type == AddressType::kPublic) return AddressClass::kPublic;
  switch (bytes_[0] >> 6) {
    case 0b11:
      return AddressClass::kRandomStatic;
    case 0b01:
      return AddressClass::kResolvablePrivate;
    case 0b00:
      return AddressClass::kNonResolvable;
    default:
      return AddressClass::kReserved;
  }
}

}  // namespace blemon
