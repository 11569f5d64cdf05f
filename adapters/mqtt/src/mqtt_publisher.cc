#include "blemon/mqtt/mqtt_publisher.h"

#include <fmt/format.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "mqtt_link.h"

namespace blemon::mqtt {
namespace {

using internal::LinkOptions;
using internal::MqttLink;

constexpr std::size_t kBatch = 64;  // messages in flight at once
constexpr std::chrono::seconds kAckTimeout{10};
constexpr Seconds kKeepSentEvents{7 * 24 * 3600};  // how long a sent event id refuses a repeat

UtcTime Now() { return std::chrono::floor<Seconds>(std::chrono::system_clock::now()); }

LinkOptions ToLink(const BrokerOptions& b, const TopicNames& names) {
  return LinkOptions{.host = b.host,
                     .port = b.port,
                     .tls = b.tls,
                     .ca_file = b.ca_file,
                     .username = b.username,
                     .password = b.password,
                     .client_id = b.client_id,
                     .keepalive = b.keepalive,
                     .reconnect_min = b.reconnect_min,
                     .reconnect_max = b.reconnect_max,
                     .availability_topic = names.availability()};
}

}  // namespace

// The outbox (behind `mutex`: the caller's thread queues, the sender thread reads and marks) and
// the thread that drains it into the link.
struct MqttPublisher::Sender {
  std::unique_ptr<Outbox> outbox;
  Logger& log;
  MqttLink link;
  std::mutex mutex;
  std::condition_variable wake;  // new messages, or stopping
  std::condition_variable drained;
  bool stopping = false;
  std::jthread thread;

  Sender(const BrokerOptions& b, const TopicNames& names, std::unique_ptr<Outbox> o, Logger& l)
      : outbox(std::move(o)), log(l), link(ToLink(b, names), l) {
    thread = std::jthread([this] { Run(); });
  }

  ~Sender() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    thread.join();
  }

  void Run() {
    bool forgot = false;
    while (true) {
      {
        std::unique_lock lock(mutex);
        if (stopping) return;
        // Wake on new messages, and every second so a reconnect is noticed without a new one.
        wake.wait_for(lock, std::chrono::seconds(1));
        if (stopping) return;
      }
      if (!link.connected()) continue;
      while (SendBatch() && !stopping) {
      }
      if (!forgot) forgot = ForgetOldEvents();
    }
  }

  // Sends the oldest waiting messages; true when all were acknowledged and more may wait.
  bool SendBatch() {
    std::vector<QueuedMessage> batch;
    try {
      std::lock_guard lock(mutex);
      batch = outbox->Oldest(kBatch);
      if (batch.empty()) {
        drained.notify_all();
        return false;
      }
    } catch (const std::exception& e) {
      log.Log(LogLevel::kError, fmt::format("MQTT outbox unreadable: {}", e.what()));
      return false;
    }
    const std::size_t acked = link.PublishAll(batch, kAckTimeout);
    if (acked == 0) return false;
    try {
      std::lock_guard lock(mutex);
      outbox->MarkSent(batch[acked - 1].seq, Now());
    } catch (const std::exception& e) {
      // The broker has them; they go again later, and receivers drop repeats by event id.
      log.Log(LogLevel::kError, fmt::format("MQTT outbox not updated: {}", e.what()));
      return false;
    }
    return acked == batch.size();
  }

  bool ForgetOldEvents() {
    try {
      std::lock_guard lock(mutex);
      outbox->Forget(kKeepSentEvents, Now());
      return true;
    } catch (const std::exception& e) {
      log.Log(LogLevel::kWarning, fmt::format("MQTT outbox not trimmed: {}", e.what()));
      return false;
    }
  }
};

MqttPublisher::MqttPublisher(const BrokerOptions& broker, TopicNames names,
                             std::unique_ptr<Outbox> outbox, Logger& log)
    : names_(std::move(names)),
      sender_(std::make_unique<Sender>(broker, names_, std::move(outbox), log)) {}

MqttPublisher::~MqttPublisher() {
  Flush(std::chrono::seconds(1));
  sender_.reset();
}

void MqttPublisher::Send(const std::vector<OutgoingMessage>& messages) {
  {
    std::lock_guard lock(sender_->mutex);
    sender_->outbox->Enqueue(messages, Now());
  }
  sender_->wake.notify_all();
}

bool MqttPublisher::Flush(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(sender_->mutex);
  while (sender_->outbox->Pending() > 0) {
    sender_->wake.notify_all();
    if (sender_->drained.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() +
                                                                 std::chrono::milliseconds(100))) ==
            std::cv_status::timeout &&
        std::chrono::steady_clock::now() >= deadline) {
      return sender_->outbox->Pending() == 0;
    }
  }
  return true;
}

std::int64_t MqttPublisher::Pending() {
  std::lock_guard lock(sender_->mutex);
  return sender_->outbox->Pending();
}

bool MqttPublisher::connected() const { return sender_->link.connected(); }

int MqttPublisher::connections() const { return sender_->link.connections(); }

}  // namespace blemon::mqtt
