// The processor lease under real concurrency: simultaneous claims from separate connections, and
// fencing of a holder whose lease ran out.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <latch>
#include <thread>

#include "blemon/errors.h"
#include "blemon/mariadb/mariadb_store.h"
#include "mariadb_test_env.h"

namespace blemon::testing {
namespace {

using namespace std::chrono_literals;

class TheProcessorLease : public ::testing::Test {
 protected:
  void SetUp() override {
    peer_ = MariaDbPeer::FromEnvironment();
    const std::string db = UniqueDatabaseName("lease");
    mariadb::Migrate(peer_.Admin(db));
    settings_ = peer_.App(db);
    sql_ = std::make_unique<TestSql>(settings_);
  }
  void TearDown() override { sql_->Exec("DROP DATABASE `" + settings_.database + "`"); }

  MariaDbPeer peer_;
  DatabaseSettings settings_;
  std::unique_ptr<TestSql> sql_;
};

TEST_F(TheProcessorLease, GoesToExactlyOneOfEightSimultaneousClaimersInEachOfFiftyRounds) {
  constexpr int kClaimers = 8;
  constexpr int kRounds = 50;
  std::vector<std::unique_ptr<Store>> stores;
  std::vector<MonitorId> ids;
  for (int i = 0; i < kClaimers; ++i) {
    stores.push_back(mariadb::OpenStore(settings_));
    ids.push_back(stores.back()->RegisterMonitor({"pi-" + std::to_string(i), "", ""}));
  }
  std::int64_t last_epoch = 0;
  std::vector<int> wins(kClaimers);
  for (int round = 0; round < kRounds; ++round) {
    std::latch go(kClaimers);
    std::vector<LeaseAnswer> answers(kClaimers);
    std::vector<std::thread> threads;
    for (int i = 0; i < kClaimers; ++i) {
      threads.emplace_back([&, i] {
        go.arrive_and_wait();
        answers[i] = stores[i]->ClaimLease(ids[i], Seconds(600));
      });
    }
    for (auto& t : threads) t.join();
    int winner = -1;
    int granted = 0;
    for (int i = 0; i < kClaimers; ++i) {
      if (answers[i].granted) {
        ++granted;
        winner = i;
      }
    }
    ASSERT_EQ(granted, 1) << "round " << round;
    ++wins[winner];
    for (const LeaseAnswer& a : answers) {
      EXPECT_EQ(a.holder, ids[winner]) << "round " << round;
      EXPECT_EQ(a.epoch, answers[winner].epoch) << "round " << round;
    }
    EXPECT_GT(answers[winner].epoch, last_epoch);
    last_epoch = answers[winner].epoch;
    // The seed's columns agree: one processor, the winner.
    EXPECT_EQ(sql_->Scalar("SELECT GROUP_CONCAT(monitor_id) FROM monitors WHERE is_processor"),
              std::to_string(ids[winner]))
        << "round " << round;
    stores[winner]->ReleaseLease(ids[winner], answers[winner].epoch);
  }
  // Not a fairness requirement; shows the race was a race and not always the same thread.
  const int distinct =
      static_cast<int>(std::count_if(wins.begin(), wins.end(), [](int w) { return w > 0; }));
  std::printf("lease race: %d rounds, %d distinct winners\n", kRounds, distinct);
}

TEST_F(TheProcessorLease, RejectsAnExpiredHoldersProcessingByTheEpochCheck) {
  auto old_holder = mariadb::OpenStore(settings_);
  auto new_holder = mariadb::OpenStore(settings_);
  const MonitorId a = old_holder->RegisterMonitor({"old", "", ""});
  const MonitorId b = new_holder->RegisterMonitor({"new", "", ""});
  const auto t = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1} + 10h;
  Reading r{.mac = *MacAddress::Parse("AA:BB:CC:DD:EE:01"),
            .address_class = AddressClass::kPublic,
            .rssi = -50,
            .advert_count = 1,
            .name = std::nullopt,
            .tx_power = std::nullopt,
            .company_ids = {},
            .payload = {}};
  ASSERT_TRUE(old_holder->StageBatch({a, 1, t, t, {r}}));
  const LeaseAnswer stale = old_holder->ClaimLease(a, Seconds(1));
  ASSERT_TRUE(stale.granted);
  std::this_thread::sleep_for(2100ms);
  const LeaseAnswer fresh = new_holder->ClaimLease(b, Seconds(600));
  ASSERT_TRUE(fresh.granted);
  EXPECT_THROW(old_holder->ProcessInterval(t, a, stale.epoch), LeaseLost);
  EXPECT_EQ(sql_->Scalar("SELECT COUNT(*) FROM device_sightings"), "0");
  EXPECT_EQ(sql_->Scalar("SELECT COUNT(*) FROM sighting_staging WHERE processed"), "0");
  EXPECT_EQ(sql_->Scalar("SELECT monitor_name FROM monitors WHERE is_processor"), "new");
  // The old holder renewing now is refused too: the lease moved on.
  EXPECT_FALSE(old_holder->ClaimLease(a, Seconds(600)).granted);
  EXPECT_EQ(new_holder->ProcessInterval(t, b, fresh.epoch).staging_rows, 1);
}

}  // namespace
}  // namespace blemon::testing
