#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <string>

#include "api.h"

namespace blemon::web {

// Answers to identical GET requests, shared for a short time: under load many clients ask for
// the same report, and one database query per `ttl` answers them all. A request that arrives
// while the same answer is being computed waits for it instead of querying too (single flight).
// An entry is also dropped when `version` changes (a new interval was processed), so an answer is
// at most `ttl` old and never older than the newest interval. Errors are not kept.
// Thread-safe.
class ReplyCache {
 public:
  ReplyCache(std::chrono::milliseconds ttl, std::size_t max_entries)
      : ttl_(ttl), max_entries_(max_entries) {}

  // The key of a request: its path and parameters, length-prefixed so that no parameter value
  // can pose as other parameters ("format=json%0Ahours=5" is not "format=json&hours=5").
  static std::string Key(const std::string& path, const Query& query);

  // The reply for `key` at data `version`, computed by `compute` when not cached. Exceptions from
  // `compute` reach every caller waiting for that computation.
  Reply Get(const std::string& key, std::uint64_t version, const std::function<Reply()>& compute);

 private:
  struct Entry {
    std::shared_future<Reply> reply;
    std::chrono::steady_clock::time_point made;
    std::uint64_t version = 0;
    const void* owner = nullptr;  // the call computing it, so only that call drops it on error
  };
  bool Fresh(const Entry& entry, std::uint64_t version,
             std::chrono::steady_clock::time_point now) const;
  void DropStale(std::chrono::steady_clock::time_point now);

  std::chrono::milliseconds ttl_;
  std::size_t max_entries_;
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

}  // namespace blemon::web
