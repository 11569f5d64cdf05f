#include "blemon/payload_text.h"

#include <charconv>

namespace blemon {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

void AppendHex(std::string& out, std::uint32_t value, int digits) {
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) {
    out.push_back(kHexDigits[(value >> shift) & 0xF]);
  }
}

// Exactly `digits` hex digits, no sign, no prefix.
std::optional<std::uint32_t> ParseHex(std::string_view text, std::size_t digits) {
  if (text.size() != digits) return std::nullopt;
  std::uint32_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Splits `text` at `separator`; the empty text is no parts.
std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (!text.empty()) {
    const auto at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
    if (text.empty()) parts.emplace_back();  // a trailing separator: an empty, invalid part
  }
  return parts;
}

}  // namespace

std::string FormatManufacturerData(const std::vector<ManufacturerPrefix>& data) {
  std::string text;
  for (const ManufacturerPrefix& m : data) {
    if (!text.empty()) text.push_back(';');
    AppendHex(text, m.company_id, 4);
    text.push_back(':');
    for (const std::uint8_t byte : m.prefix) AppendHex(text, byte, 2);
  }
  return text;
}

std::optional<std::vector<ManufacturerPrefix>> ParseManufacturerData(std::string_view text) {
  std::vector<ManufacturerPrefix> data;
  for (const std::string_view part : Split(text, ';')) {
    const auto colon = part.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const auto company = ParseHex(part.substr(0, colon), 4);
    const std::string_view bytes = part.substr(colon + 1);
    if (!company || bytes.size() % 2 != 0) return std::nullopt;
    ManufacturerPrefix m{.company_id = static_cast<std::uint16_t>(*company), .prefix = {}};
    for (std::size_t i = 0; i < bytes.size(); i += 2) {
      const auto byte = ParseHex(bytes.substr(i, 2), 2);
      if (!byte) return std::nullopt;
      m.prefix.push_back(static_cast<std::uint8_t>(*byte));
    }
    data.push_back(std::move(m));
  }
  return data;
}

std::string FormatUuid16List(const std::vector<std::uint16_t>& values) {
  std::string text;
  for (const std::uint16_t value : values) {
    if (!text.empty()) text.push_back(',');
    AppendHex(text, value, 4);
  }
  return text;
}

std::optional<std::vector<std::uint16_t>> ParseUuid16List(std::string_view text) {
  std::vector<std::uint16_t> values;
  for (const std::string_view part : Split(text, ',')) {
    const auto value = ParseHex(part, 4);
    if (!value) return std::nullopt;
    values.push_back(static_cast<std::uint16_t>(*value));
  }
  return values;
}

namespace {

std::optional<std::string> NullIfEmpty(std::string text) {
  if (text.empty()) return std::nullopt;
  return text;
}

}  // namespace

PayloadColumns ToPayloadColumns(const Reading& reading) {
  const AdvertPayload& payload = reading.payload;
  PayloadColumns columns{
      .company_ids = NullIfEmpty(FormatUuid16List(reading.company_ids)),
      .manufacturer_data = NullIfEmpty(FormatManufacturerData(payload.manufacturer_data)),
      .service_uuids = NullIfEmpty(FormatUuid16List(payload.service_uuids)),
      .appearance = std::nullopt,
      .beacon_monitor_id = std::nullopt,
      .beacon_tx_power = std::nullopt};
  if (payload.appearance) columns.appearance = *payload.appearance;
  if (payload.monitor_beacon) {
    columns.beacon_monitor_id = payload.monitor_beacon->monitor_id;
    columns.beacon_tx_power = payload.monitor_beacon->tx_power;
  }
  return columns;
}

bool FromPayloadColumns(const PayloadColumns& columns, Reading& reading) {
  bool intact = true;
  const auto read_list = [&intact](const std::optional<std::string>& text,
                                   std::vector<std::uint16_t>& into) {
    into.clear();
    if (!text) return;
    if (auto values = ParseUuid16List(*text)) {
      into = std::move(*values);
    } else {
      intact = false;
    }
  };
  read_list(columns.company_ids, reading.company_ids);
  read_list(columns.service_uuids, reading.payload.service_uuids);
  reading.payload.manufacturer_data.clear();
  if (columns.manufacturer_data) {
    if (auto data = ParseManufacturerData(*columns.manufacturer_data)) {
      reading.payload.manufacturer_data = std::move(*data);
    } else {
      intact = false;
    }
  }
  reading.payload.appearance.reset();
  if (columns.appearance) {
    if (*columns.appearance >= 0 && *columns.appearance <= 0xFFFF) {
      reading.payload.appearance = static_cast<std::uint16_t>(*columns.appearance);
    } else {
      intact = false;
    }
  }
  reading.payload.monitor_beacon.reset();
  if (columns.beacon_monitor_id && *columns.beacon_monitor_id >= 0) {
    reading.payload.monitor_beacon =
        MonitorBeacon{.monitor_id = static_cast<std::uint32_t>(*columns.beacon_monitor_id),
                      .tx_power = static_cast<int>(columns.beacon_tx_power.value_or(0))};
  } else if (columns.beacon_monitor_id) {
    intact = false;
  }
  return intact;
}

}  // namespace blemon
