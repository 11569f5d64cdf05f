#include "blemon/config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <map>

#include "blemon/interval.h"

namespace blemon {

std::string_view ToString(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARNING";
    case LogLevel::kError:
      return "ERROR";
  }
  return "INFO";
}

namespace {
std::size_t CharacterCount(std::string_view utf8) {
  // Every byte that does not continue a UTF-8 sequence starts a character.
  return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string Describe(const std::string& source, int line, const std::string& key,
                     const std::string& problem) {
  const std::string where = line > 0 ? fmt::format("{}:{}", source, line) : source;
  return key.empty() ? fmt::format("{}: {}", where, problem)
                     : fmt::format("{}: {} {}", where, key, problem);
}

std::string TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number with a fraction";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    default:
      return "a date or time";
  }
}

// A value as the user wrote it, for "(got …)" in messages.
std::string Shown(const toml::node& node) {
  if (const auto* text = node.as_string()) return fmt::format("\"{}\"", text->get());
  return TypeName(node);
}

// Reads one section's keys into settings, knowing the type and range of each. The table of
// readers doubles as the list of known keys, so a key cannot be parsed without being known.
class SectionReader {
 public:
  SectionReader(std::string source, std::string section, const toml::table& table,
                std::map<std::string, int, std::less<>>* lines)
      : source_(std::move(source)), section_(std::move(section)), table_(table), lines_(lines) {}

  using Reader = std::function<void(const toml::node&)>;

  void String(const char* key, std::string& out) {
    readers_[key] = [this, key, &out](const toml::node& node) {
      const auto* value = node.as_string();
      if (value == nullptr)
        Throw(node, key, fmt::format("must be a string (got {})", TypeName(node)));
      out = value->get();
    };
  }

  // A string the database stores in a column of at most `max` characters (VARCHAR counts
  // characters) or bytes (TEXT): refused here, so that the store never answers "data too long".
  enum class Unit { kCharacters, kBytes };
  void Text(const char* key, std::string& out, std::size_t max, const char* column,
            Unit unit = Unit::kCharacters) {
    readers_[key] = [this, key, &out, max, column, unit](const toml::node& node) {
      const auto* value = node.as_string();
      if (value == nullptr)
        Throw(node, key, fmt::format("must be a string (got {})", TypeName(node)));
      const std::size_t length =
          unit == Unit::kBytes ? value->get().size() : CharacterCount(value->get());
      const char* units = unit == Unit::kBytes ? "bytes" : "characters";
      if (length > max) {
        Throw(node, key,
              fmt::format("is {} {} long; the database column {} holds at most {}", length, units,
                          column, max));
      }
      out = value->get();
    };
  }

  void Bool(const char* key, bool& out) {
    readers_[key] = [this, key, &out](const toml::node& node) {
      const auto* value = node.as_boolean();
      if (value == nullptr) {
        Throw(node, key, fmt::format("must be true or false (got {})", TypeName(node)));
      }
      out = value->get();
    };
  }

  template <typename T>
  void Integer(const char* key, T& out, std::int64_t min, std::int64_t max) {
    readers_[key] = [this, key, &out, min, max](const toml::node& node) {
      const std::int64_t value = ReadInteger(node, key, min, max);
      out = static_cast<T>(value);
    };
  }

  void Duration(const char* key, Seconds& out, std::int64_t min, std::int64_t max,
                std::int64_t unit = 1) {
    readers_[key] = [this, key, &out, min, max, unit](const toml::node& node) {
      out = Seconds{ReadInteger(node, key, min, max) * unit};
    };
  }

  void Double(const char* key, double& out, double min, double max) {
    readers_[key] = [this, key, &out, min, max](const toml::node& node) {
      ReadDouble(node, key, min, max, out);
    };
  }

  void OptionalDouble(const char* key, std::optional<double>& out, double min, double max) {
    readers_[key] = [this, key, &out, min, max](const toml::node& node) {
      double value = 0;
      ReadDouble(node, key, min, max, value);
      out = value;
    };
  }

  // A number in tenths of a unit (an RSSI margin in dB kept as tenths, like RssiOffsets).
  void Tenths(const char* key, int& out, double min, double max) {
    readers_[key] = [this, key, &out, min, max](const toml::node& node) {
      double value = 0;
      ReadDouble(node, key, min, max, value);
      out = static_cast<int>(std::lround(value * 10));
    };
  }

