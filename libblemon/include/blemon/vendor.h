#pragma once

// Vendor names from the Bluetooth SIG company identifier list (Assigned Numbers, section 7),
// generated at build time from the vendored, machine-readable copy in
// third_party/bluetooth-numbers-database (see its README for version and licence).

#include <cstdint>
#include <optional>
#include <string_view>

#include "blemon/reading.h"

namespace blemon {

// The company's name as the list gives it, e.g. "Apple, Inc." for 0x004C; nullopt for an
// identifier not on the list. UTF-8.
std::optional<std::string_view> CompanyName(std::uint16_t company_id);

// The vendor a reading names: the company of its manufacturer data (the first listed one, in
// company-id order), else of its company ids. It is the company whose identifier the advert
// carries, which for a beacon format (iBeacon: Apple) is the format's owner, not necessarily the
// maker. nullopt when the reading names no listed company.
std::optional<std::string_view> VendorOf(const Reading& reading);

}  // namespace blemon
