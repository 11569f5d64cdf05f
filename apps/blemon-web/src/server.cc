#include "server.h"

#include <fmt/format.h>
#include <httplib.h>

#include <atomic>

#include "api.h"
#include "assets.h"
#include "blemon/app/config_file.h"
#include "blemon/errors.h"
#include "interval_watch.h"
#include "metrics.h"
#include "reply_cache.h"

namespace blemon::web {
namespace {

using Request = httplib::Request;
using Response = httplib::Response;

constexpr std::chrono::seconds kKeepAlive{15};  // an SSE comment line, so proxies keep the stream
constexpr std::size_t kCacheEntries = 256;

// The page loads only its own files and talks only to its own origin: a script that slipped
// into a name could neither run inline nor send anything elsewhere.
const httplib::Headers kSecurityHeaders = {
    {"Content-Security-Policy",
     "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"X-Frame-Options", "DENY"}};

void Send(Response& res, const Reply& reply) {
  res.status = reply.status;
  res.set_content(reply.body, reply.content_type.c_str());
}

void SendProblem(Response& res, const Request& req, int status, const std::string& title,
                 const std::string& detail) {
  Send(res, ProblemReply(Problem(status, title, detail), req.path));
}

std::string StatusTitle(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return fmt::format("HTTP {}", status);
  }
}

UtcTime WallNow() { return std::chrono::floor<Seconds>(std::chrono::system_clock::now()); }

bool SafeAssetName(const std::string& name) {
  return !name.empty() && name.find("..") == std::string::npos &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._-") == std::string::npos;
}

}  // namespace

struct Server::Impl {
  Impl(Options o, StorePool::Opener open)
      : options(std::move(o)),
        pool(std::move(open)),
        watch(pool, options.web.event_poll, options.fleet_interval),
        cache(options.web.cache, kCacheEntries) {}

  Options options;
  StorePool pool;
  IntervalWatch watch;
  ReplyCache cache;
  std::unique_ptr<httplib::Server> http;
  std::atomic<int> event_clients{0};
  int port = 0;

  // Runs a store-backed handler (through the reply cache) and turns every failure into problem
  // details.
  template <class F>
  void Answer(const Request& req, Response& res, F&& handler) {
    try {
      Send(res, cache.Get(ReplyCache::Key(req.path, req.params), watch.Sequence(),
                          [&] { return pool.With(handler); }));
    } catch (const Problem& problem) {
      Send(res, ProblemReply(problem, req.path));
    } catch (const Unavailable& e) {
      res.set_header("Retry-After", "30");
      SendProblem(res, req, 503, "Database unavailable", e.what());
    } catch (const Refused& e) {
      res.set_header("Retry-After", "30");
      SendProblem(res, req, 503, "Database refused", e.what());
    } catch (const std::exception& e) {
      // A bug, not the client's fault: still problem details, never the library's bare 500.
      SendProblem(res, req, 500, "Internal Server Error", e.what());
    }
  }

