#include "blemon/notify/alert_dispatcher.h"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "blemon/errors.h"

namespace blemon::notify {
namespace {

using Json = nlohmann::json;
using Outcome = DeliveryRecord::Outcome;

// How many owed alerts one Enqueue takes over per channel; the rest come with the next ones.
constexpr int kOwedBatch = 500;

UtcTime Now() { return std::chrono::floor<Seconds>(std::chrono::system_clock::now()); }

// The queue holds each alert as JSON of its parts, so a restart sends exactly what was queued.
OutgoingMessage ToQueued(std::string_view channel, const AlertMessage& alert) {
  const Json parts = {{"event_id", alert.event_id},
                      {"json", alert.json},
                      {"summary", alert.summary},
                      {"text", alert.text}};
  return {.topic = std::string(channel),
          .payload = parts.dump(),
          .retain = false,
          .event_id = alert.event_id};
}

AlertMessage FromQueued(const OutgoingMessage& message) {
  const Json parts = Json::parse(message.payload);
  return {.event_id = parts.at("event_id"),
          .json = parts.at("json"),
          .summary = parts.at("summary"),
          .text = parts.at("text")};
}

}  // namespace

// One channel's thread. The queue is touched under `mutex` (Enqueue comes from the processor's
// thread); the log through the dispatcher-wide `log_mutex`.
struct AlertDispatcher::Worker {
  Channel channel;
  RetryPolicy policy;
  DeliveryLog& log;
  std::mutex& log_mutex;
  Logger& logger;
  std::string sent_by;
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  bool woken = false;  // Enqueue queued something
  std::jthread thread;

  Worker(Channel c, RetryPolicy p, DeliveryLog& l, std::mutex& lm, Logger& lg, std::string by)
      : channel(std::move(c)),
        policy(p),
        log(l),
        log_mutex(lm),
        logger(lg),
        sent_by(std::move(by)) {
    thread = std::jthread([this] { Run(); });
  }
  ~Worker() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_all();
  }

  void Run() {
    int failed = 0;  // failed tries of the alert at the head of the queue
    auto next_try = std::chrono::steady_clock::now();
    while (true) {
      std::optional<QueuedMessage> head;
      {
        std::unique_lock lock(mutex);
        // After a failed try, wait out the backoff; else until woken, or half a second.
        const auto until = failed > 0
                               ? next_try
                               : std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
        wake.wait_until(lock, until, [&] { return stopping || (failed == 0 && woken); });
        woken = false;
        if (stopping) return;
        if (failed > 0 && std::chrono::steady_clock::now() < next_try) continue;
        head = Head();
      }
      if (!head) continue;
      const DeliveryState known = KnownState(head->message.event_id);
      if (known.finished) {  // delivered or given up by this or another processor: never again
        failed = 0;
        MarkSent(*head);
        continue;
      }
      const int attempt = std::max(failed, known.attempts) + 1;
      const auto [outcome, detail] = Try(head->message, attempt);
      Record(head->message.event_id, attempt, outcome, detail);
      if (outcome == Outcome::kRetrying) {
        failed = attempt;
        next_try =
            std::chrono::steady_clock::now() + RetryDelay(failed, policy.first, policy.longest);
        continue;
      }
      failed = 0;
      MarkSent(*head);
    }
  }

  void MarkSent(const QueuedMessage& head) {
    std::lock_guard lock(mutex);
    try {
      channel.queue->MarkSent(head.seq, Now());
    } catch (const std::exception& e) {
      logger.Log(LogLevel::kError, fmt::format("Alert queue not updated: {}", e.what()));
    }
  }

  // What the central log knows of the alert on this channel. Without the store the alert is sent
  // all the same (the receiver deduplicates on the event id): an alert matters more than a log.
  DeliveryState KnownState(const std::string& event_id) {
    std::lock_guard lock(log_mutex);
    try {
      return log.StateOf(event_id, channel.notifier->channel());
    } catch (const std::exception& e) {
      logger.Log(LogLevel::kWarning,
                 fmt::format("Alert delivery log unreadable, sending anyway: {}", e.what()));
      return {};
    }
  }

