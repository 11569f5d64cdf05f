#include "blemon/app/config_file.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "blemon/privacy.h"

namespace blemon::app {
namespace {

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string ReadWholeFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text) {
    throw ConfigError(path, 0, "", std::string("cannot read the file: ") + std::strerror(errno));
  }
  return std::move(*text);
}

[[noreturn]] void Refuse(const LoadedConfig& loaded, std::string_view key,
                         const std::string& problem) {
  throw ConfigError(loaded.source, loaded.config.LineOf(key), std::string(key), problem);
}

// A file a key names, which the start opens for reading: it exists, is a file and can be read.
// Returns its mode bits.
mode_t RequireReadableFile(const LoadedConfig& loaded, std::string_view key,
                           const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    Refuse(loaded, key, fmt::format("names {}: {}", path, std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) Refuse(loaded, key, fmt::format("{} is not a file", path));
  if (::access(path.c_str(), R_OK) != 0) {
    Refuse(loaded, key,
           fmt::format("cannot read {}: {} (the service user _blemon reads it: chown "
                       "root:_blemon, chmod 0640)",
                       path, std::strerror(errno)));
  }
  return st.st_mode;
}

// A file holding a secret: readable by us, not by everyone.
void CheckSecretFile(const LoadedConfig& loaded, std::string_view key, const std::string& path) {
  const mode_t mode = RequireReadableFile(loaded, key, path);
  if ((mode & S_IROTH) != 0) {
    Refuse(loaded, key,
           fmt::format("{0} is readable by everyone (mode {1:04o}); it holds a password: "
                       "chmod 0640 {0} and chown root:_blemon {0}",
                       path, mode & 07777));
  }
}

// A secret file whose first line is the password.
void CheckPasswordFile(const LoadedConfig& loaded, std::string_view key, const std::string& path) {
  CheckSecretFile(loaded, key, path);
  std::ifstream in(path);
  std::string first_line;
  if (!std::getline(in, first_line) || first_line.empty()) {
    Refuse(loaded, key, fmt::format("{} holds no password on its first line", path));
  }
}

// [mqtt] and [alerts]: the secrets and CA files the processor opens when it starts.
void CheckOutboundFiles(const LoadedConfig& loaded) {
  const Config& config = loaded.config;
  if (config.mqtt.configured) {
    if (!config.mqtt.password_file.empty()) {
      CheckPasswordFile(loaded, "mqtt.password_file", config.mqtt.password_file);
    }
    if (!config.mqtt.ca_file.empty())
      RequireReadableFile(loaded, "mqtt.ca_file", config.mqtt.ca_file);
  }
  if (config.alerts.configured) {
    if (!config.alerts.credentials_file.empty()) {
      CheckSecretFile(loaded, "alerts.credentials_file", config.alerts.credentials_file);
    }
    if (!config.alerts.ca_file.empty()) {
      RequireReadableFile(loaded, "alerts.ca_file", config.alerts.ca_file);
    }
  }
}

// privacy.secret_file: the fleet secret, which must be the monitor user's alone.
void CheckFleetSecretFile(const LoadedConfig& loaded) {
  constexpr std::string_view kKey = "privacy.secret_file";
  const std::string& path = loaded.config.privacy.secret_file;
  const mode_t mode = RequireReadableFile(loaded, kKey, path);
  if ((mode & 077) != 0) {
    Refuse(
        loaded, kKey,
        fmt::format("{0} has mode {1:04o}; the fleet secret must be 0600 or stricter: chmod 0600 "
                    "{0} and chown _blemon {0}",
                    path, mode & 07777));
  }
  const auto secret = ReadFile(path);
  if (!secret || secret->size() < Pseudonymiser::kMinSecretBytes) {
    Refuse(loaded, kKey,
           fmt::format("{} holds fewer than {} bytes (make one: head -c 32 /dev/urandom > {})",
                       path, Pseudonymiser::kMinSecretBytes, path));
  }
}

void CheckLogFile(const LoadedConfig& loaded) {
  const std::string& path = loaded.config.monitor.log_file;
  constexpr std::string_view kKey = "monitor.log_file";
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) Refuse(loaded, kKey, fmt::format("{} is a directory", path));
    if (::access(path.c_str(), W_OK) != 0) {
      Refuse(loaded, kKey, fmt::format("cannot write {}: {}", path, std::strerror(errno)));
    }
    return;
  }
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    Refuse(loaded, kKey, fmt::format("cannot create {}: {}: {}", path, dir, std::strerror(errno)));
  }
}

}  // namespace

void CheckLocalFiles(const LoadedConfig& loaded, bool check_log_file) {
  const Config& config = loaded.config;
  const DatabaseSettings& database = config.database;
  if (database.backend == Backend::kMariaDb) {
    if (!database.password_file.empty()) {
      CheckPasswordFile(loaded, "database.password_file", database.password_file);
    }
    // The TLS files: read by the client library at connect time, where a missing one would look
    // like a database that refuses us.
    for (const auto& [key, path] : {std::pair{"database.ssl_ca", &database.ssl_ca},
                                    std::pair{"database.ssl_cert", &database.ssl_cert},
                                    std::pair{"database.ssl_key", &database.ssl_key}}) {
      if (!path->empty()) RequireReadableFile(loaded, key, *path);
    }
  }
  if (check_log_file && !config.monitor.log_file.empty()) CheckLogFile(loaded);
  if (config.monitor.process_intervals) CheckOutboundFiles(loaded);
  if (config.privacy.mode == PrivacyMode::kPseudonymise) CheckFleetSecretFile(loaded);
}

std::string LoadFleetSecret(const LoadedConfig& loaded) {
  CheckFleetSecretFile(loaded);
  return *ReadFile(loaded.config.privacy.secret_file);
}

LoadedConfig LoadConfig(const std::string& path, std::string_view default_path) {
  std::string chosen = path;
  if (chosen.empty() && !default_path.empty() && Exists(std::string(default_path))) {
    chosen = std::string(default_path);
  }
  if (chosen.empty()) {
    // Every key has a default, so the empty document is the built-in configuration.
    return {ParseConfig("", "built-in defaults"), "built-in defaults"};
  }
  const std::string text = ReadWholeFile(chosen);
  return {ParseConfig(text, chosen), chosen};
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

}  // namespace blemon::app
