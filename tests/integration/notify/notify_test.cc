// The notifiers against real local receivers started by the test (receivers.py): an HTTPS
// webhook receiver and an aiosmtpd SMTP server requiring STARTTLS and AUTH, both with a test CA.

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "blemon/errors.h"
#include "blemon/notify/alert_dispatcher.h"
#include "blemon/notify/notifiers.h"
#include "blemon/sqlite/sqlite_delivery_log.h"
#include "blemon/sqlite/sqlite_outbox.h"
#include "blemon/sqlite/sqlite_store.h"

namespace blemon::notify {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using Outcome = DeliveryRecord::Outcome;

const UtcTime kT0 = UtcTime(Seconds(1'772'000'000));

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "blemon-notify-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// receivers.py in a child process, stopped (SIGTERM) at scope end.
class Receivers {
 public:
  Receivers(const std::string& dir, int http_failures, int smtp_failures) : dir_(dir) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string http = std::to_string(http_failures);
      const std::string smtp = std::to_string(smtp_failures);
      ::execl("/usr/bin/python3", "python3", BLEMON_RECEIVERS_SCRIPT, dir.c_str(),
              "--http-failures", http.c_str(), "--smtp-failures", smtp.c_str(), nullptr);
      ::_exit(127);
    }
    for (int i = 0; i < 200 && !std::filesystem::exists(dir + "/ready.env"); ++i) {
      std::this_thread::sleep_for(50ms);
    }
    std::ifstream env(dir + "/ready.env");
    for (std::string line; std::getline(env, line);) {
      const auto eq = line.find('=');
      if (eq != std::string::npos) env_[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  ~Receivers() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }

  bool ready() const { return env_.count("http_port") > 0; }
  std::string at(const std::string& key) const { return env_.at(key); }
  std::string WebhookUrl(const std::string& path = "/hook") const {
    return "https://127.0.0.1:" + at("http_port") + path;
  }
  // The JSON lines the receivers wrote: "http" or "mail".
  std::vector<Json> Received(const std::string& kind) const {
    std::vector<Json> lines;
    std::ifstream file(dir_ + "/" + kind + ".jsonl");
    for (std::string line; std::getline(file, line);) lines.push_back(Json::parse(line));
    return lines;
  }

 private:
  std::string dir_;
  pid_t pid_ = -1;
  std::map<std::string, std::string> env_;
};

class NullLogger final : public Logger {
 public:
  void Log(LogLevel, std::string_view) override {}
};

PresenceEvent Event(int i, const std::string& room = "Kitchen") {
  const UtcTime at = kT0 + Seconds(300 * i);
  return {.event_id = PresenceEventId("AA:BB:CC:DD:EE:01", at, PresenceEventKind::kArrive),
          .watch_name = "alice-phone",
          .device = "AA:BB:CC:DD:EE:01",
          .interval_start = at,
          .kind = PresenceEventKind::kArrive,
          .from_room = "",
          .to_room = room,
          .decided_in = at};
}

class AnAlertDispatcher : public ::testing::Test {
 protected:
  // A dispatcher on the central log with its own local queue (`queue`: a processor's state
  // directory file).
  std::unique_ptr<AlertDispatcher> Dispatch(std::unique_ptr<Notifier> notifier,
                                            const std::string& queue = "queue.db",
                                            const std::string& sent_by = "pi-a") {
    std::vector<Channel> channels;
    channels.push_back({std::move(notifier), sqlite::OpenOutbox(dir_.File(queue))});
    return std::make_unique<AlertDispatcher>(std::move(channels), policy_, *log_, logger_, sent_by);
  }
  std::unique_ptr<Notifier> Webhook(const Receivers& r, const std::string& path = "/hook") {
    return MakeWebhookNotifier(
        {.url = r.WebhookUrl(path), .bearer_token = "hook-token", .ca_file = r.at("ca_cert")});
  }
  std::unique_ptr<Notifier> Email(const Receivers& r) {
    return MakeEmailNotifier({.url = "smtp://127.0.0.1:" + r.at("smtp_port"),
                              .from = "blemon@example.org",
                              .to = {"alice@example.org", "bob@example.org"},
                              .username = r.at("smtp_user"),
                              .password = r.at("smtp_password"),
                              .ca_file = r.at("ca_cert")});
  }

  TempDir dir_;
  NullLogger logger_;
  // The central store (created with its schema) and the delivery log in it.
  std::unique_ptr<Store> store_ = sqlite::OpenStore(dir_.File("blemon.db"));
  std::unique_ptr<DeliveryLog> log_ = sqlite::OpenDeliveryLog(dir_.File("blemon.db"));
  RetryPolicy policy_{.first = 1s, .longest = 2s, .max_attempts = 10};
};

TEST_F(AnAlertDispatcher, GetsAWebhookAlertThroughOnTheFourthTryAfterThreeAnswersOf500) {
  Receivers receivers(dir_.File("receivers"), 3, 0);
  ASSERT_TRUE(receivers.ready());
  auto dispatcher = Dispatch(Webhook(receivers));
  const PresenceEvent event = Event(1);
  dispatcher->Enqueue(std::vector{event});
  ASSERT_TRUE(dispatcher->Flush(30s));

  const auto posts = receivers.Received("http");
  ASSERT_EQ(posts.size(), 4u);
  for (std::size_t i = 0; i < posts.size(); ++i) {
    EXPECT_EQ(posts[i]["status"], i < 3 ? 500 : 200);
    EXPECT_EQ(posts[i]["headers"]["Content-Type"], "application/json");
    EXPECT_EQ(posts[i]["headers"]["Idempotency-Key"], event.event_id);
    EXPECT_EQ(posts[i]["headers"]["Authorization"], "Bearer hook-token");
    const Json body = Json::parse(posts[i]["body"].get<std::string>());
    EXPECT_EQ(body["event_id"], event.event_id);
    EXPECT_EQ(body["type"], "arrive");
    EXPECT_EQ(body["to"], "Kitchen");
    EXPECT_EQ(body["summary"], "alice-phone arrived in Kitchen");
  }
  // The log, newest first: delivered on try 4 after three retries.
  const auto records = log_->Recent(10);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].outcome, Outcome::kDelivered);
  EXPECT_EQ(records[0].attempt, 4);
  for (int i = 1; i < 4; ++i) {
    EXPECT_EQ(records[i].outcome, Outcome::kRetrying);
    EXPECT_NE(records[i].detail.find("HTTP 500"), std::string::npos) << records[i].detail;
  }
  EXPECT_EQ(records[0].channel, "webhook");
  EXPECT_EQ(records[0].event_id, event.event_id);
}

TEST_F(AnAlertDispatcher, DeliversAlertsInOrderBehindOneThatNeedsRetries) {
  Receivers receivers(dir_.File("receivers"), 2, 0);
  ASSERT_TRUE(receivers.ready());
  auto dispatcher = Dispatch(Webhook(receivers));
  dispatcher->Enqueue(std::vector{Event(1), Event(2), Event(3)});
  dispatcher->Enqueue(std::vector{Event(2)});  // handed over again: not queued twice
  ASSERT_TRUE(dispatcher->Flush(30s));
  std::vector<std::string> delivered;
  for (const auto& post : receivers.Received("http")) {
    if (post["status"] == 200) {
      delivered.push_back(Json::parse(post["body"].get<std::string>())["event_id"]);
    }
  }
  EXPECT_EQ(delivered,
            (std::vector<std::string>{Event(1).event_id, Event(2).event_id, Event(3).event_id}));
}

TEST_F(AnAlertDispatcher, GivesAnAlertUpAtOnceWhenTheReceiverRefusesIt) {
  Receivers receivers(dir_.File("receivers"), 0, 0);
  ASSERT_TRUE(receivers.ready());
  auto dispatcher = Dispatch(Webhook(receivers, "/gone"));
  dispatcher->Enqueue(std::vector{Event(1)});
  ASSERT_TRUE(dispatcher->Flush(10s));
  EXPECT_EQ(receivers.Received("http").size(), 1u);
  const auto records = log_->Recent(10);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].outcome, Outcome::kGivenUp);
  EXPECT_NE(records[0].detail.find("HTTP 410"), std::string::npos);
}

