// What a BlueZ scan costs the monitor, measured against the dbusmock BlueZ of the bluez_mock
// fixture. Figures are the scanner's own CPU time (the scanning thread's, from getrusage), which
// does not include the Python mock's; wall times are printed too but are mostly the mock's.
//
//   1. setup cost of one scan (window 0) with 0, 200 and 1,000 devices cached by BlueZ;
//   2. advert throughput: 200 devices advertising in bursts during one window.

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <future>
#include <string>
#include <vector>

#include "blemon/bluez/bluez_scanner.h"
#include "bluez_mock_client.h"

namespace {

using blemon::Seconds;
using blemon::bluez::testing::BluezMock;

double ThreadCpuMs() {
  rusage usage{};
  ::getrusage(RUSAGE_THREAD, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
}

std::string Address(int i) {
  char text[18];
  std::snprintf(text, sizeof text, "00:00:00:00:%02X:%02X", (i >> 8) & 0xFF, i & 0xFF);
  return text;
}

int SetupCost(BluezMock& mock) {
  int failures = 0;
  int cached = 0;
  for (int target : {0, 200, 1000}) {
    for (; cached < target; ++cached) mock.AddDevice("hci0", Address(cached), "Cached");
    auto scanner = blemon::bluez::MakeScanner("hci0");
    scanner->Scan(Seconds(0), {});  // warm-up
    constexpr int kScans = 20;
    std::vector<double> cpu, wall;
    for (int i = 0; i < kScans; ++i) {
      const double cpu_start = ThreadCpuMs();
      const auto wall_start = std::chrono::steady_clock::now();
      const auto result = scanner->Scan(Seconds(0), {});
      wall.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall_start)
              .count());
      cpu.push_back(ThreadCpuMs() - cpu_start);
      if (result.error) {
        std::printf("scan failed: %s\n", result.error->c_str());
        ++failures;
      }
    }
    std::sort(cpu.begin(), cpu.end());
    std::sort(wall.begin(), wall.end());
    std::printf("setup, %4d cached devices: scanner CPU %.2f ms/scan (median), wall %.1f ms\n",
                target, cpu[kScans / 2], wall[kScans / 2]);
  }
  return failures;
}

int AdvertThroughput(BluezMock& mock) {
  mock.Reset();
  mock.AddAdapter("hci0");
  constexpr int kDevices = 200;
  constexpr int kRounds = 25;
  std::vector<std::string> paths;
  for (int i = 0; i < kDevices; ++i) paths.push_back(mock.AddDevice("hci0", Address(i), "Tag"));
  // One mock call emits a whole round of adverts, so the mock is not the bottleneck it would be
  // with one D-Bus call per advert.
  mock.AddRootMethod("Burst", "asn",
                     "for p in args[0]:\n"
                     "    objects[p].EmitSignal('org.freedesktop.DBus.Properties',\n"
                     "        'PropertiesChanged', 'sa{sv}as', ['org.bluez.Device1',\n"
                     "        {'RSSI': dbus.Int16(args[1], variant_level=1)},\n"
                     "        dbus.Array([], signature='s')])\n");

  auto scanner = blemon::bluez::MakeScanner("hci0");
  double cpu_ms = 0;
  auto scan = std::async(std::launch::async, [&] {
    const double start = ThreadCpuMs();
    auto result = scanner->Scan(Seconds(3), {});
    cpu_ms = ThreadCpuMs() - start;
    return result;
  });
  if (!mock.WaitForDiscovering("hci0")) {
    std::printf("discovery never started\n");
    return 1;
  }
  const auto started = std::chrono::steady_clock::now();
  for (int round = 0; round < kRounds; ++round) {
    mock.CallRootMethod("Burst", paths, static_cast<std::int16_t>(-40 - round));
  }
  const double emit_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto result = scan.get();
  const int sent = kDevices * kRounds;
  std::printf(
      "adverts: %d sent by the mock in %.2f s (%.0f/s), %d counted, %zu devices; scanner CPU "
      "%.1f ms for the 3 s window = %.1f us/advert\n",
      sent, emit_s, sent / emit_s, result.stats.adverts, result.readings.size(), cpu_ms,
      cpu_ms * 1e3 / std::max(result.stats.adverts, 1));
  if (result.error) std::printf("scan error: %s\n", result.error->c_str());
  return result.stats.adverts == sent && !result.error ? 0 : 1;
}

}  // namespace

int main() {
  if (!BluezMock::Configured()) {
    std::printf("DBUS_SYSTEM_BUS_ADDRESS is not set: run through ctest (fixture bluez_mock)\n");
    return 1;
  }
  BluezMock mock;
  mock.Reset();
  mock.AddAdapter("hci0");
  int failures = SetupCost(mock);
  failures += AdvertThroughput(mock);
  mock.Reset();
  return failures == 0 ? 0 : 1;
}
