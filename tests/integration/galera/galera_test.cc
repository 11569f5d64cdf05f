// blemon against a real three-node MariaDB Galera cluster (the `galera` fixture): the processor
// lease raced by claimers on all three nodes, migrations started on all nodes at once, and a fleet
// of twenty monitors spread over the nodes while the processor's node is killed mid-interval and
// restarted. Each test prints its figures (rounds, conflicts, failover times) for docs/galera.md.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <latch>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "blemon/errors.h"
#include "blemon/mariadb/mariadb_retention_store.h"
#include "blemon/mariadb/mariadb_store.h"
#include "mariadb_test_env.h"

namespace blemon::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// The cluster of tests/peers/galera-peer.sh, as its peer.env describes it.
class GaleraCluster {
 public:
  static GaleraCluster FromEnvironment() {
    const char* dir = std::getenv("BLEMON_TEST_GALERA_DIR");
    if (dir == nullptr) {
      throw std::runtime_error(
          "BLEMON_TEST_GALERA_DIR is not set: run this test through ctest (fixture `galera`)");
    }
    return GaleraCluster(dir);
  }

  // Node `node` (1..3) alone, as the app user (or the admin).
  DatabaseSettings Node(int node, const std::string& database, bool admin = false) const {
    DatabaseSettings s;
    s.configured = true;
    s.backend = Backend::kMariaDb;
    s.host = env_.at("host");
    s.port = std::stoi(env_.at("port" + std::to_string(node)));
    s.user = env_.at(admin ? "admin_user" : "user");
    s.password = env_.at(admin ? "admin_password" : "password");
    s.database = database;
    s.connect_timeout = Seconds(5);
    return s;
  }
  // All three nodes as database.hosts, starting with `first`.
  DatabaseSettings Cluster(int first, const std::string& database, bool admin = false) const {
    DatabaseSettings s = Node(first, database, admin);
    for (int i = 0; i < 3; ++i) {
      const DatabaseSettings node = Node((first - 1 + i) % 3 + 1, database, admin);
      s.hosts.push_back({node.host, node.port});
    }
    return s;
  }
  // Runs galera-peer.sh `command` (kill, restart) on `node`; true when it succeeded.
  bool Peer(const std::string& command, int node) const {
    const std::string line = env_.at("peer_script") + " " + command + " " + std::to_string(node) +
                             " '" + env_.at("datadir") + "'";
    return std::system(line.c_str()) == 0;
  }
  std::string SetupSeconds() const { return env_.at("setup_seconds"); }
  // wsrep_cluster_size as `node` sees it; 0 when it does not answer.
  int ClusterSize(int node) const {
    try {
      TestSql sql(Node(node, "", true), false);
      return std::stoi(
          sql.Scalar("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                     "WHERE VARIABLE_NAME = 'WSREP_CLUSTER_SIZE'"));
    } catch (const std::exception&) {
      return 0;
    }
  }

 private:
  explicit GaleraCluster(const std::string& dir) : env_(MariaDbPeer::FromDirectory(dir)) {}
  MariaDbPeer env_;
};

// SQL on one node, with causal reads: what it answers includes every commit of the cluster.
std::unique_ptr<TestSql> CausalSql(const DatabaseSettings& node) {
  auto sql = std::make_unique<TestSql>(node);
  sql->Exec("SET SESSION wsrep_sync_wait = 1");
  return sql;
}

class GaleraTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = std::make_unique<GaleraCluster>(GaleraCluster::FromEnvironment());
    database_ = UniqueDatabaseName("galera");
  }
  void TearDown() override {
    TestSql(cluster_->Node(1, "", true), false).Exec("DROP DATABASE IF EXISTS `" + database_ + "`");
  }
  void MigrateOnNode1() { mariadb::Migrate(cluster_->Node(1, database_, true)); }
  // wsrep_local_cert_failures + wsrep_local_bf_aborts over the three nodes.
  long long ConflictCount() const {
    long long sum = 0;
    for (int node = 1; node <= 3; ++node) {
      TestSql sql(cluster_->Node(node, "", true), false);
      sum += std::stoll(sql.Scalar(
          "SELECT SUM(VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME "
          "IN ('WSREP_LOCAL_CERT_FAILURES', 'WSREP_LOCAL_BF_ABORTS')"));
    }
    return sum;
  }

