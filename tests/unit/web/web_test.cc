#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "api.h"
#include "auth.h"
#include "blemon/config.h"
#include "interval_watch.h"
#include "metrics.h"
#include "reply_cache.h"

namespace blemon::web {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

UtcTime At(std::int64_t seconds) { return UtcTime(Seconds(seconds)); }

// A ReportStore with fixed answers: what the API does with parameters is the point here.
class FixedStore final : public ReportStore {
 public:
  std::vector<HourlyRow> Hourly(const ReportFilter& filter) override {
    last_filter = filter;
    return {};
  }
  std::vector<RoomHourRow> RoomHours(const ReportFilter& filter) override {
    last_filter = filter;
    return {};
  }
  std::vector<MonitorSummary> Monitors(const ReportFilter&) override { return {}; }
  std::vector<DeviceSummary> Devices(const ReportFilter& filter) override {
    last_filter = filter;
    return {};
  }
  DashboardSnapshot Snapshot(int, int) override { return snapshot; }
  std::optional<UtcTime> LatestProcessedInterval() override { return std::nullopt; }
  RoomsNow LatestRooms() override { return rooms; }
  std::vector<TrackPoint> Track(const std::string& mac, const ReportFilter&, int) override {
    last_mac = mac;
    return {};
  }
  std::vector<MonitorBacklog> Backlog() override { return backlog; }
  ProcessingHistory Processing(Seconds) override { return {}; }

