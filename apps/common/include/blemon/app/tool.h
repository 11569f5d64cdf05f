#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "blemon/app/config_file.h"

namespace CLI {
class App;
}  // namespace CLI

namespace blemon::app {

// Start-up and exit handling that blemon-report, blemon-admin, blemon-dashboard and blemon-web
// share, so the tools answer a bad command line, a bad config file and a lost database alike.
// `program` prefixes every message ("blemon-report: ...").

// Adds -c,--config, the config file the tool reads; `defaults` names where it looks without one.
void AddConfigOption(CLI::App& cli, std::string& config_path,
                     std::string_view defaults = kDefaultConfigPath);

// Checks the TZ variable (ProcessTimeZoneProblem) and loads the config file (LoadConfig). On a
// bad TZ or a ConfigError prints it and returns nullopt; the caller then exits with kExitConfig.
// `default_path` is read when no -c is given and it exists.
std::optional<LoadedConfig> LoadConfigOrComplain(
    std::string_view program, const std::string& config_path,
    std::string_view default_path = kDefaultConfigPath);

// Runs `work` against the store and returns its exit code; a database that is away (Unavailable)
// or refuses (Refused), or any other exception, is printed and exits with kExitUnavailable.
int ExitCodeOfStoreWork(std::string_view program, const std::function<int()>& work);

// The body of a tool's main(): runs `run` and returns its exit code. An exception that escapes it
// (a bug, out of memory) is printed with `program` and ends as kExitUnavailable, so no tool ever
// ends in std::terminate.
int GuardedMain(std::string_view program, int (*run)(int, char**), int argc, char** argv) noexcept;

}  // namespace blemon::app