  std::unique_ptr<GaleraCluster> cluster_;
  std::string database_;
};

class TheProcessorLeaseOnGalera : public GaleraTest {};
class MigrationsOnGalera : public GaleraTest {};
class AFleetOnGalera : public GaleraTest {};
class RetentionOnGalera : public GaleraTest {};

TEST_F(TheProcessorLeaseOnGalera, GoesToExactlyOneOfEightClaimersOnThreeNodesInEachOfFiftyRounds) {
  constexpr int kClaimers = 8;
  constexpr int kRounds = 50;
  MigrateOnNode1();
  std::vector<std::unique_ptr<Store>> stores;
  std::vector<MonitorId> ids;
  for (int i = 0; i < kClaimers; ++i) {
    // Claimer i talks to node i % 3 + 1 only: the race is between nodes, not one server's locks.
    stores.push_back(mariadb::OpenStore(cluster_->Node(i % 3 + 1, database_)));
    ids.push_back(stores.back()->RegisterMonitor({"pi-" + std::to_string(i), "", ""}));
  }
  std::vector<std::unique_ptr<TestSql>> nodes;
  for (int node = 1; node <= 3; ++node) nodes.push_back(CausalSql(cluster_->Node(node, database_)));
  const long long conflicts_before = ConflictCount();
  const auto started = SteadyClock::now();
  std::int64_t last_epoch = 0;
  std::array<int, 3> wins_per_node{};
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
    std::vector<int> winners;
    for (int i = 0; i < kClaimers; ++i) {
      if (answers[i].granted) winners.push_back(i);
    }
    ASSERT_EQ(winners.size(), 1u) << "round " << round;
    const int winner = winners[0];
    ++wins_per_node[winner % 3];
    EXPECT_GT(answers[winner].epoch, last_epoch) << "round " << round;
    last_epoch = answers[winner].epoch;
    for (int i = 0; i < kClaimers; ++i) {
      // A loser on another node may have read the row before the winner's commit reached it;
      // it never reads itself as the holder.
      if (i != winner) {
        EXPECT_NE(answers[i].holder, ids[i]) << "round " << round;
      }
    }
    // Every node agrees: the winner holds the lease under its epoch, and the seed's columns say so.
    for (auto& sql : nodes) {
      EXPECT_EQ(sql->Scalar("SELECT CONCAT(holder_monitor_id, '/', epoch) FROM processor_lease"),
                std::to_string(ids[winner]) + "/" + std::to_string(last_epoch))
          << "round " << round;
      EXPECT_EQ(sql->Scalar("SELECT GROUP_CONCAT(monitor_id) FROM monitors WHERE is_processor"),
                std::to_string(ids[winner]))
          << "round " << round;
    }
    stores[winner]->ReleaseLease(ids[winner], answers[winner].epoch);
  }
  std::printf(
      "galera lease race: %d rounds of %d claimers on 3 nodes in %.1f s, one winner each; wins "
      "by node %d/%d/%d; %lld certification failures and brute-force aborts resolved\n",
      kRounds, kClaimers, SecondsSince(started), wins_per_node[0], wins_per_node[1],
      wins_per_node[2], ConflictCount() - conflicts_before);
}

