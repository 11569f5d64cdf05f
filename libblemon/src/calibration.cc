#include "blemon/calibration.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <utility>

namespace blemon {
namespace {

// A small dense least-squares problem: minimise |A x - b|^2 through the normal equations, solved
// by Gaussian elimination with partial pivoting. The systems here have at most a few dozen
// unknowns (one per monitor), so nothing cleverer pays.
class LeastSquares {
 public:
  explicit LeastSquares(std::size_t unknowns)
      : n_(unknowns), normal_(unknowns * unknowns, 0.0), rhs_(unknowns, 0.0) {}

  // Adds the equation sum(coefficients[i] * x[i]) = value.
  void AddRow(const std::vector<std::pair<std::size_t, double>>& coefficients, double value) {
    for (const auto& [i, ci] : coefficients) {
      rhs_[i] += ci * value;
      for (const auto& [j, cj] : coefficients) normal_[i * n_ + j] += ci * cj;
    }
  }

  // The solution, or nullopt when the equations do not determine every unknown.
  std::optional<std::vector<double>> Solve() const {
    std::vector<double> m = normal_;
    std::vector<double> x = rhs_;
    double scale = 0;
    for (double v : m) scale = std::max(scale, std::abs(v));
    for (std::size_t col = 0; col < n_; ++col) {
      std::size_t pivot = col;
      for (std::size_t row = col + 1; row < n_; ++row) {
        if (std::abs(m[row * n_ + col]) > std::abs(m[pivot * n_ + col])) pivot = row;
      }
      if (std::abs(m[pivot * n_ + col]) <= 1e-9 * std::max(scale, 1.0)) return std::nullopt;
      if (pivot != col) {
        for (std::size_t k = 0; k < n_; ++k) std::swap(m[col * n_ + k], m[pivot * n_ + k]);
        std::swap(x[col], x[pivot]);
      }
      for (std::size_t row = 0; row < n_; ++row) {
        if (row == col) continue;
        const double f = m[row * n_ + col] / m[col * n_ + col];
        if (f == 0) continue;
        for (std::size_t k = col; k < n_; ++k) m[row * n_ + k] -= f * m[col * n_ + k];
        x[row] -= f * x[col];
      }
    }
    for (std::size_t i = 0; i < n_; ++i) x[i] /= m[i * n_ + i];
    return x;
  }

