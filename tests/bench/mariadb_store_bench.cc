// MariaDB store benchmarks, against the throwaway server of the `mariadb` fixture:
//  1. staging ingest of 10,000-row batches: bulk array binding (StageBatch) vs the original tool's
//     row-by-row INSERT with autocommit, same run (targets: >= 150,000 rows/s and >= 20x);
//  2. processing one interval of 100 monitors x 2,000 devices on an empty database (<= 2 s);
//  3. the same with 10 million staging rows (and 2 million sightings) of history (<= 1.5x of 2);
//  4. the processing cost of marking the staging rows processed (issue #14, schema version 12):
//     one interval of 200,000 rows, the time until its results are committed and in total with
//     the marking, 006's procedure (marking in the transaction) vs 012's (marking deferred), same
//     run. BLEMON_BENCH_ONLY=marking (or ingest, processing) runs one part alone.
// Besides wall-clock times it prints the server's CPU seconds (from /proc): on a shared, loaded
// machine the wall clock depends on the neighbours, the server's CPU time much less.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "blemon/mariadb/mariadb_store.h"
#include "mariadb_bench_support.h"
#include "mariadb_test_env.h"

namespace blemon::testing {
namespace {

using namespace bench;
using namespace std::chrono_literals;

constexpr int kMonitors = 100;
constexpr int kDevices = 2000;

MacAddress Device(int d) {
  return MacAddress::FromBytes(
      {0x02, 0, 0, 0, static_cast<std::uint8_t>(d >> 8), static_cast<std::uint8_t>(d)});
}

Reading MakeReading(int device, int rssi) {
  return Reading{.mac = Device(device),
                 .address_class = AddressClass::kPublic,
                 .rssi = rssi,
                 .advert_count = 4,
                 .name = fmt::format("Device {}", device),
                 .tx_power = std::nullopt,
                 .company_ids = {},
                 .payload = {}};
}

struct Bench {
  MariaDbPeer peer = MariaDbPeer::FromEnvironment();
  bool all_met = true;

  DatabaseSettings FreshDatabase(const std::string& tag) {
    DatabaseSettings s = peer.Admin(UniqueDatabaseName(tag));
    mariadb::Migrate(s);
    return s;
  }
  void Drop(const DatabaseSettings& s) {
    TestSql(peer.Admin(""), false).Exec("DROP DATABASE IF EXISTS `" + s.database + "`");
  }
  void Verdict(const std::string& what, bool met) {
    fmt::print("  {:<58} {}\n", what, met ? "met" : "MISSED");
    all_met = all_met && met;
  }

  void Settle() { bench::Settle(peer); }

  void Ingest() {
    const DatabaseSettings s = FreshDatabase("bench_ingest");
    auto store = mariadb::OpenStore(s);
    const MonitorId id = store->RegisterMonitor({"bench", "", ""});
    const UtcTime t = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1} + 10h;
    constexpr int kBatchRows = 10'000;
    constexpr int kBatches = 20;
    std::vector<Batch> batches;
    for (int b = 0; b < kBatches; ++b) {
      Batch batch{id, b + 1, t + b * 300s, t + b * 300s, {}};
      for (int i = 0; i < kBatchRows; ++i) {
        batch.readings.push_back(MakeReading(i, -40 - i % 60));
      }
      batches.push_back(std::move(batch));
    }
    store->StageBatch(Batch{id, 1000, t, t, {MakeReading(1, -50)}});  // connect, prepare
    Settle();

    TestSql status(s);
    auto executes = [&status] {
      return std::stoll(status.Rows("SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'").at(0).at(1));
    };
    const long long executes_before = executes();
    const double cpu_before = ServerCpuSeconds();
    const std::clock_t client_before = std::clock();
    auto start = Clock::now();
    for (const Batch& b : batches) store->StageBatch(b);
    const double bulk_s = SecondsSince(start);
    const double client_cpu =
        static_cast<double>(std::clock() - client_before) / static_cast<double>(CLOCKS_PER_SEC);
    const double bulk_cpu = ServerCpuSeconds() - cpu_before;
    // Evidence that array binding is in use: a handful of executions, not one per row.
    const long long bulk_executes = executes() - executes_before;
    const double bulk_rate = kBatches * kBatchRows / bulk_s;

