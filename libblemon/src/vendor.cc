#include "blemon/vendor.h"

#include <algorithm>
#include <vector>

#include "company_table.h"

namespace blemon {
namespace {

// The generated table sorted by id once, for binary search.
const std::vector<internal::CompanyEntry>& SortedCompanies() {
  static const std::vector<internal::CompanyEntry> sorted = [] {
    const auto table = internal::CompanyTable();
    std::vector<internal::CompanyEntry> entries(table.begin(), table.end());
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return a.id < b.id; });
    return entries;
  }();
  return sorted;
}

}  // namespace

std::optional<std::string_view> CompanyName(std::uint16_t company_id) {
  const auto& companies = SortedCompanies();
  const auto it =
      std::lower_bound(companies.begin(), companies.end(), company_id,
                       [](const auto& entry, std::uint16_t id) { return entry.id < id; });
  if (it == companies.end() || it->id != company_id) return std::nullopt;
  return std::string_view(it->name);
}

std::optional<std::string_view> VendorOf(const Reading& reading) {
  for (const ManufacturerPrefix& m : reading.payload.manufacturer_data) {
    if (auto name = CompanyName(m.company_id)) return name;
  }
  for (const std::uint16_t id : reading.company_ids) {
    if (auto name = CompanyName(id)) return name;
  }
  return std::nullopt;
}

}  // namespace blemon