  // An inline table of names to numbers, `{ "Living Room" = 10.0 }`; names are lower-cased and
  // trimmed, as the simulated world matches locations.
  void NumberTable(const char* key, std::map<std::string, double, std::less<>>& out, double min,
                   double max) {
    readers_[key] = [this, key, &out, min, max](const toml::node& node) {
      const auto* table = node.as_table();
      if (table == nullptr) {
        Throw(node, key,
              fmt::format("must be a table of names to numbers, like {{ \"Kitchen\" = 3.0 }} "
                          "(got {})",
                          TypeName(node)));
      }
      for (const auto& [name, value] : *table) {
        double number = 0;
        ReadDouble(value, fmt::format("{}.\"{}\"", key, name.str()), min, max, number);
        out[NormalisedName(name.str())] = number;
      }
    };
  }

  void Custom(const char* key, Reader reader) { readers_[key] = std::move(reader); }

  // Applies the readers to the section's keys; any key without a reader is an error.
  void Read() {
    for (const auto& [key, node] : table_) {
      const auto reader = readers_.find(std::string(key.str()));
      if (reader == readers_.end()) {
        Throw(node, std::string(key.str()), "is not a known key" + Suggestion(key.str()));
      }
      reader->second(node);
      (*lines_)[section_ + "." + std::string(key.str())] =
          static_cast<int>(node.source().begin.line);
    }
  }

  [[noreturn]] void Throw(const toml::node& node, const std::string& key,
                          const std::string& problem) const {
    throw ConfigError(source_, static_cast<int>(node.source().begin.line), section_ + "." + key,
                      problem);
  }

 private:
  void ReadDouble(const toml::node& node, const std::string& key, double min, double max,
                  double& out) const {
    double value = 0;
    if (const auto* f = node.as_floating_point()) {
      value = f->get();
    } else if (const auto* i = node.as_integer()) {
      value = static_cast<double>(i->get());
    } else {
      Throw(node, key, fmt::format("must be a number (got {})", TypeName(node)));
    }
    if (!(value >= min && value <= max)) {
      Throw(node, key, fmt::format("must be between {} and {} (got {})", min, max, value));
    }
    out = value;
  }

  static std::string NormalisedName(std::string_view name) {
    const auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (!name.empty() && space(name.front())) name.remove_prefix(1);
    while (!name.empty() && space(name.back())) name.remove_suffix(1);
    std::string out(name);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
      return static_cast<char>(c < 0x80 ? std::tolower(c) : c);
    });
    return out;
  }

  std::int64_t ReadInteger(const toml::node& node, const std::string& key, std::int64_t min,
                           std::int64_t max) const {
    const auto* value = node.as_integer();
    if (value == nullptr) {
      Throw(node, key, fmt::format("must be an integer (got {})", TypeName(node)));
    }
    if (value->get() < min || value->get() > max) {
      Throw(node, key, fmt::format("must be between {} and {} (got {})", min, max, value->get()));
    }
    return value->get();
  }

  // A near miss ("scan_intervall") is usually a typo of a known key: say which.
  std::string Suggestion(std::string_view key) const {
    for (const auto& [known, reader] : readers_) {
      const std::size_t common =
          std::mismatch(known.begin(), known.end(), key.begin(), key.end()).first - known.begin();
      if (common >= 6 && common + 3 >= std::max(known.size(), key.size())) {
        return fmt::format(" (did you mean {}?)", known);
      }
    }
    return "";
  }

  std::string source_;
  std::string section_;
  const toml::table& table_;
  std::map<std::string, int, std::less<>>* lines_;
  std::map<std::string, Reader> readers_;
};

std::optional<LogLevel> ParseLogLevel(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (text == "DEBUG") return LogLevel::kDebug;
  if (text == "INFO") return LogLevel::kInfo;
  if (text == "WARNING" || text == "WARN") return LogLevel::kWarning;
  if (text == "ERROR") return LogLevel::kError;
  return std::nullopt;
}

constexpr std::int64_t kDaySeconds = 86400;

