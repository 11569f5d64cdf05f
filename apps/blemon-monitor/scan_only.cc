#include "scan_only.h"

#include <fmt/format.h>

#include "blemon/app/exit_codes.h"
#include "blemon/app/terminal.h"

namespace blemon::monitor {

int ScanOnly(Scanner& scanner, Seconds window, std::stop_token stop, std::FILE* out) {
  std::fprintf(stderr, "Scanning for %lld seconds...\n", static_cast<long long>(window.count()));
  const ScanResult result = scanner.Scan(window, stop);
  fmt::print(out, "{:<17}  {:<18}  {:>4}  {:>7}  {}\n", "ADDRESS", "CLASS", "RSSI", "ADVERTS",
             "NAME");
  for (const Reading& r : result.readings) {
    fmt::print(out, "{:<17}  {:<18}  {:>4}  {:>7}  {}\n", r.mac.ToString(),
               ToString(r.address_class), r.rssi, r.advert_count,
               r.name ? app::EscapeForTerminal(*r.name) : std::string("-"));
  }
  std::fflush(out);
  const ScanStats& s = result.stats;
  std::fprintf(stderr,
               "%zu devices from %d adverts; dropped: %d unknown RSSI, %d invalid RSSI, %d no "
               "RSSI, %d invalid address\n",
               result.readings.size(), s.adverts, s.dropped_unknown_rssi, s.dropped_invalid_rssi,
               s.dropped_no_rssi, s.dropped_invalid_address);
  if (result.error) {
    std::fprintf(stderr, "Scan error: %s\n", app::EscapeForTerminal(*result.error).c_str());
    if (result.readings.empty()) return app::kExitUnavailable;
  }
  return app::kExitOk;
}

}  // namespace blemon::monitor
