#pragma once

#include <optional>
#include <string>

#include "blemon/time.h"

namespace blemon {

// Interval arithmetic in UTC. The length L must divide a day so that every monitor, whatever its
// time zone or start time, agrees on the boundaries.
class IntervalClock {
 public:
  // nullopt and a reason when `length` is not positive or does not divide 86400.
  static std::optional<IntervalClock> Make(Seconds length, std::string* why = nullptr);

  Seconds length() const { return length_; }
  // floor(t / L) * L
  UtcTime StartOf(UtcTime t) const;
  UtcTime EndOf(UtcTime interval_start) const { return interval_start + length_; }
  UtcTime NextStart(UtcTime t) const { return StartOf(t) + length_; }

 private:
  explicit IntervalClock(Seconds length) : length_(length) {}
  Seconds length_;
};

// When to scan and when an interval may be processed, from the configured timings.
struct ScheduleConfig {
  Seconds interval{300};
  Seconds scan_offset{0};
  Seconds scan_duration{10};
  Seconds processor_wait{60};
};

class Schedule {
 public:
  // nullopt and a reason when the timings do not fit in one interval (offset + duration + wait
  // must be shorter than the interval) or the interval does not divide a day.
  static std::optional<Schedule> Make(const ScheduleConfig& config, std::string* why = nullptr);

  const IntervalClock& intervals() const { return intervals_; }
  const ScheduleConfig& config() const { return config_; }

  // The start of the next scan window at or after `now`: interval_start + scan_offset. A scan whose
  // window has already begun is not joined late: the next interval's window is returned.
  UtcTime NextScanStart(UtcTime now) const;
  // The scan window of an interval ends here; processing may start `processor_wait` later.
  UtcTime ScanEnd(UtcTime interval_start) const;
  UtcTime ProcessableAt(UtcTime interval_start) const;
  // The latest interval whose scan window ended at least `processor_wait` ago, i.e. every interval
  // starting at or before the returned time is due for processing at `now`.
  UtcTime LatestDueInterval(UtcTime now) const;

 private:
  Schedule(IntervalClock intervals, ScheduleConfig config)
      : intervals_(intervals), config_(config) {}
  IntervalClock intervals_;
  ScheduleConfig config_;
};

}  // namespace blemon
