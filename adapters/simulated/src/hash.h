#pragma once

// Counter-based randomness for the simulated world. Every random quantity is a pure function of
// (seed, what it is about, when), never the next value of a stateful generator, so a reading does
// not depend on which scans ran before it, in which process, or in which order.

#include <cmath>
#include <cstdint>
#include <numbers>
#include <string_view>

namespace blemon::simulated {

// SplitMix64's finaliser (Steele, Lea, Flood 2014): a bijection with full avalanche, cheap enough
// to run once per advert.
constexpr std::uint64_t SplitMix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Hashes a tuple of integers. Each word is folded in through a full SplitMix64 round, so tuples
// that differ in any word (or in the order of words) give unrelated results.
constexpr std::uint64_t Hash(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0,
                             std::uint64_t c = 0, std::uint64_t d = 0) {
  std::uint64_t h = SplitMix64(seed ^ 0x6A09E667F3BCC908ULL);
  h = SplitMix64(h ^ a);
  h = SplitMix64(h ^ b);
  h = SplitMix64(h ^ c);
  return SplitMix64(h ^ d);
}

// FNV-1a over bytes, for turning names (monitor locations) into hash inputs.
constexpr std::uint64_t HashText(std::string_view text) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ULL;
  }
  return h;
}

// A double uniform in [0, 1) from the top 53 bits.
constexpr double Uniform(std::uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

// A value uniform in [lo, hi).
constexpr double Uniform(std::uint64_t h, double lo, double hi) {
  return lo + (hi - lo) * Uniform(h);
}

// An integer uniform in [0, n) (n > 0); the modulo bias is below 2^-32 for the n used here.
constexpr std::uint64_t Below(std::uint64_t h, std::uint64_t n) { return (h >> 16) % n; }

// A standard normal deviate by Box-Muller from one hash (the second uniform comes from
// rehashing it).
inline double Gaussian(std::uint64_t h) {
  const double u1 = static_cast<double>((h >> 11) + 1) * 0x1.0p-53;  // (0, 1]: log stays finite
  const double u2 = Uniform(SplitMix64(h));
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace blemon::simulated