TEST_F(AnAlertDispatcher, SendsEmailOverStartTlsWithAuthentication) {
  Receivers receivers(dir_.File("receivers"), 0, 0);
  ASSERT_TRUE(receivers.ready());
  auto dispatcher = Dispatch(Email(receivers));
  dispatcher->Enqueue(std::vector{Event(1, "Küche")});
  ASSERT_TRUE(dispatcher->Flush(20s));
  const auto mails = receivers.Received("mail");
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_TRUE(mails[0]["tls"]);
  EXPECT_TRUE(mails[0]["authenticated"]);
  EXPECT_EQ(mails[0]["from"], "blemon@example.org");
  EXPECT_EQ(mails[0]["to"], Json::array({"alice@example.org", "bob@example.org"}));
  const std::string content = mails[0]["content"];
  EXPECT_NE(content.find("Subject: =?UTF-8?B?"), std::string::npos);
  EXPECT_NE(content.find("alice-phone arrived in Küche."), std::string::npos) << content;
  EXPECT_NE(content.find("X-Blemon-Event-Id: " + Event(1).event_id), std::string::npos);
  EXPECT_EQ(log_->Recent(1).at(0).outcome, Outcome::kDelivered);
}

TEST_F(AnAlertDispatcher, RetriesEmailTheServerDefersAndDeliversBothChannelsIndependently) {
  Receivers receivers(dir_.File("receivers"), 0, 1);
  ASSERT_TRUE(receivers.ready());
  std::vector<Channel> channels;
  channels.push_back({Email(receivers), sqlite::OpenOutbox(dir_.File("email.db"))});
  channels.push_back({Webhook(receivers), sqlite::OpenOutbox(dir_.File("webhook.db"))});
  AlertDispatcher dispatcher(std::move(channels), policy_, *log_, logger_);
  dispatcher.Enqueue(std::vector{Event(1)});
  ASSERT_TRUE(dispatcher.Flush(20s));
  const auto mails = receivers.Received("mail");
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_EQ(mails[0]["status"], "451 Try again later");
  EXPECT_EQ(mails[1]["status"], "250 OK");
  EXPECT_EQ(receivers.Received("http").size(), 1u);
}