    // The original tool's way: one INSERT per reading, each committed on its own (autocommit),
    // prepared here so the comparison is about round trips and commits, not SQL parsing.
    constexpr int kBaselineRows = 2000;  // a commit (and fsync) per row is slow: fewer rows
    TestSql sql(s);
    MYSQL_STMT* stmt = mysql_stmt_init(sql.raw());
    const std::string insert =
        "INSERT INTO sighting_staging (mac_address, device_name, monitor_id, rssi, "
        "interval_start, scan_timestamp) VALUES (?, ?, ?, ?, FROM_UNIXTIME(?), NOW())";
    if (mysql_stmt_prepare(stmt, insert.data(), insert.size()) != 0) {
      throw std::runtime_error(mysql_stmt_error(stmt));
    }
    start = Clock::now();
    for (int i = 0; i < kBaselineRows; ++i) {
      std::string mac = Device(i % kDevices).ToString();
      std::string name = fmt::format("Device {}", i);
      long long monitor = id;
      int rssi = -40 - i % 60;
      long long interval = t.time_since_epoch().count() + 86400;
      unsigned long mac_len = mac.size();
      unsigned long name_len = name.size();
      MYSQL_BIND b[5] = {};
      b[0].buffer_type = MYSQL_TYPE_STRING;
      b[0].buffer = mac.data();
      b[0].length = &mac_len;
      b[1].buffer_type = MYSQL_TYPE_STRING;
      b[1].buffer = name.data();
      b[1].length = &name_len;
      b[2].buffer_type = MYSQL_TYPE_LONGLONG;
      b[2].buffer = &monitor;
      b[3].buffer_type = MYSQL_TYPE_LONG;
      b[3].buffer = &rssi;
      b[4].buffer_type = MYSQL_TYPE_LONGLONG;
      b[4].buffer = &interval;
      if (mysql_stmt_bind_param(stmt, b) != 0 || mysql_stmt_execute(stmt) != 0) {
        throw std::runtime_error(mysql_stmt_error(stmt));
      }
    }
    const double row_s = SecondsSince(start);
    mysql_stmt_close(stmt);
    const double row_rate = kBaselineRows / row_s;
    fmt::print("staging ingest, 10,000-row batches (load average {})\n", LoadAverage());
    fmt::print(
        "  bulk (StageBatch, array binding): {} batches, {:.3f} s, {:.0f} rows/s\n"
        "    {} statement executions on the server; server CPU {:.3f} s ({:.0f} rows per "
        "server-CPU-second); client CPU {:.3f} s\n",
        kBatches, bulk_s, bulk_rate, bulk_executes, bulk_cpu, kBatches * kBatchRows / bulk_cpu,
        client_cpu);
    fmt::print("  row-by-row autocommit baseline:   {} rows, {:.3f} s, {:.0f} rows/s\n",
               kBaselineRows, row_s, row_rate);
    fmt::print("  speed-up: {:.1f}x\n", bulk_rate / row_rate);
    Verdict(">= 150,000 rows/s", bulk_rate >= 150'000);
    Verdict(">= 20x the row-by-row baseline", bulk_rate >= 20 * row_rate);
    Drop(s);
  }

  struct Timing {
    double wall = 0;
    double server_cpu = 0;
  };

  // Stages 100 monitors x 2,000 devices for `interval`: every monitor hears every device, RSSI
  // random, so all 200,000 rows take part. Returns the monitors' ids.
  std::vector<MonitorId> StageInterval(Store& store, UtcTime interval, std::int64_t seq_base) {
    std::vector<MonitorId> ids;
    for (int m = 0; m < kMonitors; ++m) {
      ids.push_back(store.RegisterMonitor({fmt::format("monitor-{:03}", m), "", ""}));
    }
    std::mt19937 rng(static_cast<unsigned>(seq_base));
    std::uniform_int_distribution<int> rssi(-100, -30);
    for (int m = 0; m < kMonitors; ++m) {
      Batch batch{ids[m], seq_base + m, interval, interval + Seconds(m % 10), {}};
      for (int d = 0; d < kDevices; ++d) batch.readings.push_back(MakeReading(d, rssi(rng)));
      store.StageBatch(batch);
    }
    return ids;
  }

