#pragma once

#include <cstdint>
#include <optional>

#include "blemon/ports.h"
#include "blemon/time.h"

namespace blemon {

// Decides, on this monitor's steady clock, whether it may act as processor. The store's answer
// says how long the lease has left by the store's clock; we count that time from the moment the
// claim was *sent* (so network delay only shortens our belief) and step down `safety_margin` before
// the lease could expire, so two monitors never both believe they hold it.
class LeasePolicy {
 public:
  explicit LeasePolicy(Seconds ttl);

  Seconds ttl() const { return ttl_; }
  Seconds safety_margin() const { return safety_margin_; }

  void OnAnswer(SteadyTime sent_at, const LeaseAnswer& answer);
  // Fencing rejected us or we released: we are not processor until a new grant.
  void OnLost();

  // Holds a granted lease that has not reached its local deadline.
  bool IsProcessor(SteadyTime now) const;
  // Renewal is due a safety margin before half the granted time has passed, and whenever we do
  // not hold the lease.
  bool ShouldRenew(SteadyTime now) const;
  std::optional<SteadyTime> local_deadline() const { return deadline_; }
  std::int64_t epoch() const { return epoch_; }

 private:
  Seconds ttl_;
  Seconds safety_margin_;
  std::int64_t epoch_ = 0;
  std::optional<SteadyTime> deadline_;
  std::optional<SteadyTime> renew_at_;
};

}  // namespace blemon
