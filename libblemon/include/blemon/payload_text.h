#pragma once

// The text forms of an advert payload, as the stores' sighting_staging and the monitor's spool
// keep it (docs/database.md, "The advert payload"). Compact, readable in a SQL prompt and
// queryable with LIKE:
//
//   manufacturer data  "004c:1005;0006:0102"  company id (4 hex digits), ':', prefix bytes (hex,
//                                             may be empty), ';' between companies
//   16-bit UUID lists  "180f,fe9f"            4 hex digits each, ',' between them; also the
//                                             company ids of a reading
//
// Hex is lower case. An empty list is the empty string, which the stores keep as NULL.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "blemon/reading.h"

namespace blemon {

std::string FormatManufacturerData(const std::vector<ManufacturerPrefix>& data);
// nullopt when `text` is not in the form above (a damaged or hand-edited value).
std::optional<std::vector<ManufacturerPrefix>> ParseManufacturerData(std::string_view text);

std::string FormatUuid16List(const std::vector<std::uint16_t>& values);
std::optional<std::vector<std::uint16_t>> ParseUuid16List(std::string_view text);

// A reading's company ids and payload as the stores' sighting_staging columns hold them (schema
// version 4); nullopt is NULL, which stands for "none" (an empty list, no appearance, no beacon).
struct PayloadColumns {
  std::optional<std::string> company_ids;        // "004c,0006"
  std::optional<std::string> manufacturer_data;  // "004c:1005;0006:0102"
  std::optional<std::string> service_uuids;      // "180f,fe9f"
  std::optional<std::int64_t> appearance;
  std::optional<std::int64_t> beacon_monitor_id;
  std::optional<std::int64_t> beacon_tx_power;  // dBm

  friend bool operator==(const PayloadColumns&, const PayloadColumns&) = default;
};

PayloadColumns ToPayloadColumns(const Reading& reading);
// Sets reading.company_ids and reading.payload from the columns. A value that does not parse (a
// damaged or hand-edited row) is left out and makes the result false; the rest is still set.
bool FromPayloadColumns(const PayloadColumns& columns, Reading& reading);

}  // namespace blemon