 private:
  std::size_t n_;
  std::vector<double> normal_;  // A^T A, row-major
  std::vector<double> rhs_;     // A^T b
};

struct Direction {
  double sum = 0;  // of rssi - sender's TX power
  int count = 0;
  double Mean() const { return sum / count; }
};

// A pair heard both ways: the mean path-and-gain terms each way.
struct HeardPair {
  MonitorId a = 0, b = 0;  // a < b
  Direction ab, ba;        // a hears b, b hears a
};

using Directions = std::map<std::pair<MonitorId, MonitorId>, Direction>;  // (receiver, sender)

// A direction heard in fewer scans than this share of the most-heard direction is near the
// receiver's sensitivity: it is heard only when fading lifts it, so its mean is biased upward.
constexpr double kMinCoverage = 0.9;

// The pairs heard both ways, each way in enough scans to be measured without that bias.
std::vector<HeardPair> PairsHeardBothWays(const Directions& directions, int& truncated) {
  int most = 0;
  for (const auto& [key, d] : directions) most = std::max(most, d.count);
  const auto covered = [most](const Direction& d) { return d.count >= kMinCoverage * most; };
  std::vector<HeardPair> pairs;
  truncated = 0;
  for (const auto& [key, ab] : directions) {
    const auto& [a, b] = key;
    if (a >= b) continue;
    const auto ba = directions.find({b, a});
    if (ba == directions.end()) continue;
    if (covered(ab) && covered(ba->second)) {
      pairs.push_back({a, b, ab, ba->second});
    } else {
      ++truncated;
    }
  }
  return pairs;
}

// Labels each monitor with the smallest id of its connected component in `pairs`.
std::map<MonitorId, MonitorId> Components(const std::vector<HeardPair>& pairs) {
  std::map<MonitorId, MonitorId> parent;
  const auto find = [&parent](MonitorId m) {
    while (parent[m] != m) m = parent[m] = parent[parent[m]];
    return m;
  };
  for (const auto& p : pairs) {
    parent.try_emplace(p.a, p.a);
    parent.try_emplace(p.b, p.b);
    const MonitorId ra = find(p.a), rb = find(p.b);
    if (ra != rb) parent[std::max(ra, rb)] = std::min(ra, rb);
  }
  std::map<MonitorId, MonitorId> component;
  for (const auto& [m, unused] : parent) component[m] = find(m);
  return component;
}

double Rms(const std::vector<double>& values) {
  if (values.empty()) return 0;
  const double squares = std::accumulate(values.begin(), values.end(), 0.0,
                                         [](double s, double v) { return s + v * v; });
  return std::sqrt(squares / static_cast<double>(values.size()));
}

// R from the differences, mean zero within each group of monitors linked by pairs.
void FitReportingOffsets(const std::vector<HeardPair>& pairs, CalibrationFit& fit,
                         std::map<MonitorId, double>& offsets) {
  const auto component = Components(pairs);
  std::map<MonitorId, std::size_t> index;
  for (const auto& [m, unused] : component) index.emplace(m, index.size());
  LeastSquares problem(index.size());
  for (const auto& p : pairs) {
    problem.AddRow({{index[p.a], 1.0}, {index[p.b], -1.0}}, p.ab.Mean() - p.ba.Mean());
  }
  std::set<MonitorId> roots;
  for (const auto& [m, root] : component) roots.insert(root);
  for (const MonitorId root : roots) {
    std::vector<std::pair<std::size_t, double>> gauge;
    for (const auto& [m, r] : component) {
      if (r == root) gauge.emplace_back(index[m], 1.0);
    }
    problem.AddRow(gauge, 0.0);
  }
  if (roots.size() > 1) {
    fit.limits.push_back(fmt::format(
        "the monitors form {} groups that never heard each other: reporting offsets are "
        "comparable within a group only",
        roots.size()));
  }
  const auto solution = problem.Solve();
  if (!solution) return;
  for (const auto& [m, i] : index) offsets[m] = (*solution)[i];
  std::vector<double> residuals;
  for (const auto& p : pairs) {
    const double r = p.ab.Mean() - p.ba.Mean() - (offsets[p.a] - offsets[p.b]);
    residuals.push_back(r);
    fit.pairs.push_back(PairFit{.a = p.a,
                                .b = p.b,
                                .heard_ab = p.ab.count,
                                .heard_ba = p.ba.count,
                                .difference_residual_db = r,
                                .sum_residual_db = std::nullopt,
                                .distance_m = std::nullopt});
  }
  fit.difference_rms_db = Rms(residuals);
}

using PlacedPair = std::pair<const HeardPair*, PairFit*>;

// Half a pair's sum less both reporting offsets: G_A + G_B + C - 10 n log10(d).
double SumTarget(const HeardPair& p, const std::map<MonitorId, double>& offsets) {
  return (p.ab.Mean() + p.ba.Mean() - offsets.at(p.a) - offsets.at(p.b)) / 2;
}

// Least squares of G (indexed), C and n over `placed`, with mean-zero gains.
std::optional<std::vector<double>> SolveSums(const std::vector<PlacedPair>& placed,
                                             const std::map<MonitorId, std::size_t>& index,
                                             const std::map<MonitorId, double>& offsets) {
  const std::size_t c = index.size(), n = index.size() + 1;
  LeastSquares problem(index.size() + 2);
  for (const auto& [p, pf] : placed) {
    problem.AddRow({{index.at(p->a), 1.0},
                    {index.at(p->b), 1.0},
                    {c, 1.0},
                    {n, -10 * std::log10(*pf->distance_m)}},
                   SumTarget(*p, offsets));
  }
  std::vector<std::pair<std::size_t, double>> gauge;
  for (const auto& [m, i] : index) gauge.emplace_back(i, 1.0);
  problem.AddRow(gauge, 0.0);
  return problem.Solve();
}

// The sum fit uses each monitor's nearest partners only. The model knows distances but not walls;
// between neighbours there is about one wall whoever they are, a loss the fit's constant takes up,
// while far pairs differ in how many walls they cross per metre, which a fit over all pairs
// blames on the monitors' gains. (A monitor all of whose links cross fewer walls than the house's
// usual, one in an open garden, still looks louder than it is: positions alone cannot tell.)
constexpr std::size_t kSumNeighbours = 4;

std::set<std::size_t> NearestPairs(
    std::map<MonitorId, std::vector<std::pair<double, std::size_t>>>& partners) {
  std::set<std::size_t> chosen;
  for (auto& [monitor, list] : partners) {
    std::sort(list.begin(), list.end());
    for (std::size_t k = 0; k < list.size() && k < kSumNeighbours; ++k) {
      chosen.insert(list[k].second);
    }
  }
  return chosen;
}

// G, C and n from the sums of the pairs whose monitors both have positions.
void FitGains(const std::vector<HeardPair>& pairs,
              const std::map<MonitorId, MonitorPosition>& positions,
              const std::map<MonitorId, double>& offsets, CalibrationFit& fit,
              std::map<MonitorId, double>& gains) {
  // Distances of the pairs with both positions, and each monitor's partners nearest first.
  std::map<MonitorId, std::vector<std::pair<double, std::size_t>>> partners;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto pa = positions.find(pairs[i].a), pb = positions.find(pairs[i].b);
    if (pa == positions.end() || pb == positions.end()) continue;
    const double d = std::hypot(pa->second.x - pb->second.x, pa->second.y - pb->second.y);
    fit.pairs[i].distance_m = d;
    if (d < 0.1) continue;  // two monitors in one place say nothing about distance
    partners[pairs[i].a].emplace_back(d, i);
    partners[pairs[i].b].emplace_back(d, i);
  }
  std::vector<PlacedPair> placed;
  std::map<MonitorId, std::size_t> index;
  for (const std::size_t i : NearestPairs(partners)) {
    placed.emplace_back(&pairs[i], &fit.pairs[i]);
    index.try_emplace(pairs[i].a, index.size());
    index.try_emplace(pairs[i].b, index.size());
  }
  if (index.size() < 3 || placed.size() < index.size() + 1) {
    fit.limits.push_back(
        positions.empty()
            ? "no monitor has a position (monitor.position_x, position_y): gains (antenna, "
              "placement) "
              "and the path-loss exponent are not fitted, only reporting offsets"
            : fmt::format("{} pairs of monitors with positions heard each other both ways, too "
                          "few to fit gains and the path-loss exponent",
                          placed.size()));
    return;
  }
  const std::size_t c = index.size(), n = index.size() + 1;
  const auto solution = SolveSums(placed, index, offsets);
  if (!solution) {
    fit.limits.push_back("the monitors' distances do not tell gains from path loss apart");
    return;
  }
  for (const auto& [m, i] : index) gains[m] = (*solution)[i];
  fit.rssi_at_one_metre_db = (*solution)[c];
  fit.path_loss_exponent = (*solution)[n];
  std::vector<double> residuals;
  for (const auto& [p, pf] : placed) {
    const double predicted = gains[p->a] + gains[p->b] + (*solution)[c] -
                             (*solution)[n] * 10 * std::log10(*pf->distance_m);
    pf->sum_residual_db = SumTarget(*p, offsets) - predicted;
    residuals.push_back(*pf->sum_residual_db);
  }
  fit.sum_rms_db = Rms(residuals);
}

}  // namespace

