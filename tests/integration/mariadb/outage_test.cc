// Database outages against a private mariadbd that these tests kill and restart (never the shared
// fixture server): the store starts while the server is down, reconnects with re-prepared
// statements (so do the report and admin stores), and a batch interrupted by a crash lands exactly
// once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include "blemon/errors.h"
#include "blemon/mariadb/mariadb_report_store.h"
#include "blemon/mariadb/mariadb_store.h"
#include "mariadb_test_env.h"

namespace blemon::testing {
namespace {

using namespace std::chrono_literals;

void Peer(const std::string& command) {
  const std::string line = std::string(BLEMON_MARIADB_PEER_SCRIPT) + " " + command + " " +
                           BLEMON_MARIADB_OUTAGE_DIR + " >/dev/null";
  ASSERT_EQ(std::system(line.c_str()), 0) << line;
}

class AnOutage : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { Peer("setup"); }
  static void TearDownTestSuite() { Peer("teardown"); }

  void SetUp() override {
    Peer("start");  // a previous test may have left it down
    peer_ = MariaDbPeer::FromDirectory(BLEMON_MARIADB_OUTAGE_DIR);
    settings_ = peer_.App(UniqueDatabaseName("outage"));
    mariadb::Migrate(peer_.Admin(settings_.database));
  }

  static Batch BigBatch(MonitorId monitor, std::int64_t seq, int rows) {
    const auto t = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1} + 10h;
    Batch batch{monitor, seq, t, t, {}};
    for (int i = 0; i < rows; ++i) {
      const std::array<std::uint8_t, 6> bytes = {0x02,
                                                 0x00,
                                                 static_cast<std::uint8_t>(seq),
                                                 static_cast<std::uint8_t>(i >> 16),
                                                 static_cast<std::uint8_t>(i >> 8),
                                                 static_cast<std::uint8_t>(i)};
      batch.readings.push_back(Reading{.mac = MacAddress::FromBytes(bytes),
                                       .address_class = AddressClass::kPublic,
                                       .rssi = -40 - i % 80,
                                       .advert_count = 1,
                                       .name = "device " + std::to_string(i),
                                       .tx_power = std::nullopt,
                                       .company_ids = {},
                                       .payload = {}});
    }
    return batch;
  }

  std::string Count(const std::string& where) {
    return TestSql(settings_).Scalar("SELECT COUNT(*) FROM " + where);
  }

  MariaDbPeer peer_;
  DatabaseSettings settings_;
};

TEST_F(AnOutage, DoesNotStopAStoreFromStartingAndIsOverWhenTheServerReturns) {
  Peer("kill");
  auto store = mariadb::OpenStore(settings_);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(store->RegisterMonitor({"pi", "", ""}), Unavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s) << "a down server is reported at once";
  Peer("start");
  EXPECT_GT(store->RegisterMonitor({"pi", "", ""}), 0);
}

TEST_F(AnOutage, IsBridgedWhenTheServerRestartsBetweenCalls) {
  auto store = mariadb::OpenStore(settings_);
  const MonitorId id = store->RegisterMonitor({"pi", "", ""});
  ASSERT_TRUE(store->StageBatch(BigBatch(id, 1, 10)));
  Peer("stop");
  Peer("start");
  // The old connection and its prepared statements are dead; the store reconnects and
  // re-prepares without the caller noticing.
  EXPECT_TRUE(store->StageBatch(BigBatch(id, 2, 10)));
  EXPECT_EQ(store->PendingIntervals(BigBatch(id, 1, 0).interval_start).size(), 1u);
}

