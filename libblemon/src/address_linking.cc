#include "blemon/address_linking.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace blemon {

bool Rotates(AddressClass address_class) {
  return address_class == AddressClass::kResolvablePrivate ||
         address_class == AddressClass::kNonResolvable;
}

std::size_t LastingPrefixBytes(const ManufacturerPrefix& data) {
  constexpr std::uint16_t kApple = 0x004C;
  constexpr std::uint16_t kMicrosoft = 0x0006;
  if (data.company_id == kMicrosoft) return 4;
  if (data.company_id != kApple || data.prefix.empty()) return 3;
  switch (data.prefix.front()) {
    case 0x02:  // iBeacon
      return 8;
    case 0x07:  // Proximity Pairing
      return 5;
    case 0x10:  // Nearby Info
      return 4;
    default:
      return 3;
  }
}

PayloadSignature SignatureOf(const Reading& reading) {
  PayloadSignature signature{.address_class = reading.address_class,
                             .company_ids = reading.company_ids,
                             .manufacturers = reading.payload.manufacturer_data,
                             .service_uuids = reading.payload.service_uuids,
                             .appearance = reading.payload.appearance,
                             .tx_power = reading.tx_power};
  for (ManufacturerPrefix& m : signature.manufacturers) {
    m.prefix.resize(std::min(m.prefix.size(), LastingPrefixBytes(m)));
  }
  return signature;
}

std::optional<double> RssiPatternDistance(const std::map<MonitorId, int>& a,
                                          const std::map<MonitorId, int>& b, int unheard_rssi_dbm) {
  double sum = 0;
  int monitors = 0;
  auto i = a.begin();
  auto j = b.begin();
  const auto add = [&](int x, int y) {
    // Below the sensitivity a monitor hears nothing, so weaker readings compare as unheard.
    const double d = std::max(x, unheard_rssi_dbm) - std::max(y, unheard_rssi_dbm);
    sum += d * d;
    ++monitors;
  };
  while (i != a.end() || j != b.end()) {
    if (j == b.end() || (i != a.end() && i->first < j->first)) {
      add(i->second, unheard_rssi_dbm);
      ++i;
    } else if (i == a.end() || j->first < i->first) {
      add(unheard_rssi_dbm, j->second);
      ++j;
    } else {
      add(i->second, j->second);
      ++i;
      ++j;
    }
  }
  if (monitors == 0) return std::nullopt;
  return std::sqrt(sum / monitors);
}

void AddressLinker::Record(UtcTime interval_start, const AddressObservation& observation) {
  auto [it, inserted] = tracks_.try_emplace(observation.mac);
  Track& track = it->second;
  if (inserted) {
    track.signature = observation.signature;
    track.first_interval = interval_start;
  }
  track.last_interval = interval_start;
  track.patterns.push_back(observation.rssi_by_monitor);
}

std::map<MonitorId, int> AddressLinker::ChainPattern(const MacAddress& mac) const {
  // Unheard counts as the floor in the mean too, so a monitor at the edge of its range does not
  // look stronger than it is.
  std::map<MonitorId, long> sums;
  int patterns = 0;
  for (std::optional<MacAddress> at = mac; at && patterns < options_.chain_intervals;) {
    const Track& track = tracks_.at(*at);
    for (auto p = track.patterns.rbegin();
         p != track.patterns.rend() && patterns < options_.chain_intervals; ++p, ++patterns) {
      for (const auto& [monitor, rssi] : *p) {
        sums.try_emplace(monitor, static_cast<long>(options_.unheard_rssi_dbm) * patterns);
      }
      for (auto& [monitor, sum] : sums) {
        const auto heard = p->find(monitor);
        sum += std::max(heard == p->end() ? options_.unheard_rssi_dbm : heard->second,
                        options_.unheard_rssi_dbm);
      }
    }
    at = track.predecessor;
  }
  std::map<MonitorId, int> mean;
  for (const auto& [monitor, sum] : sums) {
    const int value =
        static_cast<int>(std::lround(static_cast<double>(sum) / static_cast<double>(patterns)));
    if (value > options_.unheard_rssi_dbm) mean[monitor] = value;
  }
  return mean;
}

std::vector<AddressLink> AddressLinker::AddInterval(
    UtcTime interval_start, Seconds interval, std::span<const AddressObservation> observations) {
  if (last_interval_ && interval_start - *last_interval_ != interval) {
    // A gap (or a repeat): nobody knows what happened in between, so nothing is linked across it.
    heard_last_.clear();
    ended_waiting_.clear();
    started_before_last_.clear();
    started_last_.clear();
  }
  std::vector<MacAddress> heard, started_now;
  for (const AddressObservation& observation : observations) {
    if (!Rotates(observation.signature.address_class)) continue;
    if (!tracks_.contains(observation.mac)) started_now.push_back(observation.mac);
    Record(interval_start, observation);
    heard.push_back(observation.mac);
  }
  std::sort(heard.begin(), heard.end());

  // The addresses that ended two intervals ago are decided now, when the addresses that may have
  // replaced them have been heard for up to two intervals: their patterns are less noisy.
  std::vector<MacAddress> started;
  for (const auto* list : {&started_before_last_, &started_last_}) {
    for (const MacAddress& mac : *list) {
      if (!tracks_.at(mac).predecessor) started.push_back(mac);
    }
  }
  std::vector<AddressLink> links = LinkEnded(ended_waiting_, started);

  ended_waiting_.clear();
  for (const MacAddress& mac : heard_last_) {
    if (!std::binary_search(heard.begin(), heard.end(), mac)) ended_waiting_.push_back(mac);
  }
  started_before_last_ = std::move(started_last_);
  started_last_ = std::move(started_now);
  heard_last_ = std::move(heard);
  last_interval_ = interval_start;
  return links;
}