  // Times ProcessInterval (the processing transaction, then the deferred marking) of a staged
  // interval.
  Timing ProcessOneInterval(const DatabaseSettings& s, UtcTime interval, std::int64_t seq_base) {
    auto store = mariadb::OpenStore(s);
    const std::vector<MonitorId> ids = StageInterval(*store, interval, seq_base);
    const LeaseAnswer lease = store->ClaimLease(ids[0], Seconds(600));
    Settle();
    const double cpu_before = ServerCpuSeconds();
    const auto start = Clock::now();
    const ProcessOutcome outcome = store->ProcessInterval(interval, ids[0], lease.epoch);
    const Timing timing{SecondsSince(start), ServerCpuSeconds() - cpu_before};
    if (outcome.staging_rows != kMonitors * kDevices || outcome.sightings_changed != kDevices) {
      throw std::runtime_error(
          fmt::format("processed {} rows, {} sightings: not the whole interval",
                      outcome.staging_rows, outcome.sightings_changed));
    }
    return timing;
  }

  void GenerateHistory(const DatabaseSettings& big, UtcTime t, long long history_rows) {
    {
      // The monitors the history refers to (ProcessOneInterval registers the same names).
      auto store = mariadb::OpenStore(big);
      for (int m = 0; m < kMonitors; ++m) {
        store->RegisterMonitor({fmt::format("monitor-{:03}", m), "", ""});
      }
    }
    TestSql sql(big);
    const long long base = (t - std::chrono::days{1}).time_since_epoch().count();
    const std::string mac =
        "CONCAT('02:00:00:00:', LPAD(HEX((seq % 2000) DIV 256), 2, '0'), ':', "
        "LPAD(HEX(seq % 256), 2, '0'))";
    sql.Exec(
        fmt::format("INSERT INTO ble_devices (mac_address, device_name, first_seen, last_seen) "
                    "SELECT {}, CONCAT('Device ', seq), FROM_UNIXTIME({}), FROM_UNIXTIME({}) "
                    "FROM seq_0_to_1999",
                    mac, base - 86400 * 365, base));
    // Processed staging rows, 2,000 devices per interval going back in time, in 1M-row chunks so
    // no transaction grows huge. seq_N_to_M is MariaDB's sequence engine.
    constexpr long long kChunk = 1'000'000;
    for (long long first = 0; first < history_rows; first += kChunk) {
      const long long last = std::min(history_rows, first + kChunk) - 1;
      sql.Exec(fmt::format(
          "INSERT INTO sighting_staging (mac_address, device_name, monitor_id, rssi, "
          "interval_start, scan_timestamp, processed, batch_seq, advert_count, address_class) "
          "SELECT {0}, CONCAT('Device ', seq % 2000), 1 + seq % 100, "
          "-40 - CAST(seq % 60 AS SIGNED), FROM_UNIXTIME({1} - (seq DIV 2000) * 300), "
          "FROM_UNIXTIME({1} - (seq DIV 2000) * 300 + 5), TRUE, seq DIV 2000, 3, 'public' "
          "FROM seq_{2}_to_{3}",
          mac, base, first, last));
    }
    // The sightings those intervals produced: one per device per interval, for a fifth of them.
    sql.Exec(fmt::format(
        "INSERT INTO device_sightings (device_id, monitor_id, rssi, interval_start, interval_end, "
        "sighting_timestamp, margin_db, monitors_heard) "
        "SELECT d.device_id, 1 + (d.device_id + s.seq) % 100, -50, "
        "FROM_UNIXTIME({0} - s.seq * 300), FROM_UNIXTIME({0} - s.seq * 300 + 300), "
        "FROM_UNIXTIME({0} - s.seq * 300 + 5), 3, 4 FROM ble_devices d JOIN seq_0_to_{1} s",
        base, std::max(0LL, history_rows / 2000 / 5 - 1)));
    sql.Exec("ANALYZE TABLE sighting_staging, device_sightings, ble_devices");
  }

