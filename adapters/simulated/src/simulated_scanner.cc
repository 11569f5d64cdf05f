#include "blemon/simulated/simulated_scanner.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include "world.h"

namespace blemon::simulated {
namespace {

class SimulatedScanner final : public Scanner {
 public:
  SimulatedScanner(const SimulationSettings& settings, const std::string& location, Clock& clock,
                   const std::vector<SimulatedPeer>& peers, PeerSource source)
      : world_(settings), monitor_(world_.Place(location)), clock_(clock), source_(source) {
    SetPeers(peers);
  }

  // Waits the window out first and then produces what was "heard" in the part of it that
  // actually elapsed: a scan stopped early returns the adverts up to the stop, as a radio would.
  ScanResult Scan(Seconds window, std::stop_token stop) override {
    ScanResult result;
    if (window <= Seconds::zero()) return result;
    if (stop.stop_requested()) {
      result.error = "scan stopped before it started";
      return result;
    }
    RefreshPeers();
    const UtcTime t0 = std::chrono::floor<Seconds>(clock_.UtcNow());
    const SteadyTime start = clock_.SteadyNow();
    auto heard = std::chrono::duration_cast<std::chrono::milliseconds>(window);
    if (!clock_.SleepUntil(start + window, stop)) {
      const auto elapsed =
          std::chrono::duration_cast<std::chrono::milliseconds>(clock_.SteadyNow() - start);
      heard = std::clamp(elapsed, std::chrono::milliseconds::zero(), heard);
      result.error = "scan stopped after " + std::to_string(heard.count()) + " ms of " +
                     std::to_string(window.count()) + " s";
    }

    const std::int64_t from_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(t0.time_since_epoch()).count();
    ScanAggregator aggregator;
    world_.Hear(monitor_, from_ms, from_ms + heard.count(), aggregator);
    world_.HearBeacons(monitor_, peers_, from_ms, from_ms + heard.count(), aggregator);
    result.readings = aggregator.Readings();
    result.stats = aggregator.stats();
    return result;
  }

 private:
  void SetPeers(const std::vector<SimulatedPeer>& peers) {
    peers_.clear();
    for (const auto& peer : peers) {
      peers_.push_back({.monitor_id = peer.monitor_id, .placement = world_.Place(peer.location)});
    }
  }

  // The fleet from the source, if there is one; the last list while it fails.
  void RefreshPeers() {
    if (!source_) return;
    try {
      SetPeers(source_());
    } catch (const std::exception&) {
      // The store is away: the monitors it listed last are still on the air.
    }
  }

  const World world_;
  const MonitorPlacement monitor_;
  Clock& clock_;
  PeerSource source_;
  std::vector<BeaconSender> peers_;
};

}  // namespace

std::unique_ptr<Scanner> MakeScanner(const SimulationSettings& settings,
                                     const std::string& location, Clock& clock,
                                     const std::vector<SimulatedPeer>& peers) {
  return std::make_unique<SimulatedScanner>(settings, location, clock, peers, nullptr);
}

std::unique_ptr<Scanner> MakeScanner(const SimulationSettings& settings,
                                     const std::string& location, Clock& clock, PeerSource peers) {
  return std::make_unique<SimulatedScanner>(settings, location, clock, std::vector<SimulatedPeer>{},
                                            std::move(peers));
}

}  // namespace blemon::simulated
