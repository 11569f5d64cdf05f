#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "blemon/errors.h"
#include "blemon/report_store.h"

namespace blemon::web {

// ReportStore instances for the worker threads. A ReportStore is used by one thread at a time,
// so each request borrows one (opening a new one when none is free) and gives it back when done.
// A store whose request failed is dropped instead of returned: the next request opens a fresh
// connection, which is how a restarted database server is found again.
class StorePool {
 public:
  using Opener = std::function<std::unique_ptr<ReportStore>()>;
  explicit StorePool(Opener open) : open_(std::move(open)) {}

  // Runs `work` with a store; exceptions propagate to the caller. After Unavailable or Refused
  // the store is dropped; after any other exception (a bad request) it is kept.
  template <class F>
  auto With(F&& work) {
    std::unique_ptr<ReportStore> store = Take();
    try {
      auto result = work(*store);
      Give(std::move(store));
      return result;
    } catch (const Unavailable&) {
      throw;
    } catch (const Refused&) {
      throw;
    } catch (...) {
      Give(std::move(store));
      throw;
    }
  }

 private:
  std::unique_ptr<ReportStore> Take() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        auto store = std::move(idle_.back());
        idle_.pop_back();
        return store;
      }
    }
    return open_();
  }
  void Give(std::unique_ptr<ReportStore> store) {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(store));
  }

  Opener open_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<ReportStore>> idle_;
};

}  // namespace blemon::web