void ReadMonitor(SectionReader& r, MonitorSettings& m) {
  // The limits of the seed schema's monitors table (schema/mariadb/000_seed.sql), which both
  // stores keep.
  r.Text("name", m.name, 100, "monitors.monitor_name");
  r.Text("location", m.location, 200, "monitors.location");
  r.Text("description", m.description, 65535, "monitors.description", SectionReader::Unit::kBytes);
  r.Duration("scan_interval_seconds", m.scan_interval, 1, kDaySeconds);
  r.Duration("scan_duration_seconds", m.scan_duration, 1, 3600);
  r.Duration("scan_offset_seconds", m.scan_offset, 0, kDaySeconds);
  r.Bool("process_intervals", m.process_intervals);
  r.Bool("processor_standby", m.processor_standby);
  r.Duration("processor_wait_seconds", m.processor_wait, 0, kDaySeconds);
  r.Duration("processor_lease_ttl_seconds", m.processor_lease_ttl, 2, 7 * kDaySeconds);
  r.Duration("max_clock_skew_seconds", m.max_clock_skew, 1, kDaySeconds);
  r.Custom("log_level", [&r, &m](const toml::node& node) {
    const auto* value = node.as_string();
    const auto level = value != nullptr ? ParseLogLevel(value->get()) : std::nullopt;
    if (!level) {
      r.Throw(node, "log_level",
              fmt::format("must be one of DEBUG, INFO, WARNING, ERROR (got {})", Shown(node)));
    }
    m.log_level = *level;
  });
  r.String("log_file", m.log_file);
  r.String("adapter", m.adapter);
  r.Bool("advertise", m.advertise);
  r.String("state_directory", m.state_directory);
  r.OptionalDouble("position_x", m.position_x, -10'000, 10'000);
  r.OptionalDouble("position_y", m.position_y, -10'000, 10'000);
}

// One entry of database.hosts: "host", "host:port", "[v6 address]" or "[v6 address]:port". Port 0
// stands for "database.port", filled in once the whole section is read. Returns the problem, or
// an empty string when the entry is good.
std::string ParseServer(std::string_view text, DatabaseServer& server) {
  std::string_view host = text;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return "has an unclosed [ (write \"[::1]:3306\")";
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return "has text after ] that is not :port";
    if (!rest.empty()) port = rest.substr(1);
    if (!rest.empty() && port.empty()) return "ends in : without a port";
  } else if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    if (text.find(':') != colon) return "looks like an IPv6 address: write it as \"[addr]:port\"";
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (port.empty()) return "ends in : without a port";
  }
  if (host.empty()) return "has no host";
  if (host == "localhost") {
    return "is localhost, which means the Unix socket: a cluster's nodes are reached over TCP "
           "(write 127.0.0.1 for this machine)";
  }
  server.host = std::string(host);
  server.port = 0;
  if (port.empty()) return "";
  int value = 0;
  for (char c : port) {
    if (c < '0' || c > '9' || value > 65535) return "has a port that is not a number in 1..65535";
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > 65535) return "has a port that is not a number in 1..65535";
  server.port = value;
  return "";
}

void ReadServers(SectionReader& r, const toml::node& node, std::vector<DatabaseServer>& out) {
  const auto* array = node.as_array();
  if (array == nullptr) {
    r.Throw(node, "hosts",
            fmt::format("must be an array of \"host:port\" strings (got {})", TypeName(node)));
  }
  if (array->empty()) r.Throw(node, "hosts", "is empty: list at least one server, or drop it");
  out.clear();
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& entry = *array->get(i);
    const auto* text = entry.as_string();
    const std::string key = fmt::format("hosts[{}]", i);
    if (text == nullptr) {
      r.Throw(entry, key, fmt::format("must be a \"host:port\" string (got {})", TypeName(entry)));
    }
    DatabaseServer server;
    const std::string problem = ParseServer(text->get(), server);
    if (!problem.empty()) r.Throw(entry, key, fmt::format("\"{}\" {}", text->get(), problem));
    if (std::find(out.begin(), out.end(), server) != out.end()) {
      r.Throw(entry, key, fmt::format("\"{}\" is listed twice", text->get()));
    }
    out.push_back(std::move(server));
  }
}

