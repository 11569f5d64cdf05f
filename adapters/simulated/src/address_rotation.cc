#include "address_rotation.h"

#include "hash.h"

namespace blemon::simulated {
namespace {

constexpr std::int64_t FloorDivide(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// A short-lived device's mean period is drawn from [kMinRotationMs + kJitterMs * 2,
// kMaxRotationMs - kJitterMs * 2], so with the jitter every slot stays within 7 to 15 minutes.
constexpr std::int64_t kJitterMs = 90 * 1000;

std::int64_t DrawMs(std::uint64_t h, std::int64_t lo, std::int64_t hi) {
  return lo + static_cast<std::int64_t>(Below(h, static_cast<std::uint64_t>(hi - lo + 1)));
}

std::int64_t RotationStart(const RotationSchedule& s, std::int64_t k) {
  const std::int64_t jitter =
      DrawMs(Hash(s.jitter_key, static_cast<std::uint64_t>(k)), -s.max_jitter_ms, s.max_jitter_ms);
  return s.phase_ms + k * s.mean_period_ms + jitter;
}

}  // namespace

RotationSchedule DrawRotationSchedule(std::uint64_t shape, std::uint64_t jitter_key) {
  RotationSchedule s;
  s.jitter_key = jitter_key;
  s.max_jitter_ms = kJitterMs;
  if (static_cast<int>(Below(shape, 100)) < kLongLivedAddressPercent) {
    s.mean_period_ms = DrawMs(SplitMix64(shape), kMinLongLivedMs, kMaxLongLivedMs);
  } else {
    s.mean_period_ms =
        DrawMs(SplitMix64(shape), kMinRotationMs + 2 * kJitterMs, kMaxRotationMs - 2 * kJitterMs);
  }
  s.phase_ms = DrawMs(SplitMix64(shape + 1), 0, s.mean_period_ms - 1);
  return s;
}

RotationSlot RotationSlotAt(const RotationSchedule& s, std::int64_t unix_ms) {
  // The jitter moves a start by less than half a period, so the slot is the nominal one or a
  // neighbour.
  std::int64_t k = FloorDivide(unix_ms - s.phase_ms, s.mean_period_ms);
  if (RotationStart(s, k) > unix_ms) {
    --k;
  } else if (RotationStart(s, k + 1) <= unix_ms) {
    ++k;
  }
  return {.index = k, .start_ms = RotationStart(s, k), .end_ms = RotationStart(s, k + 1)};
}

}  // namespace blemon::simulated
