#include "blemon/lease_policy.h"

#include <gtest/gtest.h>

#include <queue>
#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace blemon {
namespace {

const SteadyTime kT0{Seconds{50'000}};

LeaseAnswer Granted(std::int64_t epoch, Seconds remaining, MonitorId me = 1) {
  LeaseAnswer answer;
  answer.granted = true;
  answer.epoch = epoch;
  answer.holder = me;
  answer.holder_name = "pi-hall";
  answer.remaining = remaining;
  return answer;
}

LeaseAnswer HeldBy(MonitorId other, std::int64_t epoch, Seconds remaining) {
  LeaseAnswer answer;
  answer.granted = false;
  answer.epoch = epoch;
  answer.holder = other;
  answer.holder_name = "pi-kitchen";
  answer.remaining = remaining;
  return answer;
}

TEST(ALeasePolicy, KeepsItsTtl) { EXPECT_EQ(LeasePolicy(Seconds{600}).ttl(), Seconds{600}); }

TEST(ALeasePolicy, HasASafetyMarginShorterThanTheTtl) {
  for (Seconds ttl : {Seconds{60}, Seconds{600}, Seconds{3600}}) {
    LeasePolicy policy(ttl);
    EXPECT_GT(policy.safety_margin(), Seconds{0}) << ttl.count();
    EXPECT_LT(policy.safety_margin(), ttl / 2) << ttl.count();
  }
}

TEST(ALeasePolicy, IsNotProcessorBeforeAnyAnswer) {
  LeasePolicy policy(Seconds{600});
  EXPECT_FALSE(policy.IsProcessor(kT0));
  EXPECT_TRUE(policy.ShouldRenew(kT0));
  EXPECT_EQ(policy.local_deadline(), std::nullopt);
}

TEST(ALeasePolicy, IsProcessorOnceGranted) {
  LeasePolicy policy(Seconds{600});
  policy.OnAnswer(kT0, Granted(4, Seconds{600}));
  EXPECT_TRUE(policy.IsProcessor(kT0));
  EXPECT_TRUE(policy.IsProcessor(kT0 + Seconds{300}));
  EXPECT_EQ(policy.epoch(), 4);
}

TEST(ALeasePolicy, StepsDownASafetyMarginBeforeTheLeaseCouldExpire) {
  LeasePolicy policy(Seconds{600});
  policy.OnAnswer(kT0, Granted(4, Seconds{600}));
  const SteadyTime deadline = kT0 + Seconds{600} - policy.safety_margin();
  EXPECT_EQ(policy.local_deadline(), deadline);
  EXPECT_TRUE(policy.IsProcessor(deadline - Seconds{1}));
  EXPECT_FALSE(policy.IsProcessor(deadline));
  EXPECT_FALSE(policy.IsProcessor(kT0 + Seconds{600}));
  EXPECT_FALSE(policy.IsProcessor(kT0 + Seconds{6000}));
}

TEST(ALeasePolicy, CountsTheRemainingTimeFromWhenTheClaimWasSent) {
  // The answer took a while to arrive; the deadline still counts from the send, so network delay
  // only shortens our belief.
  LeasePolicy early(Seconds{600});
  early.OnAnswer(kT0, Granted(4, Seconds{600}));
  LeasePolicy late(Seconds{600});
  late.OnAnswer(kT0 + Seconds{40}, Granted(4, Seconds{600}));
  ASSERT_TRUE(early.local_deadline().has_value());
  ASSERT_TRUE(late.local_deadline().has_value());
  EXPECT_EQ(*late.local_deadline() - *early.local_deadline(), Seconds{40});
}

TEST(ALeasePolicy, BelievesTheStoresRemainingTimeRatherThanItsOwnTtl) {
  LeasePolicy policy(Seconds{600});
  policy.OnAnswer(kT0, Granted(4, Seconds{200}));
  EXPECT_EQ(policy.local_deadline(), kT0 + Seconds{200} - policy.safety_margin());
  EXPECT_FALSE(policy.IsProcessor(kT0 + Seconds{200} - policy.safety_margin()));
}

TEST(ALeasePolicy, IsNeverProcessorOnALeaseShorterThanItsSafetyMargin) {
  LeasePolicy policy(Seconds{600});
  policy.OnAnswer(kT0, Granted(4, policy.safety_margin()));
  EXPECT_FALSE(policy.IsProcessor(kT0));
  EXPECT_TRUE(policy.ShouldRenew(kT0));
}

TEST(ALeasePolicy, IsNotProcessorWhenTheStoreRefuses) {
  LeasePolicy policy(Seconds{600});
  policy.OnAnswer(kT0, HeldBy(2, 9, Seconds{500}));
  EXPECT_FALSE(policy.IsProcessor(kT0));
  EXPECT_TRUE(policy.ShouldRenew(kT0));
}

TEST(ALeasePolicy, StepsDownAtOnceWhenARenewalIsRefused) {
  LeasePolicy policy(Seconds{600});
  policy.OnAnswer(kT0, Granted(4, Seconds{600}));
  policy.OnAnswer(kT0 + Seconds{300}, HeldBy(2, 5, Seconds{600}));
  EXPECT_FALSE(policy.IsProcessor(kT0 + Seconds{301}));
  EXPECT_TRUE(policy.ShouldRenew(kT0 + Seconds{301}));
}

TEST(ALeasePolicy, DoesNotRenewRightAfterAGrant) {
  LeasePolicy policy(Seconds{600});
  policy.OnAnswer(kT0, Granted(4, Seconds{600}));
  EXPECT_FALSE(policy.ShouldRenew(kT0));
  EXPECT_FALSE(policy.ShouldRenew(kT0 + Seconds{1}));
  // Not before half the granted time less the safety margin has passed.
  EXPECT_FALSE(policy.ShouldRenew(kT0 + Seconds{300} - policy.safety_margin() - Seconds{1}));
}

TEST(ALeasePolicy, RenewsEveryIntervalWithTheDefaultTtlOfTwoIntervals) {
  // Renewal falls due a margin before the halfway point, so a holder that renews once per
  // 300 s interval does so every cycle, not by the luck of scheduling jitter.
  LeasePolicy policy(Seconds{600});
  policy.OnAnswer(kT0, Granted(4, Seconds{600}));
  EXPECT_TRUE(policy.ShouldRenew(kT0 + Seconds{300} - policy.safety_margin()));
}

TEST(ALeasePolicy, RenewsOnceHalfTheGrantedTimeHasPassed) {
  LeasePolicy policy(Seconds{600});
  policy.OnAnswer(kT0, Granted(4, Seconds{600}));
  EXPECT_TRUE(policy.ShouldRenew(kT0 + Seconds{300}));
  // And certainly before stepping down, so a live processor never lapses.
  EXPECT_TRUE(policy.ShouldRenew(*policy.local_deadline() - Seconds{1}));
  EXPECT_TRUE(policy.IsProcessor(kT0 + Seconds{300}));
}

TEST(ALeasePolicy, ExtendsItsDeadlineOnARenewal) {
  LeasePolicy policy(Seconds{600});
  policy.OnAnswer(kT0, Granted(4, Seconds{600}));
  policy.OnAnswer(kT0 + Seconds{300}, Granted(4, Seconds{600}));
  EXPECT_EQ(policy.local_deadline(), kT0 + Seconds{900} - policy.safety_margin());
  EXPECT_TRUE(policy.IsProcessor(kT0 + Seconds{700}));
  EXPECT_FALSE(policy.ShouldRenew(kT0 + Seconds{301}));
  EXPECT_EQ(policy.epoch(), 4);
}

TEST(ALeasePolicy, TakesTheNewEpochOfANewGrant) {
  LeasePolicy policy(Seconds{600});
  policy.OnAnswer(kT0, Granted(4, Seconds{600}));
  policy.OnLost();
  policy.OnAnswer(kT0 + Seconds{10}, Granted(7, Seconds{600}));
  EXPECT_EQ(policy.epoch(), 7);
  EXPECT_TRUE(policy.IsProcessor(kT0 + Seconds{10}));
}

TEST(ALeasePolicy, StepsDownWhenFencingRejectsIt) {
  LeasePolicy policy(Seconds{600});
  policy.OnAnswer(kT0, Granted(4, Seconds{600}));
  policy.OnLost();
  EXPECT_FALSE(policy.IsProcessor(kT0 + Seconds{1}));
  EXPECT_TRUE(policy.ShouldRenew(kT0 + Seconds{1}));
}

// --- the property: two monitors never both believe they hold the lease ----------------------

// A discrete-event world: a store with its own clock (global time) and an expiring lease,
// monitors whose steady clocks are offset from it, and claims that take a random time to reach
// the store and a random time to come back. Monitors claim whenever their policy says so; some
// go silent for a while (paused, partitioned). At every second, at most one monitor may believe
// it is processor, and a believer must hold a live lease at the store.
TEST(ALeasePolicyProperty, NeverLetsTwoMonitorsBelieveTheyHoldTheLease) {
  constexpr int kMonitors = 3;
  const Seconds ttl{120};
  int handovers = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<long long> delay(0, 15);
    std::uniform_int_distribution<long long> tick(1, 40);
    std::uniform_int_distribution<long long> offset(-100'000, 100'000);
    std::bernoulli_distribution pause(0.03);

    struct Monitor {
      LeasePolicy policy{Seconds{120}};
      long long clock_offset = 0;  // steady = global + offset
      long long busy_until = 0;    // a claim is in flight, or the monitor is paused
    };
    std::vector<Monitor> monitors(kMonitors);
    for (auto& m : monitors) m.clock_offset = offset(rng);
    auto steady = [&](int m, long long global) {
      return SteadyTime{Seconds{global + monitors[m].clock_offset}};
    };

    // The store's lease, on global time.
    std::optional<MonitorId> holder;
    long long expires = 0;
    std::int64_t epoch = 0;

    // Events: (global time, kind, monitor, sent_at_global, answer). Kind 0 = claim reaches the
    // store, 1 = answer reaches the monitor.
    using Event = std::tuple<long long, int, int, long long>;
    std::priority_queue<Event, std::vector<Event>, std::greater<>> events;
    std::vector<std::optional<LeaseAnswer>> in_flight(kMonitors);
    std::optional<MonitorId> last_believer;

    for (long long now = 0; now < 20'000; ++now) {
      while (!events.empty() && std::get<0>(events.top()) <= now) {
        auto [at, kind, m, sent] = events.top();
        events.pop();
        if (kind == 0) {
          LeaseAnswer answer;
          if (!holder || expires <= at || *holder == m) {
            if (holder != m || expires <= at) ++epoch;
            holder = m;
            expires = at + ttl.count();
            answer.granted = true;
          }
          answer.epoch = epoch;
          answer.holder = holder;
          answer.remaining = Seconds{expires - at};
          in_flight[m] = answer;
          events.emplace(at + delay(rng), 1, m, sent);
        } else {
          monitors[m].policy.OnAnswer(steady(m, sent), *in_flight[m]);
          monitors[m].busy_until = now + tick(rng);
        }
      }
      for (int m = 0; m < kMonitors; ++m) {
        Monitor& monitor = monitors[m];
        if (now < monitor.busy_until) continue;
        if (pause(rng)) {
          monitor.busy_until = now + 3 * ttl.count();  // silent for a long while
          continue;
        }
        if (monitor.policy.ShouldRenew(steady(m, now))) {
          monitor.busy_until = now + 1'000'000;  // until the answer arrives
          events.emplace(now + delay(rng), 0, m, now);
        }
      }
      int believers = 0;
      for (int m = 0; m < kMonitors; ++m) {
        if (!monitors[m].policy.IsProcessor(steady(m, now))) continue;
        ++believers;
        EXPECT_EQ(holder, m) << "monitor " << m << " believes at " << now;
        EXPECT_GT(expires, now) << "monitor " << m << " believes past expiry at " << now;
        if (last_believer && *last_believer != m) ++handovers;
        last_believer = m;
      }
      ASSERT_LE(believers, 1) << "at " << now;
    }
  }
  // The world must actually move the lease between monitors, or nothing was shown.
  EXPECT_GT(handovers, 20);
}

}  // namespace
}  // namespace blemon
