#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "blemon/interval.h"
#include "blemon/ports.h"
#include "blemon/rooms.h"
#include "blemon/time.h"

namespace blemon {

// Settings of blemon.toml. Keys follow the original tool's config.ini; every key has a default,
// so an empty file is a valid configuration (simulated scanner aside, that is the embedded
// default: SQLite next to the process).

struct MonitorSettings {
  std::string name;  // empty: the application uses the host name
  std::string location;
  std::string description;
  // The schedule's defaults are ScheduleConfig's (blemon/interval.h): defined there only.
  Seconds scan_interval = ScheduleConfig{}.interval;
  Seconds scan_duration = ScheduleConfig{}.scan_duration;
  Seconds scan_offset = ScheduleConfig{}.scan_offset;
  bool process_intervals = false;
  bool processor_standby = false;
  Seconds processor_wait = ScheduleConfig{}.processor_wait;
  Seconds processor_lease_ttl{600};
  // How far this monitor's clock may stray from the database's before it stops stamping readings
  // (a Pi without a real-time clock boots in 1970 until NTP answers).
  Seconds max_clock_skew{60};
  LogLevel log_level = LogLevel::kInfo;
  std::string log_file;  // empty: console (and the journal under systemd) only
  std::string adapter;   // BlueZ adapter, e.g. "hci0"; empty: the first one found
  // Advertise this monitor's beacon (blemon/beacon.h) on the BlueZ adapter while running, so the
  // other monitors hear it. The simulated scanner ignores it.
  bool advertise = true;
  std::string state_directory;  // spool location; empty: the application decides
  // Where the monitor stands in the house, in metres (both or neither): what lets calibration fit
  // each monitor's antenna and placement gain (docs/rooms.md). Stored in monitors.position_x/y
  // when the monitor registers.
  std::optional<double> position_x;
  std::optional<double> position_y;