  ReportFilter last_filter;
  std::string last_mac;
  DashboardSnapshot snapshot;
  RoomsNow rooms;
  std::vector<MonitorBacklog> backlog;
};

TEST(AWebConfig, DefaultsToLoopbackWithoutAuth) {
  const Config config = ParseConfig("", "t.toml");
  EXPECT_EQ(config.web.listen, "127.0.0.1");
  EXPECT_EQ(config.web.port, 8080);
  EXPECT_TRUE(config.web.auth_file.empty());
  EXPECT_LT(config.web.max_event_clients, config.web.threads);
}

TEST(AWebConfig, NamesFileLineAndKeyOfAMistake) {
  try {
    ParseConfig("[web]\nlisten = \"::\"\nport = \"80\"\n", "t.toml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 3);
    EXPECT_EQ(e.key(), "web.port");
  }
  EXPECT_THROW(ParseConfig("[web]\ntls_key = \"k.pem\"\n", "t.toml"), ConfigError);
  EXPECT_THROW(ParseConfig("[web]\nthreads = 2\nmax_event_clients = 2\n", "t.toml"), ConfigError);
}

TEST(Credentials, AcceptBasicAndBearerAndNothingElse) {
  const auto credentials =
      Credentials::Parse("# who\n\nbasic alice:pa ss:word\nbearer abcdefghijklmnop\n", "auth");
  EXPECT_TRUE(credentials.Accepts("Basic YWxpY2U6cGEgc3M6d29yZA=="));  // alice:pa ss:word
  EXPECT_TRUE(credentials.Accepts("Bearer abcdefghijklmnop"));
  EXPECT_FALSE(credentials.Accepts("Basic YWxpY2U6cGEgc3M="));  // alice:pa ss
  EXPECT_FALSE(credentials.Accepts("Bearer abcdefghijklmno"));
  EXPECT_FALSE(credentials.Accepts("Bearer abcdefghijklmnopq"));
  EXPECT_FALSE(credentials.Accepts("Basic !!!"));
  EXPECT_FALSE(credentials.Accepts(""));
  EXPECT_FALSE(credentials.Accepts("Digest abcdefghijklmnop"));
}

TEST(Credentials, RejectAMalformedLineByNumber) {
  try {
    Credentials::Parse("basic alice:x\nalice:x\n", "auth");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 2);
    EXPECT_EQ(e.key(), "web.auth_file");
  }
  EXPECT_THROW(Credentials::Parse("bearer short\n", "auth"), ConfigError);
  EXPECT_THROW(Credentials::Parse("# nobody\n", "auth"), ConfigError);
}

TEST(Metrics, EscapeMonitorNamesAndCountBacklogPerMonitor) {
  DashboardSnapshot snapshot;
  snapshot.store_now = At(1000);
  DashboardMonitor monitor;
  monitor.monitor_name = "a\"b\\c\nd";
  monitor.is_active = true;
  monitor.last_seen = At(940);
  snapshot.monitors.push_back(monitor);
  snapshot.lease.holder = 1;
  snapshot.lease.holder_name = "a\"b\\c\nd";
  snapshot.lease.epoch = 7;
  snapshot.lease.expires_at = At(1600);
  snapshot.lease.store_now = At(1000);
  snapshot.unprocessed_rows = 12;
  const std::string text = MetricsText(snapshot, {{"a\"b\\c\nd", 12}}, {}, {});
  EXPECT_THAT(text,
              HasSubstr("blemon_monitor_last_seen_age_seconds{monitor=\"a\\\"b\\\\c\\nd\"} 60\n"));
  EXPECT_THAT(text, HasSubstr("blemon_monitor_readings_staged{monitor=\"a\\\"b\\\\c\\nd\"} 12\n"));
  EXPECT_THAT(text, HasSubstr("blemon_processor_lease_epoch 7\n"));
  EXPECT_THAT(text, HasSubstr("blemon_processor_lease_expires_in_seconds 600\n"));
  EXPECT_THAT(text, HasSubstr("blemon_processing_delay_seconds_bucket{le=\"+Inf\"} 0\n"));
}

TEST(Metrics, ExportTheProcessorsRecordedRunsAsCountersAndAHistogram) {
  ProcessingHistory runs;
  runs.runs = 3;
  runs.late = 1;
  runs.duration_seconds = 4.75;
  runs.at_most = {1, 1, 2, 2, 2, 2, 3, 3, 3};  // 0.1 s, 0.5 s and 7.5 s (say)
  const std::string text = MetricsText(DashboardSnapshot{}, {}, runs, {});
  EXPECT_THAT(text, HasSubstr("# TYPE blemon_intervals_processed_total counter\n"
                              "blemon_intervals_processed_total 3\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE blemon_intervals_late_total counter\n"
                              "blemon_intervals_late_total 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE blemon_processing_duration_seconds histogram\n"
                              "blemon_processing_duration_seconds_bucket{le=\"0.1\"} 1\n"
                              "blemon_processing_duration_seconds_bucket{le=\"0.25\"} 1\n"
                              "blemon_processing_duration_seconds_bucket{le=\"0.5\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("blemon_processing_duration_seconds_bucket{le=\"10\"} 3\n"
                              "blemon_processing_duration_seconds_bucket{le=\"30\"} 3\n"
                              "blemon_processing_duration_seconds_bucket{le=\"60\"} 3\n"
                              "blemon_processing_duration_seconds_bucket{le=\"+Inf\"} 3\n"
                              "blemon_processing_duration_seconds_sum 4.75\n"
                              "blemon_processing_duration_seconds_count 3\n"));
}

TEST(AnIntervalWatch, CountsNewIntervalsAfterTheFirstAndTheLateOnes) {
  StorePool pool([]() -> std::unique_ptr<ReportStore> { return std::make_unique<FixedStore>(); });
  IntervalWatch watch(pool, Seconds(3600), Seconds(300));
  watch.Record(At(0), At(10'000));       // history: not an observation
  watch.Record(At(300), At(600 + 20));   // 20 s after its end
  watch.Record(At(300), At(900));        // the same interval again: nothing new
  watch.Record(At(600), At(900 + 400));  // 400 s after its end
  const ProcessingSeen seen = watch.Seen();
  EXPECT_EQ(seen.intervals, 2);
  EXPECT_EQ(seen.bucket_counts[2], 1u);  // le 30
  EXPECT_EQ(seen.bucket_counts[6], 2u);  // le 600
  EXPECT_DOUBLE_EQ(seen.delay_sum, 420);
  const auto event = watch.WaitForNewer(0, std::chrono::milliseconds(0));
  EXPECT_EQ(event.sequence, 3u);
  EXPECT_EQ(event.interval_start, At(600));
}

TEST(TheReportApi, NamesTheParameterAtFault) {
  FixedStore store;
  const auto problem_of = [&](const Query& query) -> std::string {
    try {
      ReportReply("hourly", query, store, At(1'771'750'000));
    } catch (const Problem& p) {
      EXPECT_EQ(p.status(), 400);
      return p.parameter();
    }
    return "(none)";
  };
  EXPECT_EQ(problem_of({{"colour", "red"}}), "colour");
  EXPECT_EQ(problem_of({{"start_date", "2026-02-30"}}), "start_date");
  EXPECT_EQ(problem_of({{"start_date", "2026-02-23"}, {"end_date", "2026-02-22"}}), "end_date");
  EXPECT_EQ(problem_of({{"hours", "-1"}}), "hours");
  EXPECT_EQ(problem_of({{"format", "xml"}}), "format");
  EXPECT_EQ(problem_of({{"monitor", "a"}, {"monitor", "b"}}), "monitor");
  EXPECT_EQ(problem_of({{"monitor", "kitchen"}}), "(none)");
  EXPECT_EQ(store.last_filter.monitor, "kitchen");
}

TEST(TheTrackApi, CanonicalisesTheMac) {
  FixedStore store;
  const Reply reply = TrackReply("aa-bb-cc-00-00-01", {}, store, At(1'771'750'000));
  EXPECT_EQ(store.last_mac, "AA:BB:CC:00:00:01");
  EXPECT_THAT(reply.body, HasSubstr("\"mac\": \"AA:BB:CC:00:00:01\""));
  EXPECT_THROW(TrackReply("<script>", {}, store, At(0)), Problem);
}

TEST(ProblemDetails, AreJsonWithStatusAndEscapedDetail) {
  const Reply reply = ProblemReply(Problem(400, "Bad parameter", "bad \"x\"\n", "x"), "/p");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.content_type, "application/problem+json");
  EXPECT_THAT(reply.body, HasSubstr("\"detail\": \"bad \\\"x\\\"\\n\""));
  EXPECT_THAT(reply.body, HasSubstr("\"parameter\": \"x\""));
  EXPECT_THAT(reply.body, Not(HasSubstr("\n\"")));
}

TEST(TheRoomsApi, GroupsDevicesByStableRoomWithConfidenceAndKeepsNamesAsData) {
  FixedStore store;
  store.rooms.interval_start = At(600);
  store.rooms.devices = {
      {"AA:BB:CC:00:00:01", "<img src=x onerror=alert(1)>", "k", "Kitchen", -50, At(601), "Kitchen",
       Confidence::kHigh},
      {"AA:BB:CC:00:00:02", std::nullopt, "l", "Living", -60, At(602), "Kitchen", Confidence::kLow},
      {"AA:BB:CC:00:00:03", "x", "l", "Living", -40, At(603), "Living", std::nullopt}};
  const Reply reply = RoomsNowReply({}, store);
  EXPECT_THAT(reply.body,
              HasSubstr("\"room\": \"Kitchen\",\n      \"count\": 2,\n      \"high\": 1"));
  EXPECT_THAT(reply.body,
              HasSubstr("\"room\": \"Living\",\n      \"count\": 1,\n      \"high\": 0"));
  EXPECT_THAT(reply.body, HasSubstr("\"confidence\": \"low\",\n          \"monitor_name\": \"l\",\n"
                                    "          \"raw_room\": \"Living\""));
  EXPECT_THAT(reply.body, HasSubstr("\"confidence\": null"));
  EXPECT_THAT(reply.body, HasSubstr("\"name\": \"<img src=x onerror=alert(1)>\""));
  EXPECT_THAT(reply.body, HasSubstr("\"name\": null"));
}

TEST(TheReportApi, TakesConfidencesForTheRoomsAndDevicesReportsOnly) {
  FixedStore store;
  ReportReply("rooms", {{"confidence", "ambiguous,high"}}, store, At(1'771'750'000));
  EXPECT_EQ(store.last_filter.confidence,
            (std::vector<Confidence>{Confidence::kHigh, Confidence::kAmbiguous}));
  ReportReply("devices", {{"confidence", "low"}, {"confidence", "low"}}, store, At(1'771'750'000));
  EXPECT_EQ(store.last_filter.confidence, std::vector<Confidence>{Confidence::kLow});
  for (const auto& [kind, value] : {std::pair{"hourly", "high"}, std::pair{"rooms", "sure"},
                                    std::pair{"devices", ""}, std::pair{"monitors", "low"}}) {
    try {
      ReportReply(kind, {{"confidence", value}}, store, At(1'771'750'000));
      ADD_FAILURE() << kind << " accepted confidence=" << value;
    } catch (const Problem& p) {
      EXPECT_EQ(p.status(), 400);
      EXPECT_EQ(p.parameter(), "confidence");
    }
  }
}

TEST(AReplyCache, SharesAnAnswerUntilTheVersionChangesOrItExpires) {
  ReplyCache cache(std::chrono::milliseconds(60'000), 8);
  int computed = 0;
  const auto compute = [&] { return Reply{200, "text/plain", std::to_string(++computed)}; };
  EXPECT_EQ(cache.Get("a", 1, compute).body, "1");
  EXPECT_EQ(cache.Get("a", 1, compute).body, "1");
  EXPECT_EQ(cache.Get("b", 1, compute).body, "2");
  EXPECT_EQ(cache.Get("a", 2, compute).body, "3");  // a new interval was processed
  ReplyCache expiring(std::chrono::milliseconds(1), 8);
  EXPECT_EQ(expiring.Get("a", 1, compute).body, "4");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(expiring.Get("a", 1, compute).body, "5");
  ReplyCache off(std::chrono::milliseconds(0), 8);
  EXPECT_EQ(off.Get("a", 1, compute).body, "6");
  EXPECT_EQ(off.Get("a", 1, compute).body, "7");
}

TEST(AReplyCache, KeysRequestsSoNoValueCanPoseAsOtherParameters) {
  EXPECT_NE(ReplyCache::Key("/r", {{"format", "json\nhours=5"}}),
            ReplyCache::Key("/r", {{"format", "json"}, {"hours", "5"}}));
  EXPECT_NE(ReplyCache::Key("/r", {{"a", "1|b:2"}}),
            ReplyCache::Key("/r", {{"a", "1"}, {"b", "2"}}));
  EXPECT_NE(ReplyCache::Key("/r", {}), ReplyCache::Key("/r/", {}));
  EXPECT_EQ(ReplyCache::Key("/r", {{"b", "2"}, {"a", "1"}}),
            ReplyCache::Key("/r", {{"a", "1"}, {"b", "2"}}));
}

TEST(AReplyCache, KeepsNoErrorsAndStaysBounded) {
  ReplyCache cache(std::chrono::milliseconds(60'000), 2);
  int calls = 0;
  const auto failing = [&]() -> Reply {
    ++calls;
    throw Problem(400, "Bad parameter", "no");
  };
  EXPECT_THROW(cache.Get("bad", 1, failing), Problem);
  EXPECT_THROW(cache.Get("bad", 1, failing), Problem);
  EXPECT_EQ(calls, 2);
  int computed = 0;
  const auto compute = [&] { return Reply{200, "text/plain", std::to_string(++computed)}; };
  cache.Get("a", 1, compute);
  cache.Get("b", 1, compute);
  EXPECT_EQ(cache.Get("c", 1, compute).body, "3");  // full of live entries: not kept
  EXPECT_EQ(cache.Get("c", 1, compute).body, "4");
  EXPECT_EQ(cache.Get("a", 1, compute).body, "1");
}

TEST(AReplyCache, LetsConcurrentCallersWaitForOneComputation) {
  ReplyCache cache(std::chrono::milliseconds(60'000), 8);
  std::atomic<int> computed = 0;
  const auto slow = [&] {
    ++computed;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return Reply{200, "text/plain", "x"};
  };
  std::vector<std::thread> callers;
  for (int i = 0; i < 8; ++i) callers.emplace_back([&] { cache.Get("k", 1, slow); });
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(computed.load(), 1);
}

}  // namespace
}  // namespace blemon::web