CalibrationFit FitCalibration(const std::vector<BeaconObservation>& observations,
                              const std::map<MonitorId, MonitorPosition>& positions) {
  Directions directions;
  std::set<MonitorId> seen;
  for (const auto& o : observations) {
    if (o.receiver == o.sender) continue;
    Direction& d = directions[{o.receiver, o.sender}];
    d.sum += o.rssi - o.sender_tx_power;
    ++d.count;
    seen.insert(o.receiver);
    seen.insert(o.sender);
  }
  int truncated = 0;
  const auto pairs = PairsHeardBothWays(directions, truncated);
  CalibrationFit fit;
  if (truncated > 0) {
    fit.limits.push_back(fmt::format(
        "{} pairs heard both ways were heard in too few scans (near the receivers' sensitivity) "
        "and left out",
        truncated));
  }
  std::map<MonitorId, double> offsets, gains;
  FitReportingOffsets(pairs, fit, offsets);
  FitGains(pairs, positions, offsets, fit, gains);

  for (const MonitorId m : seen) {
    MonitorTerms terms{.monitor_id = m, .reporting_offset_db = {}, .gain_db = {}, .pairs = 0};
    if (const auto r = offsets.find(m); r != offsets.end()) terms.reporting_offset_db = r->second;
    if (const auto g = gains.find(m); g != gains.end()) terms.gain_db = g->second;
    terms.pairs = static_cast<int>(std::count_if(
        pairs.begin(), pairs.end(), [m](const HeardPair& p) { return p.a == m || p.b == m; }));
    if (terms.pairs == 0) {
      fit.limits.push_back(
          fmt::format("monitor {} heard no other monitor both ways: its offset is not fitted", m));
    } else if (!terms.gain_db && !positions.empty() && fit.path_loss_exponent) {
      fit.limits.push_back(fmt::format(
          "monitor {} has no position (or no placed partner): its gain is not fitted", m));
    }
    fit.monitors.push_back(terms);
  }
  return fit;
}

