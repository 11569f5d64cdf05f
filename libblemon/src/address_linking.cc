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

PayloadSignature SignatureOf(const Reading& reading) {
  PayloadSignature signature{.address_class = reading.address_class,
                             .company_ids = reading.company_ids,
                             .manufacturers = reading.payload.manufacturer_data,
                             .service_uuids = reading.payload.service_uuids,
                             .appearance = reading.payload.appearance,
                             .tx_power = reading.tx_power};
  for (ManufacturerPrefix& m : signature.manufacturers) {
    if (m.prefix.size() > kSignaturePrefixBytes) m.prefix.resize(kSignaturePrefixBytes);
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
    track.first_pattern = observation.rssi_by_monitor;
    track.first_interval = interval_start;
  }
  track.last_interval = interval_start;
  for (const auto& [monitor, rssi] : observation.rssi_by_monitor) {
    auto& [sum, count] = track.rssi_totals[monitor];
    sum += rssi;
    ++count;
  }
}

std::map<MonitorId, int> AddressLinker::MeanPattern(const Track& track) const {
  std::map<MonitorId, int> mean;
  for (const auto& [monitor, totals] : track.rssi_totals) {
    mean[monitor] = static_cast<int>(
        std::lround(static_cast<double>(totals.first) / static_cast<double>(totals.second)));
  }
  return mean;
}

std::vector<AddressLink> AddressLinker::AddInterval(
    UtcTime interval_start, Seconds interval, std::span<const AddressObservation> observations) {
  if (last_interval_ && interval_start - *last_interval_ != interval) {
    // A gap (or a repeat): nobody knows what happened in between, so nothing is linked across it.
    heard_last_.clear();
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

  std::vector<MacAddress> ended;
  for (const MacAddress& mac : heard_last_) {
    if (!std::binary_search(heard.begin(), heard.end(), mac) && !tracks_[mac].has_successor) {
      ended.push_back(mac);
    }
  }
  std::vector<MacAddress> started = started_last_;
  started.insert(started.end(), started_now.begin(), started_now.end());
  std::vector<AddressLink> links = LinkEnded(ended, started);

  started_last_.clear();
  for (const MacAddress& mac : started_now) {
    if (!tracks_[mac].has_predecessor) started_last_.push_back(mac);
  }
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
      if (e.partner == c.started && s.partner == c.ended && c.distance <= options.max_distance_db &&
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

std::vector<AddressLink> AddressLinker::LinkEnded(const std::vector<MacAddress>& ended,
                                                  const std::vector<MacAddress>& started) {
  std::vector<Candidate> candidates;
  std::vector<std::map<MonitorId, int>> ended_patterns;
  for (const MacAddress& mac : ended) ended_patterns.push_back(MeanPattern(tracks_[mac]));
  for (std::size_t e = 0; e < ended.size(); ++e) {
    const Track& from = tracks_[ended[e]];
    for (std::size_t s = 0; s < started.size(); ++s) {
      const Track& to = tracks_[started[s]];
      if (ended[e] == started[s] || to.signature != from.signature ||
          to.first_interval < from.last_interval) {
        continue;
      }
      const auto distance =
          RssiPatternDistance(ended_patterns[e], to.first_pattern, options_.unheard_rssi_dbm);
      if (distance) candidates.push_back({e, s, *distance});
    }
  }
  std::vector<AddressLink> links;
  for (const Candidate& c : ClearPairs(std::move(candidates), options_)) {
    Track& from = tracks_[ended[c.ended]];
    Track& to = tracks_[started[c.started]];
    from.has_successor = true;
    to.has_predecessor = true;
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