// docs/database.md, "Retention": the conversion's triggers, copy and RENAME run on node 1 while
// node 2 writes, the processor's DROP / REORGANIZE PARTITION (TOI DDL) run on node 3, and every
// node ends with the same partitions and rows.
TEST_F(RetentionOnGalera, ConvertsOnOneNodeAndDropsExpiredDaysOnAnother) {
  MigrateOnNode1();
  auto writer = mariadb::OpenStore(cluster_->Node(2, database_));
  const MonitorId m = writer->RegisterMonitor({"pi", "", ""});
  const UtcTime today = std::chrono::floor<std::chrono::days>(writer->StoreNow());
  auto stage = [&](std::int64_t seq, UtcTime at) {
    Batch batch{m, seq, at, at + Seconds(5), {}};
    batch.readings.push_back({.mac = *MacAddress::Parse("AA:BB:CC:00:00:01"),
                              .address_class = AddressClass::kPublic,
                              .rssi = -50,
                              .advert_count = 1,
                              .name = std::nullopt,
                              .tx_power = std::nullopt,
                              .company_ids = {},
                              .payload = {}});
    ASSERT_TRUE(writer->StageBatch(batch));
  };
  for (int day = 40; day >= 1; --day) stage(100 - day, today - std::chrono::days{day});
  const LeaseAnswer lease = writer->ClaimLease(m, Seconds(600));
  ASSERT_TRUE(lease.granted);
  for (UtcTime t : writer->PendingIntervals(today)) writer->ProcessInterval(t, m, lease.epoch);
  auto converter = mariadb::OpenRetentionStore(cluster_->Node(1, database_, true));
  bool first = true;
  for (const auto table : {kSightingsTable, kStagingTable}) {
    for (;;) {
      const ConversionStep step = converter->ConvertStep(table, 7);
      if (first) stage(200, today);  // written on node 2 while node 1 converts: via the triggers
      first = false;
      if (step.done()) break;
    }
  }
  for (UtcTime t : writer->PendingIntervals(today)) writer->ProcessInterval(t, m, lease.epoch);
  auto processor = mariadb::OpenRetentionStore(cluster_->Node(3, database_));
  const RetentionOutcome outcome = processor->ApplyRetention(
      RetentionSettings{.sightings_days = 30, .staging_days = 30}, m, lease.epoch, 10);
  EXPECT_GE(outcome.tables.at(0).partitions_dropped, 10);
  std::string partitions;
  for (int node = 1; node <= 3; ++node) {
    auto sql = CausalSql(cluster_->Node(node, database_));
    const std::string here = sql->Scalar(
        "SELECT GROUP_CONCAT(partition_name ORDER BY partition_ordinal_position) FROM "
        "information_schema.partitions WHERE table_schema = DATABASE() AND table_name = "
        "'device_sightings'");
    if (partitions.empty()) partitions = here;
    EXPECT_EQ(here, partitions) << "node " << node;
    EXPECT_EQ(sql->Scalar("SELECT COUNT(*) FROM device_sightings"), "31") << "node " << node;
    EXPECT_EQ(sql->Scalar("SELECT COUNT(*) FROM sighting_staging"), "31") << "node " << node;
  }
  std::printf("retention on Galera: partitions of device_sightings on every node: %s\n",
              partitions.c_str());
}

TEST_F(MigrationsOnGalera, RunOnceWhenStartedOnAllThreeNodesAtOnce) {
  // GET_LOCK is per node on Galera: with it, all three would migrate at once. The lock row lets
  // one migrate; the others wait and find the schema current.
  std::latch go(3);
  std::vector<std::future<mariadb::MigrationResult>> results;
  for (int node = 1; node <= 3; ++node) {
    results.push_back(std::async(std::launch::async, [&, node] {
      go.arrive_and_wait();
      return mariadb::Migrate(cluster_->Node(node, database_, true));
    }));
  }
  int fresh = 0;
  int latest = 0;
  for (auto& result : results) {
    const mariadb::MigrationResult r = result.get();
    if (r.from_version == -1) ++fresh;
    latest = std::max(latest, r.to_version);
  }
  EXPECT_EQ(fresh, 1) << "migrations ran on more than one node at once";
  // Each version recorded once (the primary key), the same list on every node, up to the newest.
  // (Version numbers are handed out ahead of their changes, so the list may skip some.)
  std::string versions;
  for (int node = 1; node <= 3; ++node) {
    auto sql = CausalSql(cluster_->Node(node, database_));
    const std::string here =
        sql->Scalar("SELECT GROUP_CONCAT(version ORDER BY version) FROM schema_version");
    if (versions.empty()) versions = here;
    EXPECT_EQ(here, versions) << "node " << node;
    EXPECT_EQ(sql->Scalar("SELECT MAX(version) FROM schema_version"), std::to_string(latest));
    EXPECT_EQ(sql->Scalar("SELECT COALESCE(holder, 'free') FROM schema_migration_lock"), "free");
  }
}

// --- a fleet losing a node
// ------------------------------------------------------------------------