// The report and admin stores share the Store's session: a dashboard or blemon-web that outlives
// a server restart goes on without showing the outage, as the Store does.
TEST_F(AnOutage, IsBridgedForReportsAndMaintenanceWhenTheServerRestartsBetweenCalls) {
  auto store = mariadb::OpenStore(settings_);
  const MonitorId id = store->RegisterMonitor({"pi", "", ""});
  ASSERT_TRUE(store->StageBatch(BigBatch(id, 1, 10)));
  auto reports = mariadb::OpenReportStore(settings_);
  auto admin = mariadb::OpenAdminStore(settings_);
  ASSERT_EQ(reports->Backlog().size(), 1u);
  ASSERT_FALSE(admin->Lease().holder);
  Peer("stop");
  Peer("start");
  const auto backlog = reports->Backlog();
  ASSERT_EQ(backlog.size(), 1u);
  EXPECT_EQ(backlog[0].monitor_name, "pi");
  EXPECT_EQ(backlog[0].unprocessed_rows, 10);
  EXPECT_FALSE(admin->Lease().holder);
}

// The spool's view: a batch whose StageBatch failed is sent again later; whatever moment the
// crash hit (before, during or after the commit), the store must end with the batch exactly once.
TEST_F(AnOutage, LandsABatchExactlyOnceWhenTheServerIsKilledMidBatch) {
  constexpr int kRows = 30000;
  auto store = mariadb::OpenStore(settings_);
  const MonitorId id = store->RegisterMonitor({"pi", "", ""});
  int interrupted = 0;
  std::mt19937 rng(7);
  // Each round costs the store's whole reconnect backoff (about 6 s) before it gives up.
  for (int round = 1; round <= 2; ++round) {
    const Batch batch = BigBatch(id, round, kRows);
    const auto delay = std::chrono::milliseconds(std::uniform_int_distribution<int>(5, 120)(rng));
    std::thread killer([&] {
      std::this_thread::sleep_for(delay);
      Peer("kill");
    });
    bool stored = false;
    try {
      stored = store->StageBatch(batch);
    } catch (const Unavailable&) {
      ++interrupted;
    }
    killer.join();
    Peer("start");
    // Resend until the store has it, as the monitor's spool does.
    for (int attempt = 0; attempt < 5 && !stored; ++attempt) {
      try {
        store->StageBatch(batch);
        stored = true;
      } catch (const Unavailable&) {
        std::this_thread::sleep_for(500ms);
      }
    }
    ASSERT_TRUE(stored) << "round " << round;
    EXPECT_EQ(Count("sighting_staging WHERE batch_seq = " + std::to_string(round)),
              std::to_string(kRows))
        << "round " << round << ", kill after " << delay.count() << " ms";
    EXPECT_EQ(Count("staging_batches WHERE batch_seq = " + std::to_string(round)), "1");
  }
  std::printf("killed mid-batch: %d of 2 rounds interrupted a StageBatch call\n", interrupted);
  EXPECT_GT(interrupted, 0) << "no round hit the batch in flight; the test tested nothing";
}

// A crash followed by a quick restart (systemd's Restart=) within the store's reconnect backoff:
// the store retries the interrupted batch itself and the caller sees no error.
TEST_F(AnOutage, IsRetriedInsideTheStoreWhenTheServerComesBackQuickly) {
  constexpr int kRows = 30000;
  auto store = mariadb::OpenStore(settings_);
  const MonitorId id = store->RegisterMonitor({"pi", "", ""});
  const Batch batch = BigBatch(id, 9, kRows);
  std::thread crash([] {
    std::this_thread::sleep_for(30ms);
    Peer("kill");
    Peer("start");
  });
  bool threw = false;
  try {
    store->StageBatch(batch);
  } catch (const Unavailable& e) {
    threw = true;
    ADD_FAILURE() << "not bridged: " << e.what();
  }
  crash.join();
  if (threw) store->StageBatch(batch);
  EXPECT_EQ(Count("sighting_staging WHERE batch_seq = 9"), std::to_string(kRows));
  EXPECT_EQ(Count("staging_batches WHERE batch_seq = 9"), "1");
}

}  // namespace
}  // namespace blemon::testing
