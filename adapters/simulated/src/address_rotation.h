#pragma once

// When a simulated device changes its random address. Real devices do not rotate together: each
// runs its own timer from whenever it started (Core Specification Vol 3 Part C 10.7.1.2 leaves
// the period to the host, typically 15 minutes with a random part), so rotations are spread over
// time and no two are in step. Most devices here rotate every 7 to 15 minutes, the period
// differing from device to device and from one rotation to the next; a few keep one random
// address for hours (trackers and cheap devices whose stack rotates rarely).

#include <cstdint>

namespace blemon::simulated {

// A device's rotation timer. Rotation k starts at phase + k * mean_period + jitter(k), with
// |jitter(k)| <= max_jitter < mean_period / 2, so the starts are strictly increasing and a slot
// lasts mean_period ± 2 * max_jitter.
struct RotationSchedule {
  std::int64_t mean_period_ms = 0;
  std::int64_t phase_ms = 0;       // in [0, mean_period_ms)
  std::int64_t max_jitter_ms = 0;  // below mean_period_ms / 2
  std::uint64_t jitter_key = 0;    // the device's own hash stream for jitter(k)
};

// One address's lifetime: rotation `index` of the device, in [start_ms, end_ms) of UTC.
struct RotationSlot {
  std::int64_t index = 0;
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
};

// Shares and ranges of the model (documented in docs/simulation.md).
inline constexpr int kLongLivedAddressPercent = 10;  // of the rotating devices
inline constexpr std::int64_t kMinRotationMs = 7 * 60 * 1000;
inline constexpr std::int64_t kMaxRotationMs = 15 * 60 * 1000;
inline constexpr std::int64_t kMinLongLivedMs = 2 * 3600 * 1000;
inline constexpr std::int64_t kMaxLongLivedMs = 8 * 3600 * 1000;

// The schedule of a device from two independent draws of its own: `shape` picks short or long
// lived and the mean period and phase, `jitter_key` seeds the per-rotation jitter.
RotationSchedule DrawRotationSchedule(std::uint64_t shape, std::uint64_t jitter_key);

// The rotation slot containing `unix_ms`.
RotationSlot RotationSlotAt(const RotationSchedule& schedule, std::int64_t unix_ms);

}  // namespace blemon::simulated