  // The four timings above as Schedule::Make takes them. Only the processor waits after the scan
  // window, so a scanner's processor_wait (default 60 s) never refuses a short interval.
  ScheduleConfig schedule() const {
    return {scan_interval, scan_offset, scan_duration,
            process_intervals ? processor_wait : Seconds{0}};
  }
};

enum class Backend { kSqlite, kMariaDb };

// One server blemon may connect to over TCP: a host name or address and its port.
struct DatabaseServer {
  std::string host;
  int port = 3306;
  bool operator==(const DatabaseServer&) const = default;
};

struct DatabaseSettings {
  bool configured = false;  // a [database] section was present
  Backend backend = Backend::kSqlite;
  // MariaDB
  std::string host = "localhost";  // "localhost" means the socket, as the mysql client does
  int port = 3306;
  // database.hosts: the nodes of one cluster (MariaDB Galera), tried in this order, failing over
  // to the next when one cannot be reached or is not ready (docs/galera.md). Empty: host and port
  // alone. Never set together with host (the config refuses that).
  std::vector<DatabaseServer> hosts;
  std::string socket;
  std::string user = "ble_user";
  std::string password;
  std::string password_file;
  std::string database = "ble_monitor";
  Seconds connect_timeout{10};
  bool ssl = false;
  std::string ssl_ca;
  std::string ssl_cert;
  std::string ssl_key;
  bool ssl_verify_server_cert = true;
  // SQLite
  std::string path = "blemon.db";
};

// The servers to try, in order: database.hosts, or host and port as the one server. A "localhost"
// host (the Unix socket) is returned as it is; the adapter decides what it means.
std::vector<DatabaseServer> ServersOf(const DatabaseSettings& settings);

// "host:port" for messages; an IPv6 address in brackets ("[::1]:3306").
std::string ToString(const DatabaseServer& server);

// The [spool] section is the Spool port's limits (blemon/ports.h), defaults included.
using SpoolSettings = SpoolLimits;

struct SimulationSettings {
  std::uint64_t seed = 1;
  int devices = 60;
  double noise_db = 5.0;
  // Per-monitor radio biases (docs/simulation.md): a reciprocal gain (antenna, placement: it
  // changes what the monitor hears and how loud it is heard) and a non-reciprocal RSSI reporting
  // offset, each drawn per location from N(0, sigma) or set per location (lower-cased, trimmed
  // room or location name -> dB), a set value replacing the drawn one.
  double gain_sigma_db = 0;
  double reporting_offset_sigma_db = 0;
  std::map<std::string, double, std::less<>> monitor_gain_db;
  std::map<std::string, double, std::less<>> monitor_reporting_offset_db;
  int beacon_tx_power = 0;  // dBm: what every simulated monitor's beacon advertises
};

// blemon-web: where it listens, who may read, and the limits that keep a slow or hostile client
// from starving the others (docs/api.md).
struct WebSettings {
  std::string listen = "127.0.0.1";  // an address; "0.0.0.0" or "::" to serve the network
  int port = 8080;
  std::string tls_cert;  // PEM files; both set: HTTPS only, neither: plain HTTP
  std::string tls_key;
  std::string auth_file;      // empty: no authentication (fine on loopback only)
  int threads = 16;           // worker threads, so at most this many requests at once
  int max_event_clients = 8;  // each open event stream holds a worker thread
  std::int64_t max_request_bytes = 16 * 1024;  // request body limit
  Seconds request_timeout{10};                 // per read and per write on a connection
  Seconds event_poll{2};                       // how often the event stream asks the store
  std::chrono::milliseconds cache{2000};       // identical GETs share an answer this long
  std::string assets_dir;                      // empty: the page built into the binary
  std::string chart_js = "/usr/share/javascript/chart.js/chart.min.js";
};

// [mqtt]: the processor publishes presence to an MQTT broker for Home Assistant (docs/mqtt.md).
// Only a processor with the section publishes; the password comes from a file (not world-readable).
struct MqttSettings {
  bool configured = false;  // an [mqtt] section was present
  std::string host = "localhost";
  int port = 8883;
  bool tls = true;
  std::string ca_file;  // empty: the system's trust store
  std::string username;
  std::string password_file;  // first line is the password
  std::string client_id;      // empty: "blemon-" and the monitor's name
  std::string discovery_prefix = "homeassistant";
  std::string base_topic = "blemon";
  Seconds keepalive{60};
  Seconds reconnect_max{60};  // the reconnect backoff doubles from 1 s up to this
};

// [alerts]: webhook and e-mail on arrive, leave, room change (docs/alerts.md). MQTT carries every
// event anyway when [mqtt] is set.
struct AlertSettings {
  bool configured = false;
  std::string webhook_url;  // empty: no webhook
  std::string
      smtp_url;  // smtp://host:587 (STARTTLS required) or smtps://host:465; empty: no e-mail
  std::string smtp_from;
  std::vector<std::string> smtp_to;
  // KEY=value lines: smtp_username, smtp_password, webhook_token (sent as a bearer token).
  std::string credentials_file;
  std::string ca_file;  // for both; empty: the system's trust store
  // Which events alert: any of "arrive", "leave", "room_change".
  std::vector<std::string> events = {"arrive", "leave", "room_change"};
  Seconds retry_first{30};
  Seconds retry_max{3600};
  int max_attempts = 10;
};

// The [rooms] section: how the processor turns winners into stable rooms (docs/rooms.md).
struct RoomsSettings {
  RoomRules rules;
  ConfidenceRules confidence;
  // The processor fits calibration from the monitors' beacons each interval and moves the
  // monitors' RSSI offsets a share `calibration_smoothing` of the way toward the fit.
  bool auto_calibrate = false;
  double calibration_smoothing = 0.3;
  // Beacon observations older than this are left out of the fit.
  Seconds calibration_window{24 * 3600};
};

// [privacy] (docs/privacy.md): in "pseudonymise" mode monitors hash the address of every device
// that is not watched, and drop its name, before anything is spooled, sent or logged.
enum class PrivacyMode { kOff, kPseudonymise };
struct PrivacySettings {
  PrivacyMode mode = PrivacyMode::kOff;
  // The fleet secret (at least 16 bytes), the same file on every monitor, mode 0600 or stricter.
  std::string secret_file;
};

// [retention] (docs/database.md, "Retention"): how many days of rows the processor keeps, counted
// back from the store's clock by interval_start; 0 keeps them forever. Once a day the processor
// drops what is older: whole daily partitions on a MariaDB table that `blemon-admin retention
// enable` partitioned, batched deletes otherwise. Unprocessed staging rows are never removed.
struct RetentionSettings {
  int sightings_days = 0;  // device_sightings
  int staging_days = 0;    // sighting_staging (processed rows only)
  bool any() const { return sightings_days > 0 || staging_days > 0; }
};

struct Config {
  MonitorSettings monitor;
  DatabaseSettings database;
  SpoolSettings spool;
  SimulationSettings simulation;
  RoomsSettings rooms;
  // Where each key the file sets stands: "database.password_file" -> its line. Checks made after
  // parsing (files the keys name) report the line from here; 0 for a key the file leaves out.
  std::map<std::string, int, std::less<>> key_lines;
  int LineOf(std::string_view key) const;
  WebSettings web;
  PresenceSettings presence;
  MqttSettings mqtt;
  AlertSettings alerts;
  PrivacySettings privacy;
  RetentionSettings retention;
};

// A configuration mistake, located: "blemon.toml:7: monitor.scan_interval_seconds must divide
// 86400 (got 7000)". Applications print what() and exit 78 (EX_CONFIG).
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string source, int line, std::string key, const std::string& problem);
  const std::string& source() const { return source_; }
  int line() const { return line_; }  // 0 when the mistake is not on one line
  const std::string& key() const { return key_; }

 private:
  std::string source_;
  int line_;
  std::string key_;
};

// Parses TOML text; `source` names it in errors (usually the file path). Unknown sections and
// keys, wrong types and out-of-range values throw ConfigError. Pure: reading the file is the
// caller's job.
Config ParseConfig(std::string_view toml_text, std::string_view source);

}  // namespace blemon
