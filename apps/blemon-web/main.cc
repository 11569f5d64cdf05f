// blemon-web: the read-only HTTP API, the web dashboard and Prometheus /metrics over the store the
// config names (docs/api.md). Loopback only unless web.listen says otherwise.

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "auth.h"
#include "blemon/app/backends.h"
#include "blemon/app/command_line.h"
#include "blemon/app/config_file.h"
#include "blemon/app/exit_codes.h"
#include "blemon/app/systemd.h"
#include "blemon/app/tool.h"
#include "blemon/errors.h"
#include "server.h"
#include "signals.h"

namespace {

namespace app = blemon::app;
namespace web = blemon::web;

std::string ReadChartLibrary(const std::string& path) {
  auto text = app::ReadFile(path);
  if (!text) {
    fmt::print(stderr,
               "blemon-web: no chart library at {} (web.chart_js; Debian package libjs-chart.js): "
               "the dashboard shows tables without the chart\n",
               path);
    return "";
  }
  return std::move(*text);
}

std::optional<web::Server::Options> OptionsFrom(const app::LoadedConfig& loaded,
                                                std::optional<int> port) {
  web::Server::Options options;
  options.web = loaded.config.web;
  if (port) options.web.port = *port;
  options.fleet_interval = loaded.config.monitor.scan_interval;
  try {
    // Unreadable TLS files are a configuration mistake (78), found before binding.
    for (const auto& [key, path] : {std::pair{"web.tls_cert", options.web.tls_cert},
                                    std::pair{"web.tls_key", options.web.tls_key}}) {
      if (!path.empty() && ::access(path.c_str(), R_OK) != 0) {
        throw blemon::ConfigError(loaded.source, loaded.config.LineOf(key), key,
                                  fmt::format("{} cannot be read: {}", path, std::strerror(errno)));
      }
    }
    if (!options.web.auth_file.empty()) {
      options.credentials = web::Credentials::Load(options.web.auth_file);
    }
  } catch (const blemon::ConfigError& e) {
    fmt::print(stderr, "blemon-web: {}\n", e.what());
    return std::nullopt;
  }
  options.chart_js = ReadChartLibrary(options.web.chart_js);
  return options;
}

int Run(int argc, char** argv) {
  blemon::monitor::SignalWatcher::BlockSignals();
  CLI::App cli{"blemon-web: the blemon HTTP API, web dashboard and Prometheus metrics"};
  std::string config_path;
  std::optional<int> port;
  blemon::app::AddConfigOption(cli, config_path);
  app::AddVersionFlag(cli, "blemon-web");
  cli.add_option("-p,--port", port, "listen on this port instead of web.port (0: any free one)")
      ->check(CLI::Range(0, 65535));
  bool check_config = false;
  cli.add_flag("--check-config", check_config,
               "check the config file and the auth file, then exit (0: fine, 78: not)");
  if (const auto exit_code = app::ParseCommandLine(cli, "blemon-web", argc, argv))
    return *exit_code;

  const auto loaded = blemon::app::LoadConfigOrComplain("blemon-web", config_path);
  if (!loaded) return app::kExitConfig;
  auto options = OptionsFrom(*loaded, port);
  if (!options) return app::kExitConfig;
  if (check_config) {
    fmt::print("{}: configuration OK\n", loaded->source);
    return app::kExitOk;
  }
  const auto database = loaded->config.database;
  web::Server server(std::move(*options),
                     [database] { return blemon::app::OpenReportStore(database); });
  try {
    server.Bind();
  } catch (const std::runtime_error& e) {
    fmt::print(stderr, "blemon-web: {}\n", e.what());
    return app::kExitUnavailable;
  }
  blemon::monitor::SignalWatcher signals([&](int) { server.Stop(); }, std::chrono::seconds(10),
                                         [] { std::_Exit(app::kExitOk); });
  // The line tests and scripts/demo wait for; it names the port when --port 0 chose one.
  fmt::print(stderr, "blemon-web: serving {} from {}\n", server.Url(), loaded->source);
  std::fflush(stderr);
  const app::SystemdNotifier systemd;
  systemd.Ready();
  systemd.Status("serving " + server.Url());
  const bool served = server.Serve();
  systemd.Stopping();
  return served ? app::kExitOk : app::kExitUnavailable;
}

}  // namespace

int main(int argc, char** argv) { return blemon::app::GuardedMain("blemon-web", Run, argc, argv); }
