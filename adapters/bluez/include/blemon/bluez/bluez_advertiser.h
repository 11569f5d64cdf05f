#pragma once

#include <memory>
#include <string>

#include "blemon/ports.h"

namespace blemon::bluez {

// An Advertiser over BlueZ's org.bluez.LEAdvertisingManager1 on the system bus
// (DBUS_SYSTEM_BUS_ADDRESS is honoured): the monitor's beacon (blemon/beacon.h) as a broadcast
// advertisement of the adapter `adapter` names ("hci0"; empty: the first org.bluez.Adapter1).
// Construction does not touch the bus; faults surface as AdvertiseOutcome::error, and each Start
// after one reconnects. docs/bluez.md says what goes on the air.
std::unique_ptr<Advertiser> MakeAdvertiser(const std::string& adapter);

}  // namespace blemon::bluez
