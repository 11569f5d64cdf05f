#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "auth.h"
#include "blemon/config.h"
#include "store_pool.h"

namespace blemon::web {

// The HTTP face: routes, authentication, limits, the event stream and the static page, over a
// StorePool. One instance per process.
class Server {
 public:
  struct Options {
    WebSettings web;
    Seconds fleet_interval = ScheduleConfig{}.interval;  // monitor.scan_interval_seconds
    std::optional<Credentials> credentials;              // nullopt: no authentication
    std::string chart_js;  // the chart library's bytes; empty: not served
  };
  Server(Options options, StorePool::Opener open_store);
  ~Server();

  // Binds web.listen:web.port (port 0: any free port) and returns the port; throws
  // std::runtime_error naming the address when it cannot bind (in use, no such address, TLS
  // files unreadable).
  int Bind();
  // Serves until Stop() (from another thread). Returns false when serving failed.
  bool Serve();
  void Stop();
  // "http://127.0.0.1:8080/" (https with TLS).
  std::string Url() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace blemon::web
