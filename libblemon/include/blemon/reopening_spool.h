#pragma once

// A Spool opened on first use, and opened again on a later call when opening failed. The monitor
// wires its spool through it, so a state directory that cannot be written at start-up (a full
// disk, a read-only file system) does not stop the monitor: the cycle sends its scans straight to
// the store meanwhile (MonitorCycle's failure policy) and spools again once the file opens.

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "blemon/ports.h"

namespace blemon {

class ReopeningSpool final : public Spool {
 public:
  // `open` makes the real spool; what it throws (Unavailable, Refused) reaches the caller of the
  // call that needed the spool, and the next call tries again.
  using Opener = std::function<std::unique_ptr<Spool>()>;
  explicit ReopeningSpool(Opener open) : open_(std::move(open)) {}

  std::int64_t Append(UtcTime interval_start, UtcTime scan_time,
                      const std::vector<Reading>& readings) override {
    return Inner().Append(interval_start, scan_time, readings);
  }
  std::optional<SpooledBatch> OldestAfter(std::int64_t batch_seq) override {
    return Inner().OldestAfter(batch_seq);
  }
  void Remove(std::int64_t batch_seq) override { Inner().Remove(batch_seq); }
  int Trim(const SpoolLimits& limits, UtcTime now) override { return Inner().Trim(limits, now); }
  std::int64_t Pending() override { return Inner().Pending(); }

  bool is_open() const { return inner_ != nullptr; }

 private:
  Spool& Inner() {
    if (!inner_) inner_ = open_();
    return *inner_;
  }

  Opener open_;
  std::unique_ptr<Spool> inner_;
};

}  // namespace blemon