void ReadDatabase(SectionReader& r, DatabaseSettings& d) {
  r.Custom("backend", [&r, &d](const toml::node& node) {
    const auto* value = node.as_string();
    if (value != nullptr && value->get() == "mariadb") {
      d.backend = Backend::kMariaDb;
    } else if (value != nullptr && value->get() == "sqlite") {
      d.backend = Backend::kSqlite;
    } else {
      r.Throw(node, "backend",
              fmt::format("must be \"mariadb\" or \"sqlite\" (got {})", Shown(node)));
    }
  });
  r.String("host", d.host);
  r.Custom("hosts", [&r, &d](const toml::node& node) { ReadServers(r, node, d.hosts); });
  r.Integer("port", d.port, 1, 65535);
  r.String("socket", d.socket);
  // MariaDB's own limits: user names of at most 80 characters, database names of 64.
  r.Text("user", d.user, 80, "mysql.user.User");
  r.String("password", d.password);
  r.String("password_file", d.password_file);
  r.Text("database", d.database, 64, "(a MariaDB database name)");
  r.Duration("connect_timeout_seconds", d.connect_timeout, 1, 600);
  r.Bool("ssl", d.ssl);
  r.String("ssl_ca", d.ssl_ca);
  r.String("ssl_cert", d.ssl_cert);
  r.String("ssl_key", d.ssl_key);
  r.Bool("ssl_verify_server_cert", d.ssl_verify_server_cert);
  r.String("path", d.path);
}

void ReadSpool(SectionReader& r, SpoolSettings& s) {
  r.Duration("max_age_hours", s.max_age, 1, 24 * 365, 3600);
  r.Integer("max_batches", s.max_batches, 1, 10'000'000);
}

