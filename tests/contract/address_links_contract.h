#pragma once

// The Store's address linking suite (address_links_contract.cc), instantiated per backend like
// AStore.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "store_contract.h"

namespace blemon::testing {

class ALinkingStore : public AStore {
 protected:
  void SetUp() override;
  // Stages interval `n` (from T0) as two monitors heard `heard` (MAC, RSSI at the kitchen; the
  // hall hears it 25 dB weaker), plus a public address so no interval looks unscanned, then
  // processes every interval due; counts the links added.
  void Interval(int n, const std::vector<std::pair<std::string, int>>& heard);
  // The estimated device (its MAC) stored for `mac`; empty when `mac` has no link.
  std::string EstimatedDeviceOf(const std::string& mac);
  // A reading of a resolvable private address at `rssi`, with payloads_[mac] when given.
  Reading Rotating(const std::string& mac, int rssi) const;

  std::map<std::string, AdvertPayload> payloads_;
  MonitorId kitchen_ = 0, hall_ = 0;
  int links_ = 0;
};

}  // namespace blemon::testing
