// Unit tests of the presentation code shared by blemon-report and blemon-dashboard: display
// widths, escaping, local time across daylight-saving changes, and the dashboard's health rule.

#include "blemon/report/render.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <regex>

#include "blemon/report/local_time.h"
#include "blemon/report/span.h"
#include "blemon/report/text.h"
#include "frame.h"

namespace blemon::report {
namespace {

using std::chrono::hours;
using std::chrono::sys_days;

UtcTime At(int y, unsigned m, unsigned d, int h = 0, int min = 0) {
  return UtcTime(sys_days(std::chrono::year(y) / m / d).time_since_epoch() + hours(h) +
                 std::chrono::minutes(min));
}

class CentralEuropeanTime : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
    ::tzset();
  }
};

TEST(ADisplayWidth, CountsWideCharactersAndEmojiAsTwoColumns) {
  EXPECT_EQ(DisplayWidth("abc"), 3);
  EXPECT_EQ(DisplayWidth("東京タワー"), 10);
  EXPECT_EQ(DisplayWidth("🎧 Buds"), 7);
  EXPECT_EQ(DisplayWidth("Küche"), 5);
}

TEST(ADisplayWidth, CountsCombiningMarksAsZeroColumns) {
  EXPECT_EQ(DisplayWidth("Cafe\xcc\x81"), 4);  // e + U+0301
}

TEST(AFitToWidth, CutsOnACharacterBoundaryAndEndsInAnEllipsis) {
  EXPECT_EQ(FitToWidth("東京タワー", 5), "東京…");
  EXPECT_EQ(DisplayWidth(FitToWidth("東京タワー", 5)), 5);
  EXPECT_EQ(FitToWidth("short", 10), "short");
}

TEST(APadding, AlignsByColumnsNotBytes) {
  EXPECT_EQ(PadRight("東京", 6), "東京  ");
  EXPECT_EQ(PadLeft("é", 3), "  é");
}

TEST(ACsvField, QuotesSeparatorsAndDoublesQuotes) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("Bob's \"Phone\", v2"), "\"Bob's \"\"Phone\"\", v2\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
}

TEST(AJsonString, EscapesControlCharactersAndReplacesInvalidUtf8) {
  EXPECT_EQ(JsonString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonString("evil\x1b[31m"), "\"evil\\u001b[31m\"");
  EXPECT_EQ(JsonString("bad\xff"), "\"bad\\ufffd\"");
  EXPECT_EQ(JsonString("東京"), "\"東京\"");
}

TEST_F(CentralEuropeanTime, LabelsTheZoneWithItsOffset) {
  EXPECT_EQ(ZoneLabel(ZoneAt(At(2026, 2, 22))), "CET (UTC+01:00)");
  EXPECT_EQ(ZoneLabel(ZoneAt(At(2026, 7, 1))), "CEST (UTC+02:00)");
  EXPECT_EQ(Iso8601(At(2026, 2, 22, 9)), "2026-02-22T10:00:00+01:00");
}

TEST_F(CentralEuropeanTime, MakesTheSpringForwardDayTwentyThreeHoursLong) {
  const auto from = LocalMidnight("2026-03-29");
  const auto to = LocalMidnight("2026-03-29", 1);
  ASSERT_TRUE(from && to);
  EXPECT_EQ(*from, At(2026, 3, 28, 23));
  EXPECT_EQ(*to - *from, hours(23));
}

TEST_F(CentralEuropeanTime, RejectsDatesThatDoNotExist) {
  EXPECT_FALSE(LocalMidnight("2026-02-30"));
  EXPECT_FALSE(LocalMidnight("22.02.2026"));
  EXPECT_THROW(SpanFromDates("2026-02-23", "2026-02-22", At(2026, 3, 1), {}),
               std::invalid_argument);
}

TEST_F(CentralEuropeanTime, NamesEachTimesZoneWhenATableSpansAClockChange) {
  Report report;
  report.kind = "hourly";
  report.title = "Hourly device counts";
  report.from = At(2026, 10, 25, 0);  // 02:00 CEST, the night the clocks go back
  report.to = At(2026, 10, 25, 2);
  report.columns = {{"hour_start", "Hour", false}};
  report.rows = {{At(2026, 10, 25, 0)}, {At(2026, 10, 25, 1)}};  // both 02:00 local
  const auto out = Render(report, Format::kTable).out;
  EXPECT_NE(out.find("times in CEST (UTC+02:00) / CET (UTC+01:00)"), std::string::npos) << out;
  EXPECT_NE(out.find("2026-10-25 02:00 CEST"), std::string::npos) << out;
  EXPECT_NE(out.find("2026-10-25 02:00 CET"), std::string::npos) << out;
}

