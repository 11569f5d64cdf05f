#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "blemon/config.h"

namespace blemon::app {

// Where an installed blemon looks when no -c/--config is given.
inline constexpr std::string_view kDefaultConfigPath = "/etc/blemon/blemon.toml";
// blemon-admin's, on the database server: the admin role's connection (root through the socket,
// or an admin account). blemon-admin falls back to kDefaultConfigPath without it.
inline constexpr std::string_view kAdminConfigPath = "/etc/blemon/admin.toml";

struct LoadedConfig {
  Config config;
  // The file read, or "built-in defaults" when none was: what messages name as the source.
  std::string source;
};

// The whole file at `path`, or nullopt when it cannot be opened or read (errno says why).
std::optional<std::string> ReadFile(const std::string& path);

// Reads and parses the configuration. An empty `path` means `default_path` if that file exists,
// else the built-in defaults (an empty TOML document). A file that cannot be read, and every
// mistake ParseConfig finds, throws ConfigError naming the file (and line and key where known);
// applications print what() and exit kExitConfig.
LoadedConfig LoadConfig(const std::string& path,
                        std::string_view default_path = kDefaultConfigPath);

// Checks the files the configuration names, as the programs' start would find them, so that
// `blemon-monitor --check-config` and the start refuse the same things (exit kExitConfig):
// - database.password_file (backend mariadb): exists, is a readable file, is not readable by
//   everyone (the advice is 0640 root:_blemon), and holds a password on its first line;
// - database.ssl_ca, ssl_cert, ssl_key (backend mariadb): exist and are readable files;
// - for a processor, mqtt.password_file and alerts.credentials_file as secrets (readable, not
//   by everyone; the password on the first line), mqtt.ca_file and alerts.ca_file readable;
// - with `check_log_file`, monitor.log_file: can be opened for appending (an existing file is
//   writable, or its directory lets us create it). Nothing is created;
// - privacy.secret_file (mode pseudonymise): a readable file of mode 0600 or stricter (no group
//   or other bits) holding at least 16 bytes.
// Throws ConfigError naming the config file, the key's line and the key.
void CheckLocalFiles(const LoadedConfig& loaded, bool check_log_file);

// The fleet secret of privacy mode: privacy.secret_file's bytes, checked as CheckLocalFiles does.
// Throws ConfigError as it does.
std::string LoadFleetSecret(const LoadedConfig& loaded);

}  // namespace blemon::app