TEST_F(AnAlertDispatcher, RefusesAnSmtpServerItsCaDoesNotTrust) {
  Receivers receivers(dir_.File("receivers"), 0, 0);
  ASSERT_TRUE(receivers.ready());
  auto email = MakeEmailNotifier({.url = "smtp://127.0.0.1:" + receivers.at("smtp_port"),
                                  .from = "blemon@example.org",
                                  .to = {"alice@example.org"},
                                  .username = "",
                                  .password = "",
                                  .ca_file = "/etc/ssl/certs/ca-certificates.crt"});
  EXPECT_THROW(email->Deliver(MakeAlert(Event(1))), Unavailable);
  EXPECT_TRUE(receivers.Received("mail").empty());
}

TEST_F(AnAlertDispatcher, KeepsQueuedAlertsForTheNextStartWhenTheReceiverIsAway) {
  {
    auto dispatcher = Dispatch(MakeWebhookNotifier(
        {.url = "https://127.0.0.1:1/hook", .bearer_token = "", .ca_file = ""}));
    dispatcher->Enqueue(std::vector{Event(1), Event(2)});
    EXPECT_FALSE(dispatcher->Flush(1500ms));
  }
  Receivers receivers(dir_.File("receivers"), 0, 0);
  ASSERT_TRUE(receivers.ready());
  auto dispatcher = Dispatch(Webhook(receivers));
  ASSERT_TRUE(dispatcher->Flush(10s));
  EXPECT_EQ(receivers.Received("http").size(), 2u);
}

// A failover: processor A delivered one alert and owed another when it died (its local queue
// gone with it). The standby B, on its first publish, takes over from the central log: it sends
// the owed alert and never the delivered one, and continues the try count. A local queue that
// still holds a delivered alert (A back as processor with its old state directory) skips it.
TEST_F(AnAlertDispatcher, AStandbySendsWhatIsOwedAndNeverWhatWasDelivered) {
  Receivers receivers(dir_.File("receivers"), 0, 0);
  ASSERT_TRUE(receivers.ready());
  {
    auto a = Dispatch(Webhook(receivers), "a-queue.db", "pi-a");
    a->Enqueue(std::vector{Event(1)});
    ASSERT_TRUE(a->Flush(10s));
  }
  // A owed Event(2), tried it once without luck, and died.
  log_->Owe("webhook", std::vector{MakeAlert(Event(2))});
  log_->Record({.at = std::chrono::floor<Seconds>(std::chrono::system_clock::now()),
                .channel = "webhook",
                .target = "https://127.0.0.1/hook",
                .event_id = Event(2).event_id,
                .attempt = 1,
                .outcome = Outcome::kRetrying,
                .detail = "HTTP 500",
                .sent_by = "pi-a"});
  {
    auto b = Dispatch(Webhook(receivers), "b-queue.db", "pi-b");
    b->Enqueue({});  // its first publish: no new events
    ASSERT_TRUE(b->Flush(10s));
  }
  // A comes back with its old queue, where Event(1) waits again as if never sent.
  sqlite::OpenOutbox(dir_.File("c-queue.db"))
      ->Enqueue({{.topic = "webhook",
                  .payload = Json{{"event_id", Event(1).event_id},
                                  {"json", MakeAlert(Event(1)).json},
                                  {"summary", "s"},
                                  {"text", "t"}}
                                 .dump(),
                  .retain = false,
                  .event_id = Event(1).event_id}},
                kT0);
  {
    auto again = Dispatch(Webhook(receivers), "c-queue.db", "pi-a");
    ASSERT_TRUE(again->Flush(10s));
  }

  std::vector<std::string> delivered;
  for (const auto& post : receivers.Received("http")) {
    delivered.push_back(Json::parse(post["body"].get<std::string>())["event_id"]);
  }
  EXPECT_EQ(delivered, (std::vector{Event(1).event_id, Event(2).event_id}));
  const auto records = log_->Recent(10);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].event_id, Event(2).event_id);
  EXPECT_EQ(records[0].outcome, Outcome::kDelivered);
  EXPECT_EQ(records[0].attempt, 2) << "the count goes on from A's try";
  EXPECT_EQ(records[0].sent_by, "pi-b");
  EXPECT_EQ(records[2].sent_by, "pi-a");
  EXPECT_TRUE(log_->Owed("webhook", 10).empty());
}

}  // namespace
}  // namespace blemon::notify