namespace {

struct Candidate {
  std::size_t ended;
  std::size_t started;
  double distance;
};

// The nearest and second-nearest distance per side among the pairs still open.
struct Nearest {
  double best = std::numeric_limits<double>::infinity();
  double second = std::numeric_limits<double>::infinity();
  std::size_t partner = 0;
  void Offer(double distance, std::size_t other) {
    if (distance < best) {
      second = best;
      best = distance;
      partner = other;
    } else if (distance < second) {
      second = distance;
    }
  }
};

// Picks the pairs that are each other's nearest by the margin, repeatedly: once a clear pair is
// taken, a pair that was only ambiguous because of it may become clear.
std::vector<Candidate> ClearPairs(std::vector<Candidate> open, const LinkingOptions& options) {
  std::vector<Candidate> chosen;
  for (bool progress = true; progress && !open.empty();) {
    std::map<std::size_t, Nearest> by_ended, by_started;
    for (const Candidate& c : open) {
      by_ended[c.ended].Offer(c.distance, c.started);
      by_started[c.started].Offer(c.distance, c.ended);
    }
    progress = false;
    std::set<std::size_t> used_ended, used_started;
    for (const Candidate& c : open) {
      const Nearest& e = by_ended[c.ended];
      const Nearest& s = by_started[c.started];
      // A pair with no rival on either side may be further apart (a device turned over, or moved
      // a little): nothing else of its kind started or stopped then.
      const bool alone = std::isinf(e.second) && std::isinf(s.second);
      const double limit = alone ? options.max_lone_distance_db : options.max_distance_db;
      if (e.partner == c.started && s.partner == c.ended && c.distance <= limit &&
          e.second - c.distance >= options.min_margin_db &&
          s.second - c.distance >= options.min_margin_db) {
        chosen.push_back(c);
        used_ended.insert(c.ended);
        used_started.insert(c.started);
        progress = true;
      }
    }
    std::erase_if(open, [&](const Candidate& c) {
      return used_ended.contains(c.ended) || used_started.contains(c.started);
    });
  }
  return chosen;
}

}  // namespace

// Whether `to` can be the address a device took after `from`: the same signature, first heard
// when `from` was last heard (the rotation fell inside that scan) or later. Two addresses heard
// in one interval only are two devices, not one before and after.
bool AddressLinker::CanFollow(const Track& from, const Track& to) {
  if (to.signature != from.signature || to.first_interval < from.last_interval) return false;
  return to.first_interval > from.last_interval || from.first_interval < from.last_interval;
}

std::vector<AddressLink> AddressLinker::LinkEnded(const std::vector<MacAddress>& ended,
                                                  const std::vector<MacAddress>& started) {
  std::vector<Candidate> candidates;
  for (std::size_t e = 0; e < ended.size(); ++e) {
    const Track& from = tracks_.at(ended[e]);
    if (from.has_successor) continue;
    const std::map<MonitorId, int> from_pattern = ChainPattern(ended[e]);
    for (std::size_t s = 0; s < started.size(); ++s) {
      const Track& to = tracks_.at(started[s]);
      if (ended[e] == started[s] || !CanFollow(from, to)) continue;
      const auto distance =
          RssiPatternDistance(from_pattern, to.patterns.front(), options_.unheard_rssi_dbm);
      if (distance) candidates.push_back({e, s, *distance});
    }
  }
  std::vector<AddressLink> links;
  for (const Candidate& c : ClearPairs(std::move(candidates), options_)) {
    Track& from = tracks_.at(ended[c.ended]);
    Track& to = tracks_.at(started[c.started]);
    from.has_successor = true;
    to.predecessor = ended[c.ended];
    root_.insert_or_assign(started[c.started], EstimatedDevice(ended[c.ended]));
    links.push_back({.from = ended[c.ended],
                     .to = started[c.started],
                     .from_last_interval = from.last_interval,
                     .to_first_interval = to.first_interval,
                     .distance_db = c.distance});
  }
  return links;
}

MacAddress AddressLinker::EstimatedDevice(const MacAddress& mac) const {
  const auto it = root_.find(mac);
  return it == root_.end() ? mac : it->second;
}

}  // namespace blemon
