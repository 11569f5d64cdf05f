#pragma once

// Knobs of the BlueZ scanner that production leaves at their defaults and tests turn down, so a
// "BlueZ hangs" scenario costs a second of test time instead of five. Internal to the adapter.

#include <chrono>
#include <memory>
#include <string>

#include "blemon/ports.h"

namespace blemon::bluez::internal {

struct ScannerOptions {
  std::string adapter;  // "hci0"; empty: the first org.bluez.Adapter1
  // Every D-Bus method call gives up after this long, so a stuck bluetoothd costs a scan at most
  // the window plus about two of these (one call before the window, StopDiscovery after it).
  std::chrono::milliseconds call_timeout{5000};
};

std::unique_ptr<Scanner> MakeScanner(const ScannerOptions& options);

}  // namespace blemon::bluez::internal
