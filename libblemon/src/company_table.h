#pragma once

// The Bluetooth SIG company identifiers, generated at build time from the vendored list
// (third_party/bluetooth-numbers-database) by cmake/generate_company_ids.cmake.

#include <cstdint>
#include <span>

namespace blemon::internal {

struct CompanyEntry {
  std::uint16_t id;
  const char* name;  // UTF-8
};

// In the list's order (not necessarily sorted by id).
std::span<const CompanyEntry> CompanyTable();

}  // namespace blemon::internal
