#include "blemon/app/tool.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "blemon/app/exit_codes.h"
#include "blemon/app/time_zone.h"
#include "blemon/errors.h"

namespace blemon::app {

void AddConfigOption(CLI::App& cli, std::string& config_path, std::string_view defaults) {
  cli.add_option(
      "-c,--config", config_path,
      fmt::format("config file (default {} if present, else built-in defaults)", defaults));
}

std::optional<app::LoadedConfig> LoadConfigOrComplain(std::string_view program,
                                                      const std::string& config_path,
                                                      std::string_view default_path) {
  if (const auto problem = app::ProcessTimeZoneProblem()) {
    fmt::print(stderr, "{}: {}\n", program, *problem);
    return std::nullopt;
  }
  try {
    auto loaded = app::LoadConfig(config_path, default_path);
    app::CheckLocalFiles(loaded, /*check_log_file=*/false);
    return loaded;
  } catch (const ConfigError& e) {
    fmt::print(stderr, "{}: {}\n", program, e.what());
    return std::nullopt;
  }
}

int ExitCodeOfStoreWork(std::string_view program, const std::function<int()>& work) {
  try {
    return work();
  } catch (const Unavailable& e) {
    fmt::print(stderr, "{}: the database is unavailable: {}\n", program, e.what());
    return kExitUnavailable;
  } catch (const Refused& e) {
    fmt::print(stderr, "{}: {}\n", program, e.what());
    return app::kExitUnavailable;
  } catch (const std::exception& e) {
    // Never an uncaught exception (std::terminate): whatever else failed ends as 69 too.
    fmt::print(stderr, "{}: unexpected failure: {}\n", program, e.what());
    return app::kExitUnavailable;
  }
}

int GuardedMain(std::string_view program, int (*run)(int, char**), int argc, char** argv) noexcept {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%.*s: unexpected failure: %s\n", static_cast<int>(program.size()),
                 program.data(), e.what());
  } catch (...) {
    std::fprintf(stderr, "%.*s: unexpected failure\n", static_cast<int>(program.size()),
                 program.data());
  }
  return kExitUnavailable;
}

}  // namespace blemon::app
