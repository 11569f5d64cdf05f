#include "forget.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>

#include "blemon/app/backends.h"
#include "blemon/app/exit_codes.h"
#include "blemon/app/terminal.h"
#include "blemon/app/tool.h"
#include "blemon/errors.h"
#include "blemon/forget.h"
#include "blemon/identity_store.h"
#include "blemon/privacy.h"

namespace blemon::admin {
namespace {

// The blemon files of a state directory that may name a device: monitors' spools, the MQTT
// outbox, the alert queues (alerts-webhook.db, alerts-email.db: the events' JSON names the
// device), and the local alert log older blemon versions kept (alerts.db).
std::vector<std::string> LocalStateFiles(const std::string& directory) {
  std::vector<std::string> files;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    const std::string name = entry.path().filename().string();
    const bool spool = name.starts_with("spool-") && name.ends_with(".db");
    const bool alerts = name.starts_with("alerts") && name.ends_with(".db");
    if (entry.is_regular_file() && (spool || alerts || name == "mqtt-outbox.db")) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The device as a target: an address, or an enrolled identity with every address that resolves
// under its key (those in the central store and in this machine's spools). nullopt when `device`
// is neither (printed).
std::optional<ForgetTarget> TargetOf(const std::string& device, const DatabaseSettings& database,
                                     const std::vector<std::string>& local_files) {
  if (const auto mac = MacAddress::Parse(device))
    return ForgetTarget{.addresses = {*mac}, .identity = std::nullopt};
  for (const StoredIdentity& identity : app::OpenIdentityStore(database)->Identities()) {
    if (identity.name != device) continue;
    ForgetTarget target{.addresses = {}, .identity = identity.name};
    if (identity.device_mac) {
      if (const auto mac = MacAddress::Parse(*identity.device_mac)) target.addresses.insert(*mac);
    }
    std::vector<MacAddress> candidates =
        app::OpenForgetStore(database)->ResolvablePrivateAddresses();
    for (const std::string& file : local_files) {
      for (const MacAddress& mac : app::SpooledAddresses(file)) candidates.push_back(mac);
    }
    target.addresses.merge(
        AddressesOfIdentity(identity.irk, identity.byte_order_known, candidates));
    return target;
  }
  fmt::print(stderr,
             "blemon-admin: forget: '{}' is neither a MAC address (AA:BB:CC:DD:EE:FF) nor the name "
             "of an enrolled identity (blemon-admin identity list)\n",
             app::EscapeForTerminal(device));
  return std::nullopt;
}

// Privacy mode stores an unwatched device under one pseudonym per UTC day (docs/privacy.md): with
// the fleet secret, those of the last `days` days are the device too. Throws ConfigError when the
// secret cannot be read.
void AddPseudonyms(const app::LoadedConfig& loaded, int days, ForgetTarget& target) {
  if (loaded.config.privacy.mode != PrivacyMode::kPseudonymise || days <= 0) return;
  Pseudonymiser pseudonymiser(app::LoadFleetSecret(loaded));
  const UtcTime today = std::chrono::time_point_cast<Seconds>(std::chrono::system_clock::now());
  const std::set<MacAddress> addresses = target.addresses;
  for (const MacAddress& address : addresses) {
    for (int day = 0; day < days; ++day) {
      target.addresses.insert(pseudonymiser.Pseudonym(address, today - std::chrono::days{day}));
    }
  }
}

std::vector<std::string> Needles(const ForgetTarget& target) {
  std::vector<std::string> needles;
  for (const MacAddress& mac : target.addresses) {
    for (std::string& spelling : AddressSpellings(mac)) needles.push_back(std::move(spelling));
  }
  if (target.identity) needles.push_back(*target.identity);
  return needles;
}

void PrintCounts(const std::vector<ForgetCount>& counts, bool dry_run) {
  std::int64_t total = 0;
  for (const ForgetCount& count : counts) {
    fmt::print("  {:<40} {:>8}\n", count.place, count.rows);
    total += count.rows;
  }
  fmt::print("  {:<40} {:>8} rows {}\n", "total", total, dry_run ? "would be deleted" : "deleted");
}

}  // namespace

void DefineForgetCommand(CLI::App& cli, ForgetCommand& command) {
  command.command = cli.add_subcommand(
      "forget",
      "delete every row of one device: central store (sightings, staging, devices, rooms, links, "
      "presence, watch entry, identity, alert deliveries) and this machine's spool, outbox and "
      "alert "
      "queues");
  command.command->add_option("DEVICE", command.device, "a MAC address or an identity's name")
      ->required();
  command.command->add_flag("--dry-run", command.dry_run, "count the rows, delete nothing");
  command.command->add_option("--state-directory", command.state_directory,
                              "this machine's state directory (default: monitor.state_directory)");
  command.command
      ->add_option("--pseudonym-days", command.pseudonym_days,
                   "privacy mode: also the pseudonyms of the last N UTC days")
      ->check(CLI::Range(0, 36500))
      ->capture_default_str();
}

int RunForget(const ForgetCommand& command, const app::LoadedConfig& loaded) {
  const DatabaseSettings& database = loaded.config.database;
  const std::string directory = command.state_directory.empty()
                                    ? app::StateDirectoryOf(loaded.config.monitor)
                                    : command.state_directory;
  return app::ExitCodeOfStoreWork("blemon-admin", [&] {
    const std::vector<std::string> local_files = LocalStateFiles(directory);
    auto target = TargetOf(command.device, database, local_files);
    if (!target) return app::kExitUsage;
    const std::size_t heard = target->addresses.size();
    try {
      AddPseudonyms(loaded, command.pseudonym_days, *target);
    } catch (const ConfigError& e) {
      fmt::print(stderr, "blemon-admin: forget: {}\n", e.what());
      return app::kExitConfig;
    }
    fmt::print("{} {} address{} of {}{}\n", command.dry_run ? "Would forget" : "Forgetting", heard,
               heard == 1 ? "" : "es", app::EscapeForTerminal(command.device),
               target->addresses.size() == heard
                   ? std::string()
                   : fmt::format(" and their pseudonyms of the last {} days (privacy mode)",
                                 command.pseudonym_days));
    // This machine's files first: a spool that still held the device would otherwise send it
    // back to the central store after it was erased there.
    const std::vector<std::string> needles = Needles(*target);
    fmt::print("State directory {} ({} file{}):\n", directory, local_files.size(),
               local_files.size() == 1 ? "" : "s");
    std::vector<ForgetCount> local;
    for (const std::string& file : local_files) {
      for (ForgetCount& count : app::ForgetInLocalFile(file, needles, command.dry_run)) {
        local.push_back(std::move(count));
      }
    }
    PrintCounts(local, command.dry_run);
    fmt::print("Store {}:\n", app::DescribeStore(database));
    PrintCounts(app::OpenForgetStore(database)->Forget(*target, command.dry_run), command.dry_run);
    return app::kExitOk;
  });
}

}  // namespace blemon::admin
