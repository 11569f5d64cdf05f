#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

#include "blemon/time.h"
#include "store_pool.h"

namespace blemon::web {

// What blemon-web has seen of the processor's work, polling the store for the newest processed
// interval: the delay from the end of an interval to the first poll that finds its sightings
// (resolution: the poll period), which is what a dashboard user waits. The processor's own
// durations and counts are recorded by the store (ReportStore::Processing).
struct ProcessingSeen {
  static constexpr double kBuckets[] = {5, 10, 30, 60, 120, 300, 600, 1800};  // seconds
  std::int64_t intervals = 0;                             // new newest intervals seen since start
  std::uint64_t bucket_counts[std::size(kBuckets)] = {};  // cumulative, Prometheus style
  double delay_sum = 0;
};

// The event source of /api/v1/events and the processing metrics: one thread polls
// ReportStore::LatestProcessedInterval every `poll` and wakes every waiting client when it
// changes. Thread-safe; the poll thread stops in the destructor.
class IntervalWatch {
 public:
  IntervalWatch(StorePool& pool, Seconds poll, Seconds interval);
  ~IntervalWatch();

  struct Event {
    std::uint64_t sequence = 0;  // 0: nothing seen yet
    std::optional<UtcTime> interval_start;
    bool stopping = false;  // the server is shutting down: end the stream
  };
  // The newest event; waits up to `timeout` for one newer than `after` (returns the current one
  // when the time is up or the watch stops).
  Event WaitForNewer(std::uint64_t after, std::chrono::milliseconds timeout);
  ProcessingSeen Seen() const;
  // The current event's sequence: changes whenever a newer interval is seen.
  std::uint64_t Sequence() const;
  // Marks the watch stopping: waiters return at once.
  void Stop();

  // Records a poll's answer at wall-clock `now`: the testable core of the poll thread.
  void Record(std::optional<UtcTime> newest, UtcTime now);

 private:
  void Run(std::stop_token stop);

  StorePool& pool_;
  Seconds poll_;
  Seconds interval_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  Event event_;
  ProcessingSeen seen_;
  bool stopping_ = false;
  std::jthread thread_;  // last: starts once the members above exist
};

}  // namespace blemon::web
