// blemon-scan-probe: one scan through the project's BlueZ scanner (blemon::bluez), printed in full
// for the BlueZ VM test (tests/platform/bluez-vm), which runs it inside the VM against the real
// bluetoothd. Unlike `blemon-monitor --scan-only` it prints the company IDs and the scan's
// counters, as lines a shell script can pick apart:
//
//   @@READING <mac> <address class> rssi=<dBm> adverts=<n> companies=<hex,...|-> name=<name|->
//   @@SCAN readings=<n> adverts=<n> unknown_rssi=<n> invalid_rssi=<n> no_rssi=<n> seconds=<s>
//   @@SCAN_ERROR <message>                       only when the scan ended early or could not run
//
//   blemon-scan-probe ADAPTER SECONDS
// Exits 0 after the scan (an error is printed, not an exit status), 64 on bad arguments.

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stop_token>
#include <string>

#include "blemon/bluez/bluez_scanner.h"
#include "blemon/mac_address.h"

namespace {

std::string Companies(const blemon::Reading& reading) {
  if (reading.company_ids.empty()) return "-";
  std::string text;
  for (const std::uint16_t id : reading.company_ids) {
    text += fmt::format("{}0x{:04x}", text.empty() ? "" : ",", id);
  }
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || std::atoi(argv[2]) <= 0) {
    std::fprintf(stderr, "usage: blemon-scan-probe ADAPTER SECONDS\n");
    return 64;
  }
  auto scanner = blemon::bluez::MakeScanner(argv[1]);
  const auto started = std::chrono::steady_clock::now();
  const blemon::ScanResult result =
      scanner->Scan(blemon::Seconds{std::atoi(argv[2])}, std::stop_source().get_token());
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  for (const blemon::Reading& r : result.readings) {
    fmt::print("@@READING {} {} rssi={} adverts={} companies={} name={}\n", r.mac.ToString(),
               blemon::ToString(r.address_class), r.rssi, r.advert_count, Companies(r),
               r.name.value_or("-"));
  }
  const blemon::ScanStats& s = result.stats;
  fmt::print(
      "@@SCAN readings={} adverts={} unknown_rssi={} invalid_rssi={} no_rssi={} seconds={:.1f}\n",
      result.readings.size(), s.adverts, s.dropped_unknown_rssi, s.dropped_invalid_rssi,
      s.dropped_no_rssi, took.count());
  if (result.error) fmt::print("@@SCAN_ERROR {}\n", *result.error);
  return 0;
}
