#include "blemon/alerts.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace blemon {
namespace {

using namespace std::chrono_literals;

const UtcTime kT0 = UtcTime(Seconds(1'772'000'100));  // 2026-02-25 06:15:00 UTC

PresenceEvent Event(PresenceEventKind kind, std::string from, std::string to) {
  return {.event_id = PresenceEventId("AA:BB:CC:DD:EE:01", kT0, kind),
          .watch_name = "alice-phone",
          .device = "AA:BB:CC:DD:EE:01",
          .interval_start = kT0,
          .kind = kind,
          .from_room = std::move(from),
          .to_room = std::move(to),
          .decided_in = kT0 + 600s};
}

TEST(AnAlertSummary, SaysWhatTheDeviceDidInPlainWords) {
  EXPECT_EQ(AlertSummary(Event(PresenceEventKind::kArrive, "", "Kitchen")),
            "alice-phone arrived in Kitchen");
  EXPECT_EQ(AlertSummary(Event(PresenceEventKind::kLeave, "Kitchen", "")),
            "alice-phone left (last in Kitchen)");
  EXPECT_EQ(AlertSummary(Event(PresenceEventKind::kRoomChange, "Kitchen", "Hall")),
            "alice-phone moved from Kitchen to Hall");
}

TEST(AnEventJson, CarriesEveryFieldWithRoomsAsNullWhenNone) {
  const auto json =
      nlohmann::json::parse(EventJson(Event(PresenceEventKind::kLeave, "Kitchen", "")));
  EXPECT_EQ(json["event_id"], "AA:BB:CC:DD:EE:01/1772000100/leave");
  EXPECT_EQ(json["type"], "leave");
  EXPECT_EQ(json["name"], "alice-phone");
  EXPECT_EQ(json["device"], "AA:BB:CC:DD:EE:01");
  EXPECT_EQ(json["from"], "Kitchen");
  EXPECT_TRUE(json["to"].is_null());
  EXPECT_EQ(json["interval_start"], "2026-02-25T06:15:00Z");
  EXPECT_EQ(json["decided_in"], "2026-02-25T06:25:00Z");
  EXPECT_EQ(json["summary"], "alice-phone left (last in Kitchen)");
}

TEST(AnEventJson, EscapesWhatJsonMustEscape) {
  auto event = Event(PresenceEventKind::kArrive, "", "Küche \"1\"\n");
  const auto json = nlohmann::json::parse(EventJson(event));
  EXPECT_EQ(json["to"], "Küche \"1\"\n");
}

TEST(ARetryDelay, DoublesFromTheFirstUpToTheLongest) {
  EXPECT_EQ(RetryDelay(1, 30s, 3600s), 30s);
  EXPECT_EQ(RetryDelay(2, 30s, 3600s), 60s);
  EXPECT_EQ(RetryDelay(3, 30s, 3600s), 120s);
  EXPECT_EQ(RetryDelay(8, 30s, 3600s), 3600s);
  EXPECT_EQ(RetryDelay(1000, 30s, 3600s), 3600s);  // no overflow however many
  EXPECT_EQ(RetryDelay(1, 10s, 5s), 5s);
}

TEST(AnAlertText, NamesTheIntervalTheDeviceAndTheEventId) {
  const std::string text = AlertText(Event(PresenceEventKind::kArrive, "", "Kitchen"));
  EXPECT_NE(text.find("alice-phone arrived in Kitchen."), std::string::npos);
  EXPECT_NE(text.find("2026-02-25 06:15:00 UTC"), std::string::npos);
  EXPECT_NE(text.find("AA:BB:CC:DD:EE:01/1772000100/arrive"), std::string::npos);
}

}  // namespace
}  // namespace blemon