void ReadSimulation(SectionReader& r, SimulationSettings& s) {
  r.Integer("seed", s.seed, 0, std::numeric_limits<std::int64_t>::max());
  r.Integer("devices", s.devices, 0, 100'000);
  r.Double("noise_db", s.noise_db, 0.0, 30.0);
  r.Double("gain_sigma_db", s.gain_sigma_db, 0.0, 20.0);
  r.Double("reporting_offset_sigma_db", s.reporting_offset_sigma_db, 0.0, 20.0);
  r.NumberTable("monitor_gain_db", s.monitor_gain_db, -40.0, 40.0);
  r.NumberTable("monitor_reporting_offset_db", s.monitor_reporting_offset_db, -40.0, 40.0);
  r.Integer("beacon_tx_power", s.beacon_tx_power, -40, 20);
}

void ReadRooms(SectionReader& r, RoomsSettings& s) {
  r.Tenths("room_switch_margin_db", s.rules.switch_margin_tenths, 0.0, 100.0);
  r.Integer("room_switch_intervals", s.rules.switch_intervals, 1, 1000);
  r.Duration("room_forget_after_seconds", s.rules.forget_after, 1, kDaySeconds);
  r.Tenths("high_confidence_margin_db", s.confidence.high_margin_tenths, 0.0, 100.0);
  r.Integer("high_confidence_min_monitors", s.confidence.high_min_monitors, 1, 1000);
  r.Tenths("ambiguous_margin_db", s.confidence.ambiguous_margin_tenths, 0.0, 100.0);
  r.Bool("auto_calibrate", s.auto_calibrate);
  r.Double("calibration_smoothing", s.calibration_smoothing, 0.01, 1.0);
  r.Duration("calibration_window_hours", s.calibration_window, 1, 24 * 365, 3600);
}

// At most 100 years: the partitions' bounds and the cut-off stay inside TIMESTAMP's range.
void ReadRetention(SectionReader& r, RetentionSettings& s) {
  r.Integer("sightings_days", s.sightings_days, 0, 36500);
  r.Integer("staging_days", s.staging_days, 0, 36500);
}

void ReadPresence(SectionReader& r, PresenceSettings& p) {
  r.Integer("away_after_intervals", p.away_after_intervals, 1, 288);
}

void ReadWeb(SectionReader& r, WebSettings& w) {
  r.String("listen", w.listen);
  r.Integer("port", w.port, 1, 65535);
  r.String("tls_cert", w.tls_cert);
  r.String("tls_key", w.tls_key);
  r.String("auth_file", w.auth_file);
  r.Integer("threads", w.threads, 1, 256);
  r.Integer("max_event_clients", w.max_event_clients, 0, 1024);
  r.Integer("max_request_bytes", w.max_request_bytes, 0, 64 * 1024 * 1024);
  r.Duration("request_timeout_seconds", w.request_timeout, 1, 600);
  r.Duration("event_poll_seconds", w.event_poll, 1, 3600);
  r.Integer("cache_milliseconds", w.cache, 0, 60'000);
  r.String("assets_dir", w.assets_dir);
  r.String("chart_js", w.chart_js);
}

// An MQTT topic prefix: not empty, no wildcards, no empty levels at either end.
void TopicPrefix(SectionReader& r, const char* key, std::string& out) {
  r.Custom(key, [&r, key, &out](const toml::node& node) {
    const auto* value = node.as_string();
    if (value == nullptr)
      r.Throw(node, key, fmt::format("must be a string (got {})", TypeName(node)));
    const std::string& text = value->get();
    if (text.empty() || text.find_first_of("+#") != std::string::npos || text.front() == '/' ||
        text.back() == '/') {
      r.Throw(node, key,
              fmt::format("must be an MQTT topic without wildcards (+, #) or a leading or "
                          "trailing / (got {})",
                          Shown(node)));
    }
    out = text;
  });
}

void ReadMqtt(SectionReader& r, MqttSettings& m) {
  m.configured = true;
  r.String("host", m.host);
  r.Integer("port", m.port, 1, 65535);
  r.Bool("tls", m.tls);
  r.String("ca_file", m.ca_file);
  r.String("username", m.username);
  r.String("password_file", m.password_file);
  r.String("client_id", m.client_id);
  TopicPrefix(r, "discovery_prefix", m.discovery_prefix);
  TopicPrefix(r, "base_topic", m.base_topic);
  r.Duration("keepalive_seconds", m.keepalive, 5, 3600);
  r.Duration("reconnect_max_seconds", m.reconnect_max, 1, 3600);
}

void ReadPrivacy(SectionReader& r, PrivacySettings& p) {
  r.Custom("mode", [&r, &p](const toml::node& node) {
    const auto* value = node.as_string();
    if (value != nullptr && value->get() == "off") {
      p.mode = PrivacyMode::kOff;
    } else if (value != nullptr && value->get() == "pseudonymise") {
      p.mode = PrivacyMode::kPseudonymise;
    } else {
      r.Throw(node, "mode",
              fmt::format("must be \"off\" or \"pseudonymise\" (got {})", Shown(node)));
    }
  });
  r.String("secret_file", p.secret_file);
}

// An array of strings, each one of `allowed` when that is not empty.
void StringList(SectionReader& r, const char* key, std::vector<std::string>& out,
                std::vector<std::string> allowed = {}) {
  r.Custom(key, [&r, key, &out, allowed](const toml::node& node) {
    const auto* array = node.as_array();
    if (array == nullptr) {
      r.Throw(node, key, fmt::format("must be an array of strings (got {})", TypeName(node)));
    }
    out.clear();
    for (const auto& item : *array) {
      const auto* text = item.as_string();
      if (text == nullptr) {
        r.Throw(node, key, fmt::format("must hold strings only (got {})", TypeName(item)));
      }
      if (!allowed.empty() &&
          std::find(allowed.begin(), allowed.end(), text->get()) == allowed.end()) {
        r.Throw(node, key,
                fmt::format("may hold only {} (got {})", fmt::join(allowed, ", "), Shown(item)));
      }
      out.push_back(text->get());
    }
  });
}

void ReadAlerts(SectionReader& r, AlertSettings& a) {
  a.configured = true;
  r.String("webhook_url", a.webhook_url);
  r.String("smtp_url", a.smtp_url);
  r.String("smtp_from", a.smtp_from);
  StringList(r, "smtp_to", a.smtp_to);
  r.String("credentials_file", a.credentials_file);
  r.String("ca_file", a.ca_file);
  StringList(r, "events", a.events, {"arrive", "leave", "room_change"});
  r.Duration("retry_first_seconds", a.retry_first, 1, 86400);
  r.Duration("retry_max_seconds", a.retry_max, 1, 7 * 86400);
  r.Integer("max_attempts", a.max_attempts, 1, 1000);
}

// The [alerts] keys that only make sense together.
void CheckAlerts(const AlertSettings& a,
                 const std::function<void(std::string_view, const std::string&)>& fail) {
  const auto scheme_is = [](const std::string& url, std::initializer_list<std::string_view> ok) {
    return std::any_of(ok.begin(), ok.end(),
                       [&](std::string_view s) { return url.rfind(s, 0) == 0; });
  };
  if (!a.webhook_url.empty() && !scheme_is(a.webhook_url, {"http://", "https://"})) {
    fail("webhook_url",
         fmt::format("must start with http:// or https:// (got \"{}\")", a.webhook_url));
  }
  if (!a.smtp_url.empty() && !scheme_is(a.smtp_url, {"smtp://", "smtps://"})) {
    fail("smtp_url", fmt::format("must start with smtp:// or smtps:// (got \"{}\")", a.smtp_url));
  }
  if (!a.smtp_url.empty() && (a.smtp_from.empty() || a.smtp_to.empty())) {
    fail(a.smtp_from.empty() ? "smtp_from" : "smtp_to",
         "must be set with alerts.smtp_url (who sends, who receives)");
  }
  if (a.retry_max < a.retry_first) {
    fail("retry_max_seconds",
         fmt::format("must not be less than retry_first_seconds ({})", a.retry_first.count()));
  }
}

int LineOf(const toml::table& root, std::string_view section, std::string_view key) {
  if (const auto* node = root.at_path(fmt::format("{}.{}", section, key)).node()) {
    return static_cast<int>(node->source().begin.line);
  }
  return 0;
}

// Rules that tie several keys together.
void CheckConsistency(const std::string& source, const toml::table& root, const Config& config) {
  const MonitorSettings& m = config.monitor;
  const auto fail = [&](std::string_view section, std::string_view key,
                        const std::string& problem) {
    throw ConfigError(source, LineOf(root, section, key), fmt::format("{}.{}", section, key),
                      problem);
  };
  if (config.privacy.mode == PrivacyMode::kPseudonymise && config.privacy.secret_file.empty()) {
    fail("privacy", "secret_file",
         "must name the fleet secret when privacy.mode = \"pseudonymise\"");
  }
  if (kDaySeconds % m.scan_interval.count() != 0) {
    fail("monitor", "scan_interval_seconds",
         fmt::format("must divide 86400 (got {})", m.scan_interval.count()));
  }
  std::string why;
  if (!Schedule::Make(m.schedule(), &why)) {
    // Blame the first of the timing keys the file sets: that is the one the user just wrote.
    std::string_view key = "scan_interval_seconds";
    for (std::string_view candidate : {"scan_interval_seconds", "scan_duration_seconds",
                                       "processor_wait_seconds", "scan_offset_seconds"}) {
      if (LineOf(root, "monitor", candidate) > 0) {
        key = candidate;
        break;
      }
    }
    fail("monitor", key, "does not fit: " + why);
  }
  if (m.process_intervals && m.processor_lease_ttl <= m.scan_interval) {
    fail("monitor", "processor_lease_ttl_seconds",
         fmt::format("must be longer than scan_interval_seconds ({}), so the lease survives "
                     "from one renewal to the next (got {})",
                     m.scan_interval.count(), m.processor_lease_ttl.count()));
  }
  if (!config.database.hosts.empty() && LineOf(root, "database", "host") > 0) {
    fail("database", "hosts",
         "and database.host are both set: keep one (hosts lists every server, host is one)");
  }
  if (m.position_x.has_value() != m.position_y.has_value()) {
    fail("monitor", m.position_x ? "position_x" : "position_y",
         "needs monitor.position_x and monitor.position_y together (a position in metres)");
  }
  if (config.rooms.confidence.ambiguous_margin_tenths >
      config.rooms.confidence.high_margin_tenths) {
    fail("rooms", "ambiguous_margin_db",
         "must not exceed rooms.high_confidence_margin_db (a sighting cannot be both)");
  }
  if (!config.database.password.empty() && !config.database.password_file.empty()) {
    fail("database", "password_file", "and database.password are both set: keep one");
  }
  if (config.web.tls_cert.empty() != config.web.tls_key.empty()) {
    fail("web", config.web.tls_cert.empty() ? "tls_key" : "tls_cert",
         "needs web.tls_cert and web.tls_key together (HTTPS needs both)");
  }
  if (config.alerts.configured) {
    CheckAlerts(config.alerts, [&](std::string_view key, const std::string& problem) {
      // A key the file leaves out is blamed on the section's line.
      const int line = LineOf(root, "alerts", key);
      const int section_line =
          root.get("alerts") ? static_cast<int>(root.get("alerts")->source().begin.line) : 0;
      throw ConfigError(source, line > 0 ? line : section_line, fmt::format("alerts.{}", key),
                        problem);
    });
  }
  if (config.web.max_event_clients >= config.web.threads) {
    fail("web", "max_event_clients",
         fmt::format("must be less than web.threads ({}): each event stream holds a thread "
                     "(got {})",
                     config.web.threads, config.web.max_event_clients));
  }
}

}  // namespace

std::vector<DatabaseServer> ServersOf(const DatabaseSettings& settings) {
  if (!settings.hosts.empty()) return settings.hosts;
  return {{settings.host, settings.port}};
}

std::string ToString(const DatabaseServer& server) {
  if (server.host.find(':') != std::string::npos) {
    return fmt::format("[{}]:{}", server.host, server.port);
  }
  return fmt::format("{}:{}", server.host, server.port);
}

int Config::LineOf(std::string_view key) const {
  const auto found = key_lines.find(key);
  return found == key_lines.end() ? 0 : found->second;
}

ConfigError::ConfigError(std::string source, int line, std::string key, const std::string& problem)
    : std::runtime_error(Describe(source, line, key, problem)),
      source_(std::move(source)),
      line_(line),
      key_(std::move(key)) {}

Config ParseConfig(std::string_view toml_text, std::string_view source_name) {
  const std::string source(source_name);
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    throw ConfigError(source, static_cast<int>(e.source().begin.line), "",
                      fmt::format("is not valid TOML: {}", e.description()));
  }

  Config config;
  using SectionFill = std::function<void(SectionReader&)>;
  const std::map<std::string, SectionFill, std::less<>> sections = {
      {"monitor", [&](SectionReader& r) { ReadMonitor(r, config.monitor); }},
      {"database",
       [&](SectionReader& r) {
         // A [database] section without a backend is the original tool's MySQL/MariaDB setup.
         config.database.configured = true;
         config.database.backend = Backend::kMariaDb;
         ReadDatabase(r, config.database);
       }},
      {"spool", [&](SectionReader& r) { ReadSpool(r, config.spool); }},
      {"simulation", [&](SectionReader& r) { ReadSimulation(r, config.simulation); }},
      {"web", [&](SectionReader& r) { ReadWeb(r, config.web); }},
      {"presence", [&](SectionReader& r) { ReadPresence(r, config.presence); }},
      {"mqtt", [&](SectionReader& r) { ReadMqtt(r, config.mqtt); }},
      {"alerts", [&](SectionReader& r) { ReadAlerts(r, config.alerts); }},
      {"rooms", [&](SectionReader& r) { ReadRooms(r, config.rooms); }},
      {"privacy", [&](SectionReader& r) { ReadPrivacy(r, config.privacy); }},
      {"retention", [&](SectionReader& r) { ReadRetention(r, config.retention); }},
  };

  for (const auto& [key, node] : root) {
    const auto section = sections.find(key.str());
    const int line = static_cast<int>(node.source().begin.line);
    if (section == sections.end()) {
      throw ConfigError(source, line, std::string(key.str()),
                        "is not a known section (known: [monitor], [database], [spool], "
                        "[simulation], [web], [presence], [mqtt], [alerts], [rooms], [privacy], "
                        "[retention])");
    }
    const auto* table = node.as_table();
    if (table == nullptr) {
      throw ConfigError(
          source, line, std::string(key.str()),
          fmt::format("must be a section like [{}] (got {})", key.str(), TypeName(node)));
    }
    SectionReader reader(source, std::string(key.str()), *table, &config.key_lines);
    section->second(reader);
    reader.Read();
  }
  // An entry of database.hosts without a port takes database.port, wherever that key stands.
  for (DatabaseServer& server : config.database.hosts) {
    if (server.port == 0) server.port = config.database.port;
  }
  CheckConsistency(source, root, config);
  return config;
}

}  // namespace blemon