constexpr int kMonitors = 20;
constexpr int kIntervals = 24;
constexpr int kDevices = 12;
constexpr int kProcessors = 3;
constexpr auto kPace = 500ms;  // one batch per monitor per "interval" of the test
const UtcTime kFirstInterval = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1};

UtcTime IntervalStart(int k) { return kFirstInterval + Seconds(300) * k; }
MacAddress Device(int d) { return *MacAddress::Parse(fmt::format("AA:BB:CC:00:00:{:02X}", d)); }
// Distinct over the monitors of one (device, interval), so the best is unambiguous.
int Rssi(int monitor, int device, int k) {
  return -30 - (monitor + device * 3 + k * 7) % kMonitors;
}

Batch MakeBatch(MonitorId id, int monitor, int k) {
  Batch batch{id, k + 1, IntervalStart(k), IntervalStart(k) + Seconds(5), {}};
  for (int d = 0; d < kDevices; ++d) {
    batch.readings.push_back({.mac = Device(d),
                              .address_class = AddressClass::kPublic,
                              .rssi = Rssi(monitor, d, k),
                              .advert_count = 1,
                              .name = std::nullopt,
                              .tx_power = std::nullopt,
                              .company_ids = {},
                              .payload = {}});
  }
  return batch;
}

// What the processor must have kept: per device and interval, "MAC|interval|monitor_id|rssi".
std::vector<std::string> ExpectedSightings(const std::vector<MonitorId>& ids) {
  std::vector<std::string> rows;
  for (int k = 0; k < kIntervals; ++k) {
    for (int d = 0; d < kDevices; ++d) {
      int best = 0;
      for (int m = 1; m < kMonitors; ++m) {
        if (Rssi(m, d, k) > Rssi(best, d, k)) best = m;
      }
      rows.push_back(fmt::format("{}|{}|{}|{}", Device(d).ToString(),
                                 IntervalStart(k).time_since_epoch().count(), ids[best],
                                 Rssi(best, d, k)));
    }
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

// What every processor candidate did, for the checks after the run.
struct ProcessorLog {
  std::mutex mutex;
  std::map<std::int64_t, std::set<MonitorId>> granted;  // epoch -> monitors granted under it
  std::vector<std::string> events;  // every grant and lease loss, in order, for failure messages
  SteadyClock::time_point start = SteadyClock::now();
  std::set<std::pair<MonitorId, std::int64_t>> processed_under;
  int intervals_processed = 0;
  int lease_lost = 0;
  std::atomic<MonitorId> first_holder{0};
};

// A processor candidate: claims (or renews) the lease every 300 ms, and while it holds it
// processes every pending interval, as blemon-monitor's cycle does, until `stop` and drained.
void RunProcessor(Store& store, MonitorId me, const std::atomic<bool>& stop, ProcessorLog& log) {
  for (;;) {
    try {
      const LeaseAnswer lease = store.ClaimLease(me, Seconds(8));
      if (lease.granted) {
        {
          std::lock_guard lock(log.mutex);
          log.granted[lease.epoch].insert(me);
          log.events.push_back(fmt::format("{:.2f} s: {} granted epoch {} ({} s left)",
                                           SecondsSince(log.start), me, lease.epoch,
                                           lease.remaining.count()));
        }
        MonitorId none = 0;
        log.first_holder.compare_exchange_strong(none, me);
        const auto pending = store.PendingIntervals(IntervalStart(kIntervals));
        if (stop && pending.empty()) return;
        for (const UtcTime interval : pending) {
          store.ProcessInterval(interval, me, lease.epoch);
          std::lock_guard lock(log.mutex);
          log.processed_under.insert({me, lease.epoch});
          ++log.intervals_processed;
        }
      } else if (stop) {
        return;
      }
    } catch (const LeaseLost& e) {
      std::lock_guard lock(log.mutex);
      ++log.lease_lost;
      log.events.push_back(fmt::format("{:.2f} s: {}", SecondsSince(log.start), e.what()));
    } catch (const Unavailable&) {
      // The node went away for longer than the store's own retries: try again next round.
    }
    std::this_thread::sleep_for(300ms);
  }
}

// Polls the lease row on each node (its own view, no causal wait) and records epoch -> holder.
class LeaseWatcher {
 public:
  explicit LeaseWatcher(const GaleraCluster& cluster, const std::string& database) {
    thread_ = std::thread([this, &cluster, database] {
      std::array<std::unique_ptr<TestSql>, 3> nodes;
      while (!stop_) {
        for (int n = 0; n < 3; ++n) Sample(cluster, database, n, nodes[n]);
        std::this_thread::sleep_for(100ms);
      }
    });
  }
  ~LeaseWatcher() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Epochs some node showed with more than one holder; epochs a node saw go backwards.
  std::vector<std::string> problems;
  int samples = 0;
  std::map<std::int64_t, std::string> holders;  // epoch -> holder id ("NULL" once released)

 private:
  void Sample(const GaleraCluster& cluster, const std::string& database, int n,
              std::unique_ptr<TestSql>& sql) {
    try {
      if (!sql) sql = std::make_unique<TestSql>(cluster.Node(n + 1, database));
      const auto rows = sql->Rows(
          "SELECT epoch, COALESCE(holder_monitor_id, 'NULL') FROM "
          "processor_lease WHERE lease_id = 1");
      if (rows.empty()) return;
      ++samples;
      const std::int64_t epoch = std::stoll(rows[0][0]);
      const std::string& holder = rows[0][1];
      if (epoch < last_epoch_[n]) {
        problems.push_back(
            fmt::format("node {} went back from epoch {} to {}", n + 1, last_epoch_[n], epoch));
      }
      last_epoch_[n] = epoch;
      auto [known, fresh] = holders.emplace(epoch, holder);
      if (!fresh && known->second != holder && holder != "NULL" && known->second != "NULL") {
        problems.push_back(fmt::format("epoch {} held by {} and by {} (node {})", epoch,
                                       known->second, holder, n + 1));
      }
      if (!fresh && known->second == "NULL") known->second = holder;
    } catch (const std::exception&) {
      sql.reset();  // the node is down or joining (1047): skip it until it serves again
    }
  }

  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::array<std::int64_t, 3> last_epoch_{};
};

struct MonitorFigures {
  int stored = 0;        // StageBatch said "stored"
  int already = 0;       // StageBatch said "stored before" (a resend after a lost commit)
  int unavailable = 0;   // StageBatch gave up (Unavailable); the batch was sent again
  double slowest_s = 0;  // the longest one batch took to land, retries included
};

void RunMonitor(Store& store, MonitorId id, int monitor, SteadyClock::time_point start,
                MonitorFigures& figures) {
  for (int k = 0; k < kIntervals; ++k) {
    std::this_thread::sleep_until(start + kPace * k);
    const Batch batch = MakeBatch(id, monitor, k);
    const auto sent = SteadyClock::now();
    for (;;) {
      try {
        (store.StageBatch(batch) ? figures.stored : figures.already) += 1;
        break;
      } catch (const Unavailable&) {
        // What the spool does: keep the batch, send it again later.
        ++figures.unavailable;
        std::this_thread::sleep_for(300ms);
      }
    }
    figures.slowest_s = std::max(figures.slowest_s, SecondsSince(sent));
  }
}

TEST_F(AFleetOnGalera, LosesNothingAndKeepsOneProcessorWhenANodeIsKilledMidIntervalAndRestarted) {
  MigrateOnNode1();
  // Monitors and processor candidates spread over the nodes: each lists all three, its own first.
  std::vector<std::unique_ptr<Store>> monitors, processors;
  std::vector<MonitorId> monitor_ids, processor_ids;
  for (int m = 0; m < kMonitors; ++m) {
    monitors.push_back(mariadb::OpenStore(cluster_->Cluster(m % 3 + 1, database_)));
    monitor_ids.push_back(monitors.back()->RegisterMonitor({fmt::format("pi-{:02}", m), "", ""}));
  }
  for (int p = 0; p < kProcessors; ++p) {
    processors.push_back(mariadb::OpenStore(cluster_->Cluster(p + 1, database_)));
    processor_ids.push_back(
        processors.back()->RegisterMonitor({fmt::format("proc-{}", p + 1), "", ""}));
  }

  LeaseWatcher watcher(*cluster_, database_);
  ProcessorLog log;
  std::atomic<bool> stop{false};
  std::vector<std::thread> processor_threads;
  for (int p = 0; p < kProcessors; ++p) {
    processor_threads.emplace_back(
        [&, p] { RunProcessor(*processors[p], processor_ids[p], stop, log); });
  }
  const auto start = SteadyClock::now();
  std::vector<MonitorFigures> figures(kMonitors);
  std::vector<std::thread> monitor_threads;
  for (int m = 0; m < kMonitors; ++m) {
    monitor_threads.emplace_back(
        [&, m] { RunMonitor(*monitors[m], monitor_ids[m], m, start, figures[m]); });
  }

  // Mid-interval, a quarter into the stream: kill the node the first processor started on, so the
  // processor and about a third of the monitors lose their server.
  std::this_thread::sleep_until(start + kPace * (kIntervals / 4) + kPace / 2);
  // (No ASSERT until the threads are joined: returning early would leave them running.)
  EXPECT_NE(log.first_holder.load(), 0) << "no processor took the lease in time";
  const auto holder =
      std::find(processor_ids.begin(), processor_ids.end(), log.first_holder.load());
  const int killed =
      holder == processor_ids.end() ? 1 : static_cast<int>(holder - processor_ids.begin()) + 1;
  EXPECT_TRUE(cluster_->Peer("kill", killed));
  const auto killed_at = SteadyClock::now();
  // Restart once the others have evicted it, as systemd would some seconds later: a node that
  // comes back before that waits for its old self to time out, and the cluster waits with it.
  const int survivor = killed % 3 + 1;
  while (SecondsSince(killed_at) < 30 && cluster_->ClusterSize(survivor) != 2) {
    std::this_thread::sleep_for(100ms);
  }
  const auto restarting = SteadyClock::now();
  EXPECT_TRUE(cluster_->Peer("restart", killed));
  const double restart_s = SecondsSince(restarting);

  for (auto& t : monitor_threads) t.join();
  const double stream_s = SecondsSince(start);
  stop = true;
  for (auto& t : processor_threads) t.join();
  watcher.Stop();

  // Nothing lost, nothing twice: every batch once, every row processed, the best reading of each
  // device and interval kept, identically on all three nodes.
  int stored = 0, already = 0, unavailable = 0;
  double slowest = 0;
  for (const MonitorFigures& f : figures) {
    stored += f.stored;
    already += f.already;
    unavailable += f.unavailable;
    slowest = std::max(slowest, f.slowest_s);
  }
  EXPECT_EQ(stored + already, kMonitors * kIntervals);
  const std::vector<std::string> expected = ExpectedSightings(monitor_ids);
  for (int node = 1; node <= 3; ++node) {
    auto sql = CausalSql(cluster_->Node(node, database_));
    EXPECT_EQ(sql->Scalar("SELECT COUNT(*) FROM staging_batches"),
              std::to_string(kMonitors * kIntervals))
        << "node " << node;
    EXPECT_EQ(sql->Scalar("SELECT COUNT(*) FROM sighting_staging"),
              std::to_string(kMonitors * kIntervals * kDevices))
        << "node " << node;
    EXPECT_EQ(sql->Scalar("SELECT COUNT(*) FROM sighting_staging WHERE NOT processed"), "0")
        << "node " << node;
    std::vector<std::string> kept;
    for (const auto& row :
         sql->Rows("SELECT CONCAT(b.mac_address, '|', UNIX_TIMESTAMP(ds.interval_start), '|', "
                   "ds.monitor_id, '|', ds.rssi) FROM device_sightings ds "
                   "JOIN ble_devices b ON b.device_id = ds.device_id")) {
      kept.push_back(row[0]);
    }
    std::sort(kept.begin(), kept.end());
    EXPECT_EQ(kept, expected) << "node " << node;
  }

  // One processor at all times: each epoch went to one candidate, each node saw one holder per
  // epoch and never an older epoch, and intervals were processed only under granted epochs.
  EXPECT_THAT(watcher.problems, ::testing::IsEmpty());
  for (const auto& [epoch, holders] : log.granted) {
    EXPECT_EQ(holders.size(), 1u) << "epoch " << epoch << " granted to several candidates:\n"
                                  << ::testing::PrintToString(log.events);
  }
  for (const auto& [monitor, epoch] : log.processed_under) {
    EXPECT_TRUE(log.granted[epoch].contains(monitor)) << monitor << " processed under " << epoch;
  }
  std::string epochs;
  for (const auto& [epoch, holders] : log.granted) {
    epochs += fmt::format("{}{}:proc-{}", epochs.empty() ? "" : ", ", epoch,
                          std::find(processor_ids.begin(), processor_ids.end(), *holders.begin()) -
                              processor_ids.begin() + 1);
  }
  std::printf(
      "galera node loss: %d monitors x %d batches over 3 nodes in %.1f s; node %d (the "
      "processor's) killed %.1f s in, evicted by the others %.1f s later, then restarted (IST) "
      "in %.1f s (the fixture's cluster was Synced in %s s)\n"
      "  batches: %d stored, %d found stored on resend, %d gave up once and were resent; slowest "
      "batch %.1f s (the failover a monitor saw)\n"
      "  processor: epochs %s; %d intervals processed, %d lease-lost; %d lease samples, no "
      "second holder\n",
      kMonitors, kIntervals, stream_s, killed,
      std::chrono::duration<double>(killed_at - start).count(),
      std::chrono::duration<double>(restarting - killed_at).count(), restart_s,
      cluster_->SetupSeconds().c_str(), stored, already, unavailable, slowest, epochs.c_str(),
      log.intervals_processed, log.lease_lost, watcher.samples);
}

TEST_F(AFleetOnGalera, IsToldUnavailableWhenQuorumIsLostAndStoresAgainOnceItIsBack) {
  MigrateOnNode1();
  auto store = mariadb::OpenStore(cluster_->Cluster(1, database_));
  const MonitorId id = store->RegisterMonitor({"pi-quorum", "", ""});
  ASSERT_TRUE(store->StageBatch(MakeBatch(id, 0, 0)));
  // Two of three gone: node 1 alone is a minority, leaves the primary component and refuses
  // every table with 1047. The store must neither hang nor call it a configuration problem.
  EXPECT_TRUE(cluster_->Peer("kill", 2));
  EXPECT_TRUE(cluster_->Peer("kill", 3));
  const auto killed_at = SteadyClock::now();
  bool unavailable = false;
  bool second_stored = false;
  std::string message;
  while (!unavailable && SecondsSince(killed_at) < 60) {
    try {
      store->StageBatch(MakeBatch(id, 0, 1));
      second_stored = true;  // committed before node 1 noticed: send it again
      std::this_thread::sleep_for(200ms);
    } catch (const Unavailable& e) {
      unavailable = true;
      message = e.what();
    }
  }
  const double unavailable_after = SecondsSince(killed_at);
  EXPECT_TRUE(unavailable) << "a minority node kept taking writes";
  EXPECT_THAT(message, ::testing::HasSubstr("MariaDB cluster"));
  // The operator's recovery: bootstrap the survivor, then bring the others back (IST).
  TestSql(cluster_->Node(1, "", true), false)
      .Exec("SET GLOBAL wsrep_provider_options = 'pc.bootstrap=YES'");
  const auto bootstrapped = SteadyClock::now();
  bool stored_again = false;
  while (!stored_again && SecondsSince(bootstrapped) < 30) {
    try {
      store->StageBatch(MakeBatch(id, 0, 2));
      stored_again = true;
    } catch (const Unavailable&) {
      std::this_thread::sleep_for(200ms);
    }
  }
  EXPECT_TRUE(stored_again);
  const double stored_after = SecondsSince(bootstrapped);
  EXPECT_TRUE(cluster_->Peer("restart", 2));
  EXPECT_TRUE(cluster_->Peer("restart", 3));
  for (int node = 1; node <= 3; ++node) {
    EXPECT_EQ(
        CausalSql(cluster_->Node(node, database_))
            ->Scalar("SELECT GROUP_CONCAT(batch_seq ORDER BY batch_seq) FROM staging_batches"),
        second_stored ? "1,2,3" : "1,3")
        << "node " << node;
  }
  std::printf(
      "galera quorum loss: two of three nodes killed; the store said Unavailable after %.1f s; "
      "after pc.bootstrap on the survivor it stored again in %.1f s\n  (%s)\n",
      unavailable_after, stored_after, message.c_str());
}

}  // namespace
}  // namespace blemon::testing