  // 006's blemon_process_interval, the last that marked in its transaction, created under the
  // name blemon_process_interval_006 from the migration file itself.
  static void CreateProcedureOf006(TestSql& sql) {
    std::ifstream in(std::string(BLEMON_MARIADB_SCHEMA_DIR) + "/006_rooms.sql");
    std::stringstream text;
    text << in.rdbuf();
    const std::string file = text.str();
    const std::string name = "PROCEDURE blemon_process_interval(";
    const auto begin = file.find("CREATE OR REPLACE " + name);
    const auto end = file.find("\nEND //", begin);
    if (begin == std::string::npos || end == std::string::npos) {
      throw std::runtime_error("no blemon_process_interval in 006_rooms.sql");
    }
    std::string procedure = file.substr(begin, end + 4 - begin);
    procedure.replace(procedure.find(name), name.size(), "PROCEDURE blemon_process_interval_006(");
    sql.Exec(procedure);
  }

  // One fresh database with one staged interval; returns its SQL session, READ COMMITTED as the
  // store's.
  std::unique_ptr<TestSql> StagedDatabase(const DatabaseSettings& db, UtcTime t) {
    StageInterval(*mariadb::OpenStore(db), t, 1);
    auto sql = std::make_unique<TestSql>(db);
    sql->Exec("SET SESSION tx_isolation = 'READ-COMMITTED'");
    CreateProcedureOf006(*sql);
    Settle();
    return sql;
  }

  // The statements ProcessInterval sends around the procedure, at the SQL level so the commit
  // point is measured exactly, alternating on fresh databases, three runs each:
  //  old (006): START; blemon_process_interval_006 (marks in the transaction); COMMIT
  //  new (012): START; blemon_process_interval; COMMIT (results readable) - then
  //             blemon_mark_merged, one part of 20,000 ids per transaction, until done.
  void Marking() {
    const UtcTime t = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1} + 10h;
    const std::string at = "FROM_UNIXTIME(" + std::to_string(t.time_since_epoch().count()) + ")";
    std::vector<double> old_commit, new_commit, new_total, parts, old_cpu, new_commit_cpu, new_cpu;
    std::vector<double> old_settled, new_settled;  // server CPU once InnoDB has flushed it all
    for (int run = 0; run < 3; ++run) {
      for (const bool deferred : {false, true}) {
        const DatabaseSettings db = FreshDatabase("bench_marking");
        auto sql = StagedDatabase(db, t);
        const double cpu_before = ServerCpuSeconds();
        const auto start = Clock::now();
        sql->Exec("START TRANSACTION");
        sql->Exec(fmt::format("CALL blemon_process_interval{}({}, @r, @c, @a)",
                              deferred ? "" : "_006", at));
        sql->Exec("COMMIT");
        (deferred ? new_commit : old_commit).push_back(SecondsSince(start));
        if (deferred) {
          new_commit_cpu.push_back(ServerCpuSeconds() - cpu_before);
          int calls = 0;
          do {
            sql->Exec("START TRANSACTION");
            sql->Exec("CALL blemon_mark_merged(@marked, @more)");
            sql->Exec("COMMIT");
            ++calls;
          } while (sql->Scalar("SELECT @more") == "1");
          new_total.push_back(SecondsSince(start));
          parts.push_back(calls);
        }
        (deferred ? new_cpu : old_cpu).push_back(ServerCpuSeconds() - cpu_before);
        // The work in total: what the commit leaves to InnoDB's background flushing counts too.
        Settle();
        (deferred ? new_settled : old_settled).push_back(ServerCpuSeconds() - cpu_before);
        if (sql->Scalar("SELECT @r") != std::to_string(kMonitors * kDevices) ||
            sql->Scalar("SELECT COUNT(*) FROM sighting_staging WHERE processed = FALSE") != "0" ||
            sql->Scalar("SELECT COUNT(*) FROM device_sightings") != std::to_string(kDevices)) {
          throw std::runtime_error("the interval was not processed and marked whole");
        }
        sql.reset();
        Drop(db);
      }
    }
    fmt::print("processing cost, one interval of {} staging rows, load average {}\n",
               kMonitors * kDevices, LoadAverage());
    fmt::print(
        "  old (006, marking in the transaction): commit median {:.3f} s (runs {}; "
        "server CPU {})\n",
        Median(old_commit), List(old_commit), List(old_cpu));
    fmt::print(
        "  new (012, marking deferred): commit median {:.3f} s (runs {}; server CPU {}); with "
        "the marking median {:.3f} s (runs {}; {:.0f} transactions; server CPU {})\n",
        Median(new_commit), List(new_commit), List(new_commit_cpu), Median(new_total),
        List(new_total), Median(parts), List(new_cpu));
    fmt::print(
        "  server CPU until InnoDB flushed: old median {:.2f} s ({}), new median {:.2f} s ({})\n",
        Median(old_settled), List(old_settled), Median(new_settled), List(new_settled));
    Verdict("results committed sooner than with the marking in the transaction",
            Median(new_commit) < Median(old_commit));
  }

