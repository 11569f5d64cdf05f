#include "blemon/interval.h"

#include <fmt/format.h>

namespace blemon {
namespace {

constexpr Seconds kDay{86400};

bool Fail(std::string* why, std::string reason) {
  if (why != nullptr) *why = std::move(reason);
  return false;
}

}  // namespace

std::optional<IntervalClock> IntervalClock::Make(Seconds length, std::string* why) {
  if (length <= Seconds{0}) {
    Fail(why, fmt::format("the interval must be positive (got {})", length.count()));
    return std::nullopt;
  }
  if (kDay % length != Seconds{0}) {
    Fail(why, fmt::format("the interval must divide 86400 (got {})", length.count()));
    return std::nullopt;
  }
  return IntervalClock(length);
}

UtcTime IntervalClock::StartOf(UtcTime t) const {
  // floor, not truncation: instants before 1970 still land on the boundary below them.
  const auto since_epoch = t.time_since_epoch();
  auto floored = since_epoch / length_;
  if (since_epoch % length_ < Seconds{0}) --floored;
  return UtcTime{floored * length_};
}

std::optional<Schedule> Schedule::Make(const ScheduleConfig& config, std::string* why) {
  auto intervals = IntervalClock::Make(config.interval, why);
  if (!intervals) return std::nullopt;
  if (config.scan_offset < Seconds{0} || config.scan_duration <= Seconds{0} ||
      config.processor_wait < Seconds{0}) {
    Fail(why, "scan offset and processor wait must not be negative, the scan duration positive");
    return std::nullopt;
  }
  const Seconds busy = config.scan_offset + config.scan_duration + config.processor_wait;
  if (busy >= config.interval) {
    Fail(why, fmt::format("scan offset + scan duration + processor wait ({} s) must be shorter "
                          "than the interval ({} s)",
                          busy.count(), config.interval.count()));
    return std::nullopt;
  }
  return Schedule(*intervals, config);
}

UtcTime Schedule::NextScanStart(UtcTime now) const {
  const UtcTime this_one = intervals_.StartOf(now) + config_.scan_offset;
  return now <= this_one ? this_one : this_one + config_.interval;
}

UtcTime Schedule::ScanEnd(UtcTime interval_start) const {
  return interval_start + config_.scan_offset + config_.scan_duration;
}

UtcTime Schedule::ProcessableAt(UtcTime interval_start) const {
  return ScanEnd(interval_start) + config_.processor_wait;
}

UtcTime Schedule::LatestDueInterval(UtcTime now) const {
  // The interval that starts at `now` minus the busy part is the newest one whose processing time
  // has come.
  return intervals_.StartOf(now - config_.scan_offset - config_.scan_duration -
                            config_.processor_wait);
}

}  // namespace blemon
