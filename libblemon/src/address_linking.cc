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

PayloadSignature SignatureOfStaged(const MacAddress& mac, AddressClass address_class,
                                   std::optional<std::int64_t> tx_power,
                                   const PayloadColumns& columns) {
  Reading reading{.mac = mac,
                  .address_class = address_class,
                  .rssi = 0,
                  .advert_count = 0,
                  .name = std::nullopt,
                  .tx_power = std::nullopt,
                  .company_ids = {},
                  .payload = {}};
  if (tx_power) reading.tx_power = static_cast<int>(*tx_power);
  FromPayloadColumns(columns, reading);
  return SignatureOf(reading);
}

PayloadSignature SignatureOf(const Reading& reading) {
  PayloadSignature signature{.address_class = reading.address_class,
                             .device_class = ClassifyPayload(reading.payload).device_class,
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

namespace {

// The mean RSSI pattern of up to `limit` patterns, the latest first, of `mac` and then of the
// addresses it was linked from. Unheard counts as the floor in the mean too, so a monitor at the
// edge of its range does not look stronger than it is.
std::map<MonitorId, int> MeanPattern(const std::map<MacAddress, AddressHistory>& histories,
                                     const MacAddress& mac, int limit,
                                     const LinkingOptions& options) {
  std::map<MonitorId, long> sums;
  int patterns = 0;
  for (std::optional<MacAddress> at = mac; at && patterns < limit;) {
    const auto found = histories.find(*at);
    if (found == histories.end()) break;
    const AddressHistory& history = found->second;
    for (auto p = history.patterns.rbegin(); p != history.patterns.rend() && patterns < limit;
         ++p, ++patterns) {
      for (const auto& [monitor, rssi] : *p) {
        sums.try_emplace(monitor, static_cast<long>(options.unheard_rssi_dbm) * patterns);
      }
      for (auto& [monitor, sum] : sums) {
        const auto heard = p->find(monitor);
        sum += std::max(heard == p->end() ? options.unheard_rssi_dbm : heard->second,
                        options.unheard_rssi_dbm);
      }
    }
    at = history.predecessor;
  }
  std::map<MonitorId, int> mean;
  for (const auto& [monitor, sum] : sums) {
    const int value =
        static_cast<int>(std::lround(static_cast<double>(sum) / static_cast<double>(patterns)));
    if (value > options.unheard_rssi_dbm) mean[monitor] = value;
  }
  return mean;
}

// Whether `to` can be the address a device took after `from`: the same signature, first heard
// when `from` was last heard (the rotation fell inside that scan) or later. Two addresses heard
// in one interval only are two devices, not one before and after.
bool CanFollow(const AddressHistory& from, const AddressHistory& to) {
  if (to.signature != from.signature || to.first_interval < from.last_interval) return false;
  return to.first_interval > from.last_interval || from.first_interval < from.last_interval;
}

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

// The pairs of `ended` and `started` addresses that could be one device, with their distances.
std::vector<Candidate> Candidates(const std::map<MacAddress, AddressHistory>& histories,
                                  const std::vector<MacAddress>& ended,
                                  const std::vector<MacAddress>& started,
                                  const LinkingOptions& options) {
  // A new address has at most two patterns at decision time; an ended one its chain's.
  constexpr int kNewPatterns = 2;
  std::vector<std::map<MonitorId, int>> started_patterns;
  for (const MacAddress& mac : started) {
    started_patterns.push_back(MeanPattern(histories, mac, kNewPatterns, options));
  }
  std::vector<Candidate> candidates;
  for (std::size_t e = 0; e < ended.size(); ++e) {
    const AddressHistory& from = histories.at(ended[e]);
    const auto from_pattern = MeanPattern(histories, ended[e], options.chain_intervals, options);
    for (std::size_t s = 0; s < started.size(); ++s) {
      if (ended[e] == started[s] || !CanFollow(from, histories.at(started[s]))) continue;
      const auto distance =
          RssiPatternDistance(from_pattern, started_patterns[s], options.unheard_rssi_dbm);
      if (distance) candidates.push_back({e, s, *distance});
    }
  }
  return candidates;
}

}  // namespace

std::vector<AddressLink> DecideLinks(const std::map<MacAddress, AddressHistory>& histories,
                                     UtcTime now, Seconds interval, const LinkingOptions& options) {
  const UtcTime ended_at = now - 2 * interval;
  std::vector<MacAddress> ended, started;
  for (const auto& [mac, history] : histories) {
    if (!Rotates(history.signature.address_class)) continue;
    if (history.last_interval == ended_at && !history.has_successor) ended.push_back(mac);
    if (!history.predecessor && history.first_interval >= ended_at &&
        history.first_interval <= ended_at + interval) {
      started.push_back(mac);
    }
  }
  std::vector<AddressLink> links;
  for (const Candidate& c : ClearPairs(Candidates(histories, ended, started, options), options)) {
    links.push_back({.from = ended[c.ended],
                     .to = started[c.started],
                     .from_last_interval = ended_at,
                     .to_first_interval = histories.at(started[c.started]).first_interval,
                     .distance_db = c.distance});
  }
  return links;
}

std::map<MacAddress, AddressHistory> HistoriesFromStaged(std::span<const StagedSignal> readings,
                                                         std::span<const StoredLink> links) {
  std::map<MacAddress, std::map<UtcTime, std::map<MonitorId, int>>> patterns;
  std::map<MacAddress, AddressHistory> histories;
  for (const StagedSignal& r : readings) {
    auto [it, inserted] = histories.try_emplace(r.mac);
    if (inserted) {
      it->second.signature = r.signature;
      it->second.first_interval = r.interval_start;
      it->second.last_interval = r.interval_start;
    }
    it->second.first_interval = std::min(it->second.first_interval, r.interval_start);
    it->second.last_interval = std::max(it->second.last_interval, r.interval_start);
    auto [cell, fresh] = patterns[r.mac][r.interval_start].try_emplace(r.monitor_id, r.rssi);
    if (!fresh) cell->second = std::max(cell->second, r.rssi);
  }
  for (auto& [mac, history] : histories) {
    for (auto& [interval, pattern] : patterns[mac]) history.patterns.push_back(std::move(pattern));
  }
  for (const StoredLink& link : links) {
    if (auto from = histories.find(link.from); from != histories.end()) {
      from->second.has_successor = true;
    }
    if (auto to = histories.find(link.to); to != histories.end())
      to->second.predecessor = link.from;
  }
  return histories;
}

std::vector<AddressLink> AddressLinker::AddInterval(
    UtcTime interval_start, Seconds interval, std::span<const AddressObservation> observations) {
  for (const AddressObservation& observation : observations) {
    if (!Rotates(observation.signature.address_class)) continue;
    auto [it, inserted] = histories_.try_emplace(observation.mac);
    AddressHistory& history = it->second;
    if (inserted) {
      history.signature = observation.signature;
      history.first_interval = interval_start;
    }
    history.last_interval = interval_start;
    history.patterns.push_back(observation.rssi_by_monitor);
  }
  // Nobody knows what happened in a gap, so nothing is decided across one.
  const bool consecutive = recent_intervals_.size() == 2 &&
                           recent_intervals_[1] == interval_start - interval &&
                           recent_intervals_[0] == interval_start - 2 * interval;
  recent_intervals_.push_back(interval_start);
  if (recent_intervals_.size() > 2) recent_intervals_.erase(recent_intervals_.begin());
  if (!consecutive) return {};

  std::vector<AddressLink> links = DecideLinks(histories_, interval_start, interval, options_);
  for (const AddressLink& link : links) {
    histories_.at(link.from).has_successor = true;
    histories_.at(link.to).predecessor = link.from;
    root_.insert_or_assign(link.to, EstimatedDevice(link.from));
  }
  return links;
}

MacAddress AddressLinker::EstimatedDevice(const MacAddress& mac) const {
  const auto it = root_.find(mac);
  return it == root_.end() ? mac : it->second;
}

}  // namespace blemon