RssiOffsets FittedOffsets(const CalibrationFit& fit) {
  RssiOffsets out;
  for (const auto& m : fit.monitors) {
    if (!m.reporting_offset_db && !m.gain_db) continue;
    out[m.monitor_id] = static_cast<int>(std::lround(m.RssiOffsetDb() * 10));
  }
  return out;
}

RssiOffsets SmoothOffsets(const RssiOffsets& current, const RssiOffsets& fitted, double weight) {
  RssiOffsets out = current;
  for (const auto& [monitor, target] : fitted) {
    const int now = OffsetOf(current, monitor);
    out[monitor] = now + static_cast<int>(std::lround(weight * (target - now)));
  }
  return out;
}

ReferenceFit FitReference(const std::vector<WinnerSighting>& sightings,
                          const std::vector<MonitorId>& monitors) {
  std::map<MonitorId, std::vector<int>> won;
  for (const auto& s : sightings) won[s.monitor_id].push_back(s.rssi);
  std::set<MonitorId> all(monitors.begin(), monitors.end());
  for (const auto& [m, unused] : won) all.insert(m);
  ReferenceFit fit;
  for (const MonitorId m : all) {
    std::vector<int> rssi = won[m];
    if (static_cast<int>(rssi.size()) < kMinReferenceIntervals) {
      fit.limits.push_back(fmt::format(
          "monitor {} won the tag in {} interval{}: hold the tag at it for at least {} intervals",
          m, rssi.size(), rssi.size() == 1 ? "" : "s", kMinReferenceIntervals));
      continue;
    }
    std::sort(rssi.begin(), rssi.end());
    const std::size_t n = rssi.size();
    const double median = n % 2 == 1 ? rssi[n / 2] : (rssi[n / 2 - 1] + rssi[n / 2]) / 2.0;
    fit.monitors.push_back(ReferenceTerms{.monitor_id = m,
                                          .intervals = static_cast<int>(n),
                                          .one_metre_rssi_db = median,
                                          .offset_db = 0});
  }
  if (fit.monitors.empty()) return fit;
  double sum = 0;
  for (const auto& t : fit.monitors) sum += t.one_metre_rssi_db;
  fit.target_db = sum / static_cast<double>(fit.monitors.size());
  for (auto& t : fit.monitors) t.offset_db = fit.target_db - t.one_metre_rssi_db;
  if (fit.monitors.size() == 1) {
    fit.limits.push_back("only one monitor was calibrated: its offset is 0 by definition");
  }
  return fit;
}

RssiOffsets FittedOffsets(const ReferenceFit& fit) {
  RssiOffsets out;
  for (const auto& t : fit.monitors) {
    out[t.monitor_id] = static_cast<int>(std::lround(t.offset_db * 10));
  }
  return out;
}

}  // namespace blemon
