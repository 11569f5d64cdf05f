#include "blemon/lease_policy.h"

#include <algorithm>

namespace blemon {

// Step down a tenth of the TTL (at least a second) early: enough to absorb steady-clock drift
// between this host and the database over one lease, small enough not to leave intervals
// unprocessed.
LeasePolicy::LeasePolicy(Seconds ttl) : ttl_(ttl), safety_margin_(std::max(Seconds{1}, ttl / 10)) {}

void LeasePolicy::OnAnswer(SteadyTime sent_at, const LeaseAnswer& answer) {
  if (!answer.granted) {
    OnLost();
    return;
  }
  epoch_ = answer.epoch;
  deadline_ = sent_at + answer.remaining - safety_margin_;
  // Renew a margin before the halfway point, so a holder with the default TTL of two intervals
  // renews every cycle rather than by the luck of scheduling jitter.
  renew_at_ = sent_at + answer.remaining / 2 - safety_margin_;
}

void LeasePolicy::OnLost() {
  deadline_.reset();
  renew_at_.reset();
}

bool LeasePolicy::IsProcessor(SteadyTime now) const { return deadline_ && now < *deadline_; }

bool LeasePolicy::ShouldRenew(SteadyTime now) const {
  return !IsProcessor(now) || !renew_at_ || now >= *renew_at_;
}

}  // namespace blemon
