#include "blemon/reading.h"

#include <algorithm>
#include <cstdint>

#include "blemon/utf8.h"

namespace blemon {
namespace {

// Decodes one UTF-8 sequence at `text[i]`, advancing `i`. Anything not well-formed decodes to
// U+FFFD and consumes one byte, so the rest of the string is still read.
char32_t DecodeOne(std::string_view text, std::size_t& i) {
  const Utf8Sequence sequence = DecodeUtf8(text, i);
  if (sequence.length == 0) {
    ++i;
    return kReplacementCharacter;
  }
  i += sequence.length;
  return sequence.code_point;
}

void AppendUtf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// C0 controls, DEL and C1 controls: removing them (ESC above all) makes a name safe to print.
bool IsControl(char32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

}  // namespace

RssiVerdict CheckRssi(int rssi) {
  if (rssi == kUnknownRssi) return RssiVerdict::kUnknown;
  if (rssi < kMinRssi || rssi > kMaxRssi) return RssiVerdict::kOutOfRange;
  return RssiVerdict::kValid;
}

std::optional<std::string> SanitizeDeviceName(std::string_view raw) {
  std::string out;
  out.reserve(std::min(raw.size(), kMaxNameCharacters * 4));
  std::size_t characters = 0;
  for (std::size_t i = 0; i < raw.size() && characters < kMaxNameCharacters;) {
    const char32_t c = DecodeOne(raw, i);
    if (IsControl(c)) continue;
    AppendUtf8(out, c);
    ++characters;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

namespace {

void InsertSorted(std::vector<std::uint16_t>& values, std::uint16_t value) {
  const auto pos = std::lower_bound(values.begin(), values.end(), value);
  if (pos == values.end() || *pos != value) values.insert(pos, value);
}

// Keeps the latest prefix per company, cut to kMaxManufacturerPrefixBytes.
void MergeManufacturer(std::vector<ManufacturerPrefix>& kept, const ManufacturerPrefix& heard) {
  ManufacturerPrefix cut{
      .company_id = heard.company_id,
      .prefix = {heard.prefix.begin(),
                 heard.prefix.begin() + static_cast<std::ptrdiff_t>(std::min(
                                            heard.prefix.size(), kMaxManufacturerPrefixBytes))}};
  const auto pos = std::lower_bound(
      kept.begin(), kept.end(), heard.company_id,
      [](const ManufacturerPrefix& m, std::uint16_t id) { return m.company_id < id; });
  if (pos != kept.end() && pos->company_id == heard.company_id) {
    *pos = std::move(cut);
  } else if (kept.size() < kMaxManufacturers) {
    kept.insert(pos, std::move(cut));
  }
}

void MergePayload(AdvertPayload& kept, const AdvertPayload& heard) {
  for (const std::uint16_t uuid : heard.service_uuids) {
    if (kept.service_uuids.size() < kMaxServiceUuids) InsertSorted(kept.service_uuids, uuid);
  }
  for (const ManufacturerPrefix& data : heard.manufacturer_data) {
    MergeManufacturer(kept.manufacturer_data, data);
  }
  if (heard.appearance) kept.appearance = heard.appearance;
  if (heard.monitor_beacon) kept.monitor_beacon = heard.monitor_beacon;
}

}  // namespace

void ScanAggregator::Add(const Advert& advert) {
  ++stats_.adverts;
  const auto mac = MacAddress::Parse(advert.address);
  if (!mac) {
    ++stats_.dropped_invalid_address;
    return;
  }
  if (!advert.rssi) {
    ++stats_.dropped_no_rssi;
    return;
  }
  switch (CheckRssi(*advert.rssi)) {
    case RssiVerdict::kUnknown:
      ++stats_.dropped_unknown_rssi;
      return;
    case RssiVerdict::kOutOfRange:
      ++stats_.dropped_invalid_rssi;
      return;
    case RssiVerdict::kValid:
      break;
  }

  const auto type = AddressTypeFromString(advert.address_type).value_or(AddressType::kPublic);
  auto it = readings_
                .try_emplace(*mac, Reading{.mac = *mac,
                                           .address_class = AddressClass::kPublic,
                                           .rssi = *advert.rssi,
                                           .advert_count = 0,
                                           .name = std::nullopt,
                                           .tx_power = std::nullopt,
                                           .company_ids = {},
                                           .payload = {}})
                .first;
  Reading& reading = it->second;
  reading.address_class = mac->Classify(type);
  reading.rssi = std::max(reading.rssi, *advert.rssi);
  ++reading.advert_count;
  if (advert.name) {
    if (auto name = SanitizeDeviceName(*advert.name)) reading.name = std::move(name);
  }
  if (advert.tx_power) reading.tx_power = advert.tx_power;
  for (const std::uint16_t id : advert.company_ids) InsertSorted(reading.company_ids, id);
  MergePayload(reading.payload, advert.payload);
}

std::vector<Reading> ScanAggregator::Readings() const {
  std::vector<Reading> out;
  out.reserve(readings_.size());
  for (const auto& [mac, reading] : readings_) out.push_back(reading);
  return out;
}

}  // namespace blemon