  void Processing() {
    const UtcTime t = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1} + 10h;
    // Three runs each; the median counts, the machine being shared.
    std::vector<double> empty_wall, empty_cpu;
    for (int run = 0; run < 3; ++run) {
      const DatabaseSettings db = FreshDatabase("bench_process");
      const Timing timing = ProcessOneInterval(db, t, 1);
      empty_wall.push_back(timing.wall);
      empty_cpu.push_back(timing.server_cpu);
      Drop(db);
    }

    long long history_rows = 10'000'000;
    if (const char* env = std::getenv("BLEMON_BENCH_HISTORY_ROWS")) history_rows = std::atoll(env);
    const DatabaseSettings big = FreshDatabase("bench_history");
    const auto gen_start = Clock::now();
    GenerateHistory(big, t, history_rows);
    const double gen_s = SecondsSince(gen_start);
    TestSql sql(big);
    const std::string staged = sql.Scalar("SELECT COUNT(*) FROM sighting_staging");
    const std::string sightings = sql.Scalar("SELECT COUNT(*) FROM device_sightings");
    std::vector<double> history_wall, history_cpu;
    for (int run = 0; run < 3; ++run) {
      const Timing timing = ProcessOneInterval(big, t + run * 300s, 1 + run * 1000);
      history_wall.push_back(timing.wall);
      history_cpu.push_back(timing.server_cpu);
    }
    Drop(big);

    const double empty_s = Median(empty_wall);
    const double history_s = Median(history_wall);
    fmt::print(
        "processing one interval, {} monitors x {} devices ({} staging rows), load average {}\n",
        kMonitors, kDevices, kMonitors * kDevices, LoadAverage());
    fmt::print("  empty database: median {:.3f} s (runs {}; server CPU {})\n", empty_s,
               List(empty_wall), List(empty_cpu));
    fmt::print("  with history:   median {:.3f} s (runs {}; server CPU {}), {:.2f}x empty\n",
               history_s, List(history_wall), List(history_cpu), history_s / empty_s);
    fmt::print("    history: {} staging rows, {} sightings, generated in {:.1f} s\n", staged,
               sightings, gen_s);
    Verdict("<= 2 s on an empty database", empty_s <= 2.0);
    Verdict("<= 1.5x the empty-database time with history", history_s <= 1.5 * empty_s);
  }
};

}  // namespace
}  // namespace blemon::testing

int main() {
  try {
    blemon::testing::Bench bench;
    const char* only = std::getenv("BLEMON_BENCH_ONLY");
    const std::string part = only ? only : "";
    if (part.empty() || part == "ingest") bench.Ingest();
    if (part.empty() || part == "marking") bench.Marking();
    if (part.empty() || part == "processing") bench.Processing();
    fmt::print("{}\n", bench.all_met ? "all targets met" : "some targets MISSED");
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "benchmark failed: {}\n", e.what());
    return 1;
  }
}
