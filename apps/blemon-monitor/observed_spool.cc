#include "observed_spool.h"

#include <fmt/format.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "blemon/app/log.h"

namespace blemon::monitor {
namespace {

class ObservedSpool final : public Spool {
 public:
  ObservedSpool(std::unique_ptr<Spool> inner, Logger& log)
      : inner_(std::move(inner)), log_(log), crash_before_remove_(CrashRequested()) {}

  std::int64_t Append(UtcTime interval_start, UtcTime scan_time,
                      const std::vector<Reading>& readings) override {
    const std::int64_t seq = inner_->Append(interval_start, scan_time, readings);
    log_.Log(LogLevel::kDebug, fmt::format("Spooled batch {} for interval {}: {} readings", seq,
                                           UtcLabel(interval_start), readings.size()));
    return seq;
  }

  std::optional<SpooledBatch> OldestAfter(std::int64_t batch_seq) override {
    return inner_->OldestAfter(batch_seq);
  }

  void Remove(std::int64_t batch_seq) override {
    if (crash_before_remove_) {
      // The store has committed the batch and the spool still holds it: the one moment where
      // only the (monitor_id, batch_seq) key prevents a duplicate after the restart.
      log_.Log(LogLevel::kWarning,
               fmt::format("Test fault: SIGKILL before removing batch {}", batch_seq));
      std::raise(SIGKILL);
    }
    inner_->Remove(batch_seq);
    log_.Log(LogLevel::kDebug,
             fmt::format("Batch {} committed by the store, removed from the spool", batch_seq));
  }

  int Trim(const SpoolLimits& limits, UtcTime now) override {
    const int dropped = inner_->Trim(limits, now);
    if (dropped > 0) {
      log_.Log(LogLevel::kWarning,
               fmt::format("Spool over its limits (max {} batches, max age {} s): dropped the {} "
                           "oldest batch(es)",
                           limits.max_batches, limits.max_age.count(), dropped));
    }
    return dropped;
  }

  std::int64_t Pending() override { return inner_->Pending(); }

 private:
  // Fault injection for the integration tests (tests/integration/monitor), off unless the
  // environment asks for it; documented in docs/monitor.md.
  static bool CrashRequested() {
    const char* value = std::getenv("BLEMON_TEST_KILL_BEFORE_SPOOL_REMOVE");
    return value != nullptr && std::strcmp(value, "1") == 0;
  }

  std::unique_ptr<Spool> inner_;
  Logger& log_;
  const bool crash_before_remove_;
};

}  // namespace

std::unique_ptr<Spool> ObserveSpool(std::unique_ptr<Spool> inner, Logger& log) {
  return std::make_unique<ObservedSpool>(std::move(inner), log);
}

}  // namespace blemon::monitor