  void Routes();
  void StaticRoutes();
  void Events(const Request& req, Response& res);
  httplib::Server::HandlerResponse Gate(const Request& req, Response& res);
};

httplib::Server::HandlerResponse Server::Impl::Gate(const Request& req, Response& res) {
  for (const auto& [name, value] : kSecurityHeaders) res.set_header(name, value);
  if (options.credentials && !options.credentials->Accepts(req.get_header_value("Authorization"))) {
    res.set_header("WWW-Authenticate", "Basic realm=\"blemon\", charset=\"UTF-8\"");
    SendProblem(res, req, 401, "Unauthorized",
                "this server needs credentials (HTTP basic or a bearer token)");
    return httplib::Server::HandlerResponse::Handled;
  }
  if (req.method != "GET" && req.method != "HEAD") {
    res.set_header("Allow", "GET, HEAD");
    SendProblem(res, req, 405, "Method Not Allowed", "blemon-web is read-only: use GET");
    return httplib::Server::HandlerResponse::Handled;
  }
  return httplib::Server::HandlerResponse::Unhandled;
}

void Server::Impl::Routes() {
  auto& s = *http;
  s.Get(R"(/api/v1/reports/([^/]+))", [this](const Request& req, Response& res) {
    Answer(req, res, [&](ReportStore& store) {
      return ReportReply(req.matches[1], req.params, store, WallNow());
    });
  });
  s.Get("/api/v1/fleet", [this](const Request& req, Response& res) {
    Answer(req, res, [&](ReportStore& store) {
      return FleetReply(req.params, store, options.fleet_interval);
    });
  });
  s.Get("/api/v1/rooms/now", [this](const Request& req, Response& res) {
    Answer(req, res, [&](ReportStore& store) { return RoomsNowReply(req.params, store); });
  });
  s.Get(R"(/api/v1/devices/([^/]+)/track)", [this](const Request& req, Response& res) {
    Answer(req, res, [&](ReportStore& store) {
      return TrackReply(req.matches[1], req.params, store, WallNow());
    });
  });
  s.Get("/api/v1/events", [this](const Request& req, Response& res) { Events(req, res); });
  s.Get("/metrics", [this](const Request& req, Response& res) {
    Answer(req, res, [&](ReportStore& store) {
      RequireKnownParameters(req.params, {});
      return Reply{200, "text/plain; version=0.0.4; charset=utf-8",
                   MetricsText(store.Snapshot(0, 0), store.Backlog(),
                               store.Processing(options.fleet_interval), watch.Seen())};
    });
  });
  s.set_error_handler(httplib::Server::HandlerWithResponse([](const Request& req, Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    const std::string title = StatusTitle(res.status);
    const std::string detail =
        res.status == 404   ? "no such resource: " + req.path + " (see /api/v1 in docs/api.md)"
        : res.status == 413 ? "the request is larger than web.max_request_bytes"
                            : "the request could not be read: " + title;
    Send(res, ProblemReply(Problem(res.status, title, detail), req.path));
    return httplib::Server::HandlerResponse::Handled;
  }));
  StaticRoutes();
}

void Server::Impl::StaticRoutes() {
  const auto asset = [this](const std::string& name, Response& res) {
    if (name == "chart.min.js" && !options.chart_js.empty()) {
      res.set_content(options.chart_js, "text/javascript; charset=utf-8");
      return;
    }
    if (!options.web.assets_dir.empty() && SafeAssetName(name)) {
      if (const auto body = app::ReadFile(options.web.assets_dir + "/" + name)) {
        const auto embedded = EmbeddedAsset(name);
        res.set_content(*body, embedded ? std::string(embedded->content_type) : "text/plain");
        return;
      }
    }
    if (const auto embedded = EmbeddedAsset(name)) {
      res.set_content(std::string(embedded->body), std::string(embedded->content_type));
      res.set_header("Cache-Control", "no-cache");
      return;
    }
    res.status = 404;
  };
  http->Get("/", [asset](const Request&, Response& res) { asset("index.html", res); });
  http->Get(R"(/assets/([^/]+))",
            [asset](const Request& req, Response& res) { asset(req.matches[1], res); });
}

void Server::Impl::Events(const Request& req, Response& res) {
  try {
    RequireKnownParameters(req.params, {});
  } catch (const Problem& problem) {
    Send(res, ProblemReply(problem, req.path));
    return;
  }
  // Each stream holds a worker thread while it is open, so their number is capped below the
  // pool's size and the API keeps answering.
  if (event_clients.fetch_add(1) >= options.web.max_event_clients) {
    event_clients.fetch_sub(1);
    res.set_header("Retry-After", "30");
    SendProblem(res, req, 503, "Too many event streams",
                fmt::format("at most {} event streams at once (web.max_event_clients)",
                            options.web.max_event_clients));
    return;
  }
  res.set_header("Cache-Control", "no-store");
  std::uint64_t seen = 0;
  const std::string last_id = req.get_header_value("Last-Event-ID");
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, seen, last_id](std::size_t, httplib::DataSink& sink) mutable {
        const auto event = watch.WaitForNewer(seen, kKeepAlive);
        if (event.stopping) return false;
        std::string text = ": keep-alive\n\n";
        if (event.sequence > seen && event.interval_start) {
          seen = event.sequence;
          const auto id = std::to_string(event.interval_start->time_since_epoch().count());
          if (id == last_id) return true;  // the client has this one (a reconnect)
          text = fmt::format(
              "event: interval\nid: {}\ndata: {{\"interval_start\": \"{}\", \"seen_at\": \"{}\"}}"
              "\n\n",
              id, ApiTime(*event.interval_start), ApiTime(WallNow()));
        }
        return sink.is_writable() && sink.write(text.data(), text.size());
      },
      [this](bool) { event_clients.fetch_sub(1); });
}

Server::Server(Options options, StorePool::Opener open_store)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(open_store))) {}

Server::~Server() { Stop(); }

int Server::Bind() {
  const WebSettings& web = impl_->options.web;
  if (!web.tls_cert.empty()) {
    impl_->http = std::make_unique<httplib::SSLServer>(web.tls_cert.c_str(), web.tls_key.c_str());
  } else {
    impl_->http = std::make_unique<httplib::Server>();
  }
  auto& http = *impl_->http;
  if (!http.is_valid()) {
    throw std::runtime_error(fmt::format(
        "cannot use web.tls_cert {} with web.tls_key {}: unreadable, not PEM, or not a pair",
        web.tls_cert, web.tls_key));
  }
  const auto threads = static_cast<std::size_t>(web.threads);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  const auto timeout = static_cast<time_t>(web.request_timeout.count());
  http.set_read_timeout(timeout, 0);
  http.set_write_timeout(timeout, 0);
  http.set_keep_alive_timeout(5);
  http.set_keep_alive_max_count(1000);
  http.set_payload_max_length(static_cast<std::size_t>(web.max_request_bytes));
  http.set_pre_routing_handler(
      [this](const Request& req, Response& res) { return impl_->Gate(req, res); });
  impl_->Routes();
  impl_->port = web.port == 0 ? http.bind_to_any_port(web.listen)
                              : (http.bind_to_port(web.listen, web.port) ? web.port : -1);
  if (impl_->port < 0) {
    throw std::runtime_error(fmt::format(
        "cannot listen on {} port {}: in use, or not an address of this machine (web.listen, "
        "web.port)",
        web.listen, web.port));
  }
  return impl_->port;
}

bool Server::Serve() { return impl_->http->listen_after_bind(); }

void Server::Stop() {
  impl_->watch.Stop();
  if (impl_->http) impl_->http->stop();
}

std::string Server::Url() const {
  const WebSettings& web = impl_->options.web;
  const std::string host =
      web.listen.find(':') != std::string::npos ? "[" + web.listen + "]" : web.listen;
  return fmt::format("{}://{}:{}/", web.tls_cert.empty() ? "http" : "https", host, impl_->port);
}

}  // namespace blemon::web
