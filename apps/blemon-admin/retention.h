#pragma once

// blemon-admin retention enable / status (docs/database.md, "Retention"): converting MariaDB's
// device_sightings and sighting_staging to daily partitions, and showing how they are laid out.

namespace CLI {
class App;
}  // namespace CLI

namespace blemon {
class RetentionStore;
}  // namespace blemon

namespace blemon::admin {

struct RetentionCommand {
  int batch_rows = 10'000;
  CLI::App* enable = nullptr;
  CLI::App* status = nullptr;
};

// Adds `retention` and its enable / status commands to `cli`.
void DefineRetentionCommands(CLI::App& cli, RetentionCommand& command);
bool RetentionCommandGiven(const RetentionCommand& command);
// Runs the command; returns the exit code: 0 done, 75 (kExitTemporary) when Ctrl-C (SIGINT) or
// SIGTERM stopped `enable` between two batches (run it again to resume). Store failures propagate
// as the exceptions of blemon/errors.h.
int RunRetentionCommand(const RetentionCommand& command, RetentionStore& store);

}  // namespace blemon::admin
