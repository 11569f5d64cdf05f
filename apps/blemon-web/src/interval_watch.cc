#include "interval_watch.h"

#include <exception>

namespace blemon::web {

IntervalWatch::IntervalWatch(StorePool& pool, Seconds poll, Seconds interval)
    : pool_(pool),
      poll_(poll),
      interval_(interval),
      thread_([this](std::stop_token stop) { Run(stop); }) {}

IntervalWatch::~IntervalWatch() {
  Stop();
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

void IntervalWatch::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
}

void IntervalWatch::Record(std::optional<UtcTime> newest, UtcTime now) {
  {
    std::lock_guard lock(mutex_);
    if (!newest || (event_.interval_start && *newest <= *event_.interval_start)) return;
    const bool first = event_.sequence == 0;
    ++event_.sequence;
    event_.interval_start = newest;
    // The first answer is history (already processed before we started), not an observation.
    if (!first) {
      const double delay = static_cast<double>((now - (*newest + interval_)).count());
      ++seen_.intervals;
      seen_.delay_sum += delay;
      for (std::size_t i = 0; i < std::size(ProcessingSeen::kBuckets); ++i) {
        if (delay <= ProcessingSeen::kBuckets[i]) ++seen_.bucket_counts[i];
      }
    }
  }
  changed_.notify_all();
}

IntervalWatch::Event IntervalWatch::WaitForNewer(std::uint64_t after,
                                                 std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return stopping_ || event_.sequence > after; });
  Event event = event_;
  event.stopping = stopping_;
  return event;
}

std::uint64_t IntervalWatch::Sequence() const {
  std::lock_guard lock(mutex_);
  return event_.sequence;
}

ProcessingSeen IntervalWatch::Seen() const {
  std::lock_guard lock(mutex_);
  return seen_;
}

void IntervalWatch::Run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    try {
      const auto newest =
          pool_.With([](ReportStore& store) { return store.LatestProcessedInterval(); });
      Record(newest, std::chrono::floor<Seconds>(std::chrono::system_clock::now()));
    } catch (const std::exception&) {
      // The store is away; the API answers 503 meanwhile and the next poll tries again.
    }
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, poll_, [&] { return stopping_ || stop.stop_requested(); });
    if (stopping_) return;
  }
}

}  // namespace blemon::web
