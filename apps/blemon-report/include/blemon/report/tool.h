#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "blemon/app/config_file.h"

namespace CLI {
class App;
}  // namespace CLI

namespace blemon::report {

// Start-up and exit handling that blemon-report, blemon-admin and blemon-dashboard share, so the
// three tools answer a bad command line, a bad config file and a lost database alike. `program`
// prefixes every message ("blemon-report: ...").

// Adds -c,--config, the config file the tool reads (default app::kDefaultConfigPath if present).
void AddConfigOption(CLI::App& cli, std::string& config_path);

// Checks the TZ variable (app::ProcessTimeZoneProblem) and loads the config file
// (app::LoadConfig). On a bad TZ or a ConfigError prints it and returns nullopt; the caller then
// exits with kExitConfig.
std::optional<app::LoadedConfig> LoadConfigOrComplain(std::string_view program,
                                                      const std::string& config_path);

// Runs `work` against the store and returns its exit code; a database that is away (Unavailable)
// or refuses (Refused), or any other exception, is printed and exits with kExitUnavailable.
int ExitCodeOfStoreWork(std::string_view program, const std::function<int()>& work);

}  // namespace blemon::report