TEST_F(CentralEuropeanTime, SaysNoDataFoundInOneLineForAnEmptyTable) {
  Report report;
  report.kind = "devices";
  report.from = At(2026, 2, 21, 23);
  report.to = At(2026, 2, 22, 23);
  report.monitor = "kitchen";
  EXPECT_EQ(Render(report, Format::kTable).out,
            "No data found for the devices report from 2026-02-22 00:00 to 2026-02-23 00:00, "
            "monitor kitchen, times in CET (UTC+01:00).\n");
}

}  // namespace
}  // namespace blemon::report

namespace blemon::dashboard {
namespace {

TEST(AMonitorHealth, IsOkWithinOneAndAHalfIntervalsLateUpToThreeThenDown) {
  const UtcTime now{std::chrono::seconds(1'000'000)};
  DashboardMonitor m;
  m.is_active = true;
  const Seconds interval{300};
  m.last_seen = now - Seconds(450);
  EXPECT_EQ(HealthOf(m, now, interval), Health::kOk);
  m.last_seen = now - Seconds(451);
  EXPECT_EQ(HealthOf(m, now, interval), Health::kLate);
  m.last_seen = now - Seconds(900);
  EXPECT_EQ(HealthOf(m, now, interval), Health::kLate);
  m.last_seen = now - Seconds(901);
  EXPECT_EQ(HealthOf(m, now, interval), Health::kDown);
  m.last_seen.reset();
  EXPECT_EQ(HealthOf(m, now, interval), Health::kDown);
  m.is_active = false;
  EXPECT_EQ(HealthOf(m, now, interval), Health::kStopped);
}

TEST(ADashboardFrame, ShowsAMonitorWhoseScansFailAndOneThatIsSilent) {
  DashboardSnapshot s;
  s.store_now = UtcTime(std::chrono::seconds(1'700'000'000));
  s.fleet_interval = Seconds(300);
  DashboardMonitor failing{"kitchen",
                           "Kitchen",
                           true,
                           s.store_now - Seconds(10),
                           0,
                           7,
                           "cannot connect to the D-Bus system bus",
                           s.store_now - Seconds(20),
                           s.store_now - Seconds(3600),
                           0};
  DashboardMonitor silent{"attic", "Attic", true, s.store_now - Seconds(10), 0,
                          0,       {},      {},   s.store_now - Seconds(20), 5};
  DashboardMonitor hearing{"hall", "Hall", true, s.store_now - Seconds(10), 9,
                           0,      {},     {},   s.store_now - Seconds(20), 0};
  s.monitors = {silent, hearing, failing};
  FrameOptions options;
  options.width = 160;
  const std::string frame = RenderFrame(s, std::nullopt, s.store_now, options);
  EXPECT_NE(frame.find("FAILING (7)"), std::string::npos) << frame;
  EXPECT_NE(frame.find("cannot connect to the D-Bus system bus"), std::string::npos) << frame;
  EXPECT_NE(frame.find("SILENT"), std::string::npos) << frame;
  EXPECT_NE(frame.find("monitor attic: silent"), std::string::npos) << frame;
}

TEST(ADashboardFrame, KeepsEveryLineWithinTheWidthAndEscapesNames) {
  DashboardSnapshot s;
  s.store_now = UtcTime(std::chrono::seconds(1'700'000'000));
  s.monitors.push_back({"a-monitor-with-a-very-long-name-indeed",
                        "東京タワーの展望台",
                        true,
                        s.store_now - Seconds(10),
                        42,
                        0,
                        {},
                        {},
                        {},
                        0});
  DeviceSummary d;
  d.mac = "AA:BB:CC:DD:EE:FF";
  d.name = std::string("evil\x1b[2Jname that goes on and on and on");
  d.monitors = {"a-monitor-with-a-very-long-name-indeed"};
  d.sightings = 7;
  s.top_devices.push_back(d);
  FrameOptions options;
  options.width = 50;
  const std::string frame = RenderFrame(s, std::nullopt, s.store_now, options);
  EXPECT_EQ(frame.find('\x1b'), std::string::npos);
  std::size_t start = 0;
  while (start < frame.size()) {
    const auto end = frame.find('\n', start);
    const auto line = frame.substr(start, end - start);
    EXPECT_LE(report::DisplayWidth(line), 50) << line;
    start = end + 1;
  }
}

TEST(ADashboardFrame, LeavesOutTheSectionsAskedToShowNone) {
  // --top 0 --recent 0 claimed "no sightings in the last 24 hours" while there were.
  DashboardSnapshot s;
  s.store_now = UtcTime(std::chrono::seconds(1'700'000'000));
  FrameOptions options;
  options.top_devices = 0;
  options.recent = 0;
  const std::string frame = RenderFrame(s, std::nullopt, s.store_now, options);
  EXPECT_EQ(frame.find("Top devices"), std::string::npos) << frame;
  EXPECT_EQ(frame.find("no sightings"), std::string::npos) << frame;
  EXPECT_EQ(frame.find("Most recent"), std::string::npos) << frame;
  options.top_devices = 10;
  EXPECT_NE(RenderFrame(s, std::nullopt, s.store_now, options).find("no sightings"),
            std::string::npos);
}

TEST(ADashboardFrame, CountsTheNewestIntervalsDevicesPerStableRoomByConfidence) {
  DashboardSnapshot s;
  s.store_now = UtcTime(std::chrono::seconds(1'700'000'000));
  RoomsNow rooms;
  rooms.interval_start = s.store_now;
  const auto device = [&](std::string raw, std::string room, std::optional<Confidence> c) {
    return RoomDevice{.mac = "AA:BB:CC:00:00:01",
                      .name = std::nullopt,
                      .monitor_name = raw,
                      .location = raw,
                      .rssi = -60,
                      .sighting_time = s.store_now,
                      .room = std::move(room),
                      .confidence = c};
  };
  rooms.devices = {device("Hall", "Hall", Confidence::kHigh),
                   device("Kitchen", "Hall", Confidence::kLow),
                   device("Kitchen", "Kitchen\x1b[2J", Confidence::kAmbiguous),
                   device("Kitchen", "Kitchen\x1b[2J", std::nullopt)};
  FrameOptions options;
  options.width = 120;
  const std::string frame = RenderFrame(s, std::nullopt, s.store_now, options, rooms);
  EXPECT_TRUE(std::regex_search(frame, std::regex("Hall +2 +1 +1 +0\n"))) << frame;
  EXPECT_TRUE(std::regex_search(frame, std::regex(R"(Kitchen\\x1b\[2J +2 +0 +0 +1\n)"))) << frame;
  EXPECT_EQ(frame.find('\x1b'), std::string::npos) << "a room name cannot clear the screen";
  EXPECT_EQ(RenderFrame(s, std::nullopt, s.store_now, options).find("Rooms now"),
            std::string::npos);
}

class IndiaStandardTime : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("TZ", "IST-5:30", 1);
    ::tzset();
  }
};

TEST_F(IndiaStandardTime, TheLastDayOfHoursIsMadeOfLocalClockHours) {
  using report::LastDayOfHours;
  // 2026-02-22 12:10 UTC is 17:40 IST: the current local hour began at 17:00 IST, 11:30 UTC.
  const UtcTime now = UtcTime(std::chrono::seconds(1'771'762'200));
  const auto span = LastDayOfHours(now);
  EXPECT_EQ(span.to - now, std::chrono::minutes(20));
  EXPECT_EQ(span.to - span.from, std::chrono::hours(24));
}

TEST_F(IndiaStandardTime, LocalHoursStartHalfAnHourAfterUtcHours) {
  const UtcTime t = UtcTime(std::chrono::seconds(1'771'762'200));
  EXPECT_EQ(report::LocalHourShiftAt(t), std::chrono::minutes(30));
  const auto pieces = report::LocalHourPieces({t, t + std::chrono::hours(48)});
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].shift, std::chrono::minutes(30));
}

TEST(LordHoweIsland, WhoseSummerTimeMovesByHalfAnHourGetsOnePiecePerShift) {
  ::setenv("TZ", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 1);
  ::tzset();
  // 2026-04-04 12:00 UTC to 2026-04-05 12:00 UTC spans the return to +10:30 (2026-04-05 02:00).
  const UtcTime from = UtcTime(std::chrono::seconds(1'775'304'000));
  const auto pieces = report::LocalHourPieces({from, from + std::chrono::hours(24)});
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0].shift, std::chrono::seconds(0));
  EXPECT_EQ(pieces[1].shift, std::chrono::minutes(30));
  EXPECT_EQ(pieces[0].span.to, pieces[1].span.from);
}

}  // namespace
}  // namespace blemon::dashboard
