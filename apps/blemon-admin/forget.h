#pragma once

// blemon-admin forget (MAC | IDENTITY): erases every row of one device from the central store and
// from this machine's state directory (docs/privacy.md#erasing-a-device).

#include <string>

#include "blemon/app/config_file.h"

namespace CLI {
class App;
}  // namespace CLI

namespace blemon::admin {

struct ForgetCommand {
  std::string device;  // a MAC address in any usual spelling, or an enrolled identity's name
  bool dry_run = false;
  std::string state_directory;  // default: monitor.state_directory (as the monitor finds it)
  // Privacy mode: also the address's pseudonyms of the last this many UTC days (today included).
  int pseudonym_days = 400;
  CLI::App* command = nullptr;
};

void DefineForgetCommand(CLI::App& cli, ForgetCommand& command);

// Runs it; returns the exit code: 0 done (or counted, with --dry-run), 64 when DEVICE is neither
// an address nor an enrolled identity, 78 when privacy mode is on and its secret file cannot be
// read, 69 when a store cannot be reached or a local file stays
// locked (what was done is printed; rerun to finish).
int RunForget(const ForgetCommand& command, const app::LoadedConfig& loaded);

}  // namespace blemon::admin
