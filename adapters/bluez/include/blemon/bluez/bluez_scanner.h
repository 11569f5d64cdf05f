#pragma once

#include <memory>
#include <string>

#include "blemon/ports.h"

namespace blemon::bluez {

// A Scanner over BlueZ's D-Bus API on the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured).
// `adapter` names the controller ("hci0"); empty picks the first org.bluez.Adapter1. Construction
// does not touch the bus: faults surface as ScanResult::error, and each Scan reconnects as needed.
std::unique_ptr<Scanner> MakeScanner(const std::string& adapter);

}  // namespace blemon::bluez
