#pragma once

// Knobs of the BlueZ scanner and advertiser that production leaves at their defaults and tests
// turn down, so a "BlueZ hangs" scenario costs a second of test time instead of five. Internal to
// the adapter.

#include <chrono>
#include <memory>
#include <string>

#include "blemon/ports.h"

namespace blemon::bluez::internal {

struct ScannerOptions {
  std::string adapter;  // "hci0"; empty: the first org.bluez.Adapter1
  // Budget for the D-Bus calls before the window (all of them together) and, separately, for
  // StopDiscovery after it: a stuck bluetoothd or dbus-daemon costs a scan at most the window plus
  // twice this. BlueZ answers StartDiscovery within milliseconds on a healthy controller.
  std::chrono::milliseconds call_timeout{3000};
};

std::unique_ptr<Scanner> MakeScanner(const ScannerOptions& options);
// The advertiser uses call_timeout for each of its calls (RegisterAdvertisement included).
std::unique_ptr<Advertiser> MakeAdvertiser(const ScannerOptions& options);

}  // namespace blemon::bluez::internal
