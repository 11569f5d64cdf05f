#include "reply_cache.h"

#include <fmt/format.h>

namespace blemon::web {

std::string ReplyCache::Key(const std::string& path, const Query& query) {
  std::string key = path;
  for (const auto& [name, value] : query) {
    key += fmt::format("|{}:{}{}:{}", name.size(), name, value.size(), value);
  }
  return key;
}

bool ReplyCache::Fresh(const Entry& entry, std::uint64_t version,
                       std::chrono::steady_clock::time_point now) const {
  return entry.version == version && now - entry.made < ttl_;
}

void ReplyCache::DropStale(std::chrono::steady_clock::time_point now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    const bool done =
        it->second.reply.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    it = done && now - it->second.made >= ttl_ ? entries_.erase(it) : std::next(it);
  }
}

Reply ReplyCache::Get(const std::string& key, std::uint64_t version,
                      const std::function<Reply()>& compute) {
  if (ttl_.count() <= 0) return compute();
  std::promise<Reply> promise;
  {
    std::unique_lock lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    const auto found = entries_.find(key);
    if (found != entries_.end() && Fresh(found->second, version, now)) {
      auto reply = found->second.reply;
      lock.unlock();
      return reply.get();
    }
    // DropStale may erase `found`'s entry: the key is looked up again afterwards.
    if (entries_.size() >= max_entries_) DropStale(now);
    if (entries_.size() >= max_entries_ && !entries_.contains(key)) {
      lock.unlock();
      return compute();  // full of live entries: answer uncached rather than grow
    }
    entries_[key] = Entry{promise.get_future().share(), now, version, &promise};
  }
  try {
    Reply reply = compute();
    promise.set_value(reply);
    return reply;
  } catch (...) {
    promise.set_exception(std::current_exception());
    std::lock_guard lock(mutex_);
    // Errors are answered once, not kept; a newer entry another call made for the key stays.
    const auto entry = entries_.find(key);
    if (entry != entries_.end() && entry->second.owner == &promise) entries_.erase(entry);
    throw;
  }
}

}  // namespace blemon::web
