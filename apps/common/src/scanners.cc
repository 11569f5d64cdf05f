#include "blemon/app/scanners.h"

#include "blemon/errors.h"
#if defined(BLEMON_HAVE_SIMULATED)
#include "blemon/simulated/simulated_scanner.h"
#endif
#if defined(BLEMON_HAVE_BLUEZ)
#include "blemon/bluez/bluez_advertiser.h"
#include "blemon/bluez/bluez_scanner.h"
#endif

namespace blemon::app {

std::unique_ptr<Scanner> MakeScanner(ScannerKind kind, const Config& config, Clock& clock,
                                     FleetLister fleet) {
  if (kind == ScannerKind::kSimulated) {
#if defined(BLEMON_HAVE_SIMULATED)
    if (!fleet) return simulated::MakeScanner(config.simulation, config.monitor.location, clock);
    return simulated::MakeScanner(
        config.simulation, config.monitor.location, clock, [fleet = std::move(fleet)] {
          std::vector<simulated::SimulatedPeer> peers;
          for (const auto& m : fleet()) {
            peers.push_back(
                {.monitor_id = static_cast<std::uint32_t>(m.monitor_id), .location = m.location});
          }
          return peers;
        });
#else
    (void)fleet;
    throw Refused("this build has no simulated scanner");
#endif
  }
  (void)clock;
  (void)fleet;
#if defined(BLEMON_HAVE_BLUEZ)
  return bluez::MakeScanner(config.monitor.adapter);
#else
  (void)config;
  throw Refused(
      "this build has no BlueZ scanner (built with BLEMON_WITH_BLUEZ=OFF); use --simulate");
#endif
}

std::unique_ptr<Advertiser> MakeAdvertiser(ScannerKind kind, const Config& config) {
  if (kind != ScannerKind::kBluez || !config.monitor.advertise) return nullptr;
#if defined(BLEMON_HAVE_BLUEZ)
  return bluez::MakeAdvertiser(config.monitor.adapter);
#else
  return nullptr;
#endif
}

}  // namespace blemon::app