  std::optional<QueuedMessage> Head() {
    try {
      auto oldest = channel.queue->Oldest(1);
      if (oldest.empty()) return std::nullopt;
      return oldest.front();
    } catch (const std::exception& e) {
      logger.Log(LogLevel::kError, fmt::format("Alert queue unreadable: {}", e.what()));
      return std::nullopt;
    }
  }

  // Delivered; or retrying when a later try may work and tries are left; or given up.
  std::pair<Outcome, std::string> Try(const OutgoingMessage& queued, int attempt) {
    try {
      channel.notifier->Deliver(FromQueued(queued));
      return {Outcome::kDelivered, ""};
    } catch (const Unavailable& e) {
      return {attempt >= policy.max_attempts ? Outcome::kGivenUp : Outcome::kRetrying, e.what()};
    } catch (const std::exception& e) {
      return {Outcome::kGivenUp, e.what()};
    }
  }

  void Record(const std::string& event_id, int attempt, Outcome outcome,
              const std::string& detail) {
    const DeliveryRecord record{.at = Now(),
                                .channel = std::string(channel.notifier->channel()),
                                .target = channel.notifier->target(),
                                .event_id = event_id,
                                .attempt = attempt,
                                .outcome = outcome,
                                .detail = detail,
                                .sent_by = sent_by};
    const LogLevel level = outcome == Outcome::kDelivered  ? LogLevel::kInfo
                           : outcome == Outcome::kRetrying ? LogLevel::kWarning
                                                           : LogLevel::kError;
    logger.Log(level, fmt::format("Alert {} by {} (try {}): {}{}{}", event_id, record.channel,
                                  attempt, ToString(outcome), detail.empty() ? "" : ": ", detail));
    std::lock_guard lock(log_mutex);
    try {
      log.Record(record);
    } catch (const std::exception& e) {
      logger.Log(LogLevel::kError, fmt::format("Alert delivery log not written: {}", e.what()));
    }
  }
};

namespace {
std::mutex& LogMutex() {
  static std::mutex mutex;
  return mutex;
}
}  // namespace

AlertDispatcher::AlertDispatcher(std::vector<Channel> channels, RetryPolicy policy,
                                 DeliveryLog& log, Logger& logger, std::string sent_by)
    : log_(log) {
  for (auto& channel : channels) {
    workers_.push_back(
        std::make_unique<Worker>(std::move(channel), policy, log, LogMutex(), logger, sent_by));
  }
}

AlertDispatcher::~AlertDispatcher() = default;

void AlertDispatcher::Enqueue(std::span<const PresenceEvent> events) {
  std::vector<AlertMessage> alerts;
  for (const auto& event : events) alerts.push_back(MakeAlert(event));
  for (auto& worker : workers_) {
    const std::string_view channel = worker->channel.notifier->channel();
    std::vector<AlertMessage> owed;
    {
      // Owed centrally first (a failure throws before the events are marked published); then
      // whatever is still owed, this processor's or one's before it, goes into the local queue,
      // which skips the ids it holds.
      std::lock_guard lock(LogMutex());
      if (!alerts.empty()) log_.Owe(channel, alerts);
      owed = log_.Owed(channel, kOwedBatch);
    }
    std::vector<OutgoingMessage> messages;
    for (const auto& alert : owed) messages.push_back(ToQueued(channel, alert));
    if (messages.empty()) continue;
    {
      std::lock_guard lock(worker->mutex);
      worker->channel.queue->Enqueue(messages, Now());
      worker->woken = true;
    }
    worker->wake.notify_all();
  }
}

bool AlertDispatcher::Flush(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto& worker : workers_) {
    while (true) {
      {
        std::lock_guard lock(worker->mutex);
        if (worker->channel.queue->Pending() == 0) break;
      }
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return true;
}

}  // namespace blemon::notify
