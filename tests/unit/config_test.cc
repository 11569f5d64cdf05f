#include "blemon/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace blemon {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

Config Parse(std::string_view text) { return ParseConfig(text, "blemon.toml"); }

// Parses `text`, which must fail; returns the error (or a placeholder after a test failure).
ConfigError ErrorOf(std::string_view text) {
  try {
    Parse(text);
  } catch (const ConfigError& e) {
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw something other than ConfigError: " << e.what() << "\n" << text;
    return ConfigError("", 0, "", "");
  }
  ADD_FAILURE() << "accepted:\n" << text;
  return ConfigError("", 0, "", "");
}

// --- defaults ------------------------------------------------------------------------------------

TEST(AnEmptyConfig, IsValid) { EXPECT_NO_THROW(Parse("")); }

TEST(AnEmptyConfig, HasTheDocumentedMonitorDefaults) {
  const MonitorSettings m = Parse("").monitor;
  EXPECT_EQ(m.name, "");
  EXPECT_EQ(m.location, "");
  EXPECT_EQ(m.description, "");
  EXPECT_EQ(m.scan_interval, Seconds{300});
  EXPECT_EQ(m.scan_duration, Seconds{10});
  EXPECT_EQ(m.scan_offset, Seconds{0});
  EXPECT_FALSE(m.process_intervals);
  EXPECT_FALSE(m.processor_standby);
  EXPECT_EQ(m.processor_wait, Seconds{60});
  EXPECT_EQ(m.processor_lease_ttl, Seconds{600});
  EXPECT_EQ(m.max_clock_skew, Seconds{60});
  EXPECT_EQ(m.log_level, LogLevel::kInfo);
  EXPECT_EQ(m.log_file, "");
  EXPECT_EQ(m.adapter, "");
  EXPECT_TRUE(m.advertise);
  EXPECT_EQ(m.state_directory, "");
}

TEST(AConfig, GivesTheScheduleItsFourTimingsUnswapped) {
  const Config c = Parse(
      "[monitor]\nscan_interval_seconds = 600\nscan_offset_seconds = 30\n"
      "scan_duration_seconds = 20\nprocessor_wait_seconds = 90\nprocess_intervals = true\n"
      "processor_lease_ttl_seconds = 1200\n");
  const ScheduleConfig s = c.monitor.schedule();
  EXPECT_EQ(s.interval, Seconds{600});
  EXPECT_EQ(s.scan_offset, Seconds{30});
  EXPECT_EQ(s.scan_duration, Seconds{20});
  EXPECT_EQ(s.processor_wait, Seconds{90});
}

TEST(AScannersSchedule, HasNoProcessorWaitSinceOnlyTheProcessorWaits) {
  const Config c = Parse("[monitor]\nscan_interval_seconds = 10\nscan_duration_seconds = 2\n");
  EXPECT_FALSE(c.monitor.process_intervals);
  EXPECT_EQ(c.monitor.schedule().processor_wait, Seconds{0});
}

TEST(AnEmptyConfig, HasTheScheduleAndSpoolDefaultsOfTheirPorts) {
  const Config c = Parse("[monitor]\nprocess_intervals = true\n");
  const ScheduleConfig defaults;
  EXPECT_EQ(c.monitor.schedule().interval, defaults.interval);
  EXPECT_EQ(c.monitor.schedule().scan_offset, defaults.scan_offset);
  EXPECT_EQ(c.monitor.schedule().scan_duration, defaults.scan_duration);
  EXPECT_EQ(c.monitor.schedule().processor_wait, defaults.processor_wait);
  EXPECT_EQ(c.spool.max_age, SpoolLimits{}.max_age);
  EXPECT_EQ(c.spool.max_batches, SpoolLimits{}.max_batches);
}

TEST(AnEmptyConfig, HasTheDocumentedDatabaseDefaults) {
  const DatabaseSettings d = Parse("").database;
  EXPECT_FALSE(d.configured);
  EXPECT_EQ(d.backend, Backend::kSqlite);
  EXPECT_EQ(d.host, "localhost");
  EXPECT_EQ(d.port, 3306);
  EXPECT_EQ(d.socket, "");
  EXPECT_EQ(d.user, "ble_user");
  EXPECT_EQ(d.password, "");
  EXPECT_EQ(d.password_file, "");
  EXPECT_EQ(d.database, "ble_monitor");
  EXPECT_EQ(d.connect_timeout, Seconds{10});
  EXPECT_FALSE(d.ssl);
  EXPECT_TRUE(d.ssl_verify_server_cert);
  EXPECT_EQ(d.path, "blemon.db");
}

TEST(AnEmptyConfig, HasTheDocumentedSpoolAndSimulationDefaults) {
  const Config c = Parse("");
  EXPECT_EQ(c.spool.max_age, Seconds{72 * 3600});
  EXPECT_EQ(c.spool.max_batches, 10'000);
  EXPECT_EQ(c.simulation.seed, 1u);
  EXPECT_EQ(c.simulation.devices, 60);
  EXPECT_DOUBLE_EQ(c.simulation.noise_db, 5.0);
}

TEST(AConfig, WithOnlyCommentsAndEmptySectionsKeepsTheDefaults) {
  const Config c = Parse("# blemon\n[monitor]\n\n[spool]\n[simulation]\n");
  EXPECT_EQ(c.monitor.scan_interval, Seconds{300});
  EXPECT_EQ(c.spool.max_batches, 10'000);
}

TEST(AConfig, WithADatabaseSectionIsMarkedConfigured) {
  EXPECT_TRUE(Parse("[database]\n").database.configured);
  EXPECT_TRUE(Parse("[database]\nbackend = \"sqlite\"\n").database.configured);
}

// --- every key ---------------------------------------------------------------------------------

constexpr std::string_view kEverything = R"(# every key, none at its default
[monitor]
name = "pi-kitchen"
location = "Kitchen"
description = "Above the fridge"
scan_interval_seconds = 600
scan_duration_seconds = 20
scan_offset_seconds = 15
process_intervals = true
processor_standby = true
processor_wait_seconds = 90
processor_lease_ttl_seconds = 900
max_clock_skew_seconds = 30
log_level = "DEBUG"
log_file = "/var/log/blemon.log"
adapter = "hci1"
advertise = false
state_directory = "/var/lib/blemon"

[database]
backend = "mariadb"
host = "db.example.org"
port = 3307
socket = "/run/mysqld/mysqld.sock"
user = "monitor"
password = "s3cret"
database = "ble"
connect_timeout_seconds = 5
ssl = true
ssl_ca = "/etc/ssl/ca.pem"
ssl_cert = "/etc/ssl/client.pem"
ssl_key = "/etc/ssl/client.key"
ssl_verify_server_cert = false
path = "/var/lib/blemon/blemon.db"

[spool]
max_age_hours = 24
max_batches = 500

[simulation]
seed = 1234
devices = 12
noise_db = 3.5
)";

TEST(AConfig, ReadsEveryMonitorKey) {
  const MonitorSettings m = Parse(kEverything).monitor;
  EXPECT_EQ(m.name, "pi-kitchen");
  EXPECT_EQ(m.location, "Kitchen");
  EXPECT_EQ(m.description, "Above the fridge");
  EXPECT_EQ(m.scan_interval, Seconds{600});
  EXPECT_EQ(m.scan_duration, Seconds{20});
  EXPECT_EQ(m.scan_offset, Seconds{15});
  EXPECT_TRUE(m.process_intervals);
  EXPECT_TRUE(m.processor_standby);
  EXPECT_EQ(m.processor_wait, Seconds{90});
  EXPECT_EQ(m.processor_lease_ttl, Seconds{900});
  EXPECT_EQ(m.max_clock_skew, Seconds{30});
  EXPECT_EQ(m.log_level, LogLevel::kDebug);
  EXPECT_EQ(m.log_file, "/var/log/blemon.log");
  EXPECT_EQ(m.adapter, "hci1");
  EXPECT_FALSE(m.advertise);
  EXPECT_EQ(m.state_directory, "/var/lib/blemon");
}

TEST(AConfig, ReadsEveryDatabaseKey) {
  const DatabaseSettings d = Parse(kEverything).database;
  EXPECT_TRUE(d.configured);
  EXPECT_EQ(d.backend, Backend::kMariaDb);
  EXPECT_EQ(d.host, "db.example.org");
  EXPECT_EQ(d.port, 3307);
  EXPECT_EQ(d.socket, "/run/mysqld/mysqld.sock");
  EXPECT_EQ(d.user, "monitor");
  EXPECT_EQ(d.password, "s3cret");
  EXPECT_EQ(d.database, "ble");
  EXPECT_EQ(d.connect_timeout, Seconds{5});
  EXPECT_TRUE(d.ssl);
  EXPECT_EQ(d.ssl_ca, "/etc/ssl/ca.pem");
  EXPECT_EQ(d.ssl_cert, "/etc/ssl/client.pem");
  EXPECT_EQ(d.ssl_key, "/etc/ssl/client.key");
  EXPECT_FALSE(d.ssl_verify_server_cert);
  EXPECT_EQ(d.path, "/var/lib/blemon/blemon.db");
}

TEST(AConfig, ReadsTheSpoolAndSimulationKeys) {
  const Config c = Parse(kEverything);
  EXPECT_EQ(c.spool.max_age, Seconds{24 * 3600});
  EXPECT_EQ(c.spool.max_batches, 500);
  EXPECT_EQ(c.simulation.seed, 1234u);
  EXPECT_EQ(c.simulation.devices, 12);
  EXPECT_DOUBLE_EQ(c.simulation.noise_db, 3.5);
}

TEST(AConfig, ReadsThePasswordFile) {
  EXPECT_EQ(Parse("[database]\npassword_file = \"/etc/blemon/db.pw\"\n").database.password_file,
            "/etc/blemon/db.pw");
}

TEST(AConfig, ReadsTheSqliteBackend) {
  EXPECT_EQ(Parse("[database]\nbackend = \"sqlite\"\n").database.backend, Backend::kSqlite);
}

TEST(AConfig, TakesADatabaseSectionWithoutBackendForTheOriginalToolsMariaDb) {
  // The original tool's config.ini had a [database] section for MySQL/MariaDB and no backend key;
  // its users' files must keep meaning what they meant.
  const DatabaseSettings d = Parse("[database]\nhost = \"db\"\n").database;
  EXPECT_EQ(d.backend, Backend::kMariaDb);
  EXPECT_EQ(Parse("").database.backend, Backend::kSqlite);
}

TEST(AConfig, ReadsLogLevelsInAnyCase) {
  EXPECT_EQ(Parse("[monitor]\nlog_level = \"debug\"").monitor.log_level, LogLevel::kDebug);
  EXPECT_EQ(Parse("[monitor]\nlog_level = \"Info\"").monitor.log_level, LogLevel::kInfo);
  EXPECT_EQ(Parse("[monitor]\nlog_level = \"wArNiNg\"").monitor.log_level, LogLevel::kWarning);
  EXPECT_EQ(Parse("[monitor]\nlog_level = \"ERROR\"").monitor.log_level, LogLevel::kError);
}

TEST(AConfig, AcceptsIntervalsThatDivideADay) {
  // 60 s and below do not leave room for the default 10 s scan and 60 s wait.
  for (int length : {75, 120, 900, 3600, 86400}) {
    EXPECT_EQ(
        Parse("[monitor]\nscan_interval_seconds = " + std::to_string(length)).monitor.scan_interval,
        Seconds{length});
  }
}

TEST(AConfig, AcceptsAZeroSeedAndNoNoise) {
  const Config c = Parse("[simulation]\nseed = 0\nnoise_db = 0.0\n");
  EXPECT_EQ(c.simulation.seed, 0u);
  EXPECT_DOUBLE_EQ(c.simulation.noise_db, 0.0);
}

TEST(ALogLevelName, IsUpperCase) {
  EXPECT_EQ(ToString(LogLevel::kDebug), "DEBUG");
  EXPECT_EQ(ToString(LogLevel::kInfo), "INFO");
  EXPECT_EQ(ToString(LogLevel::kWarning), "WARNING");
  EXPECT_EQ(ToString(LogLevel::kError), "ERROR");
}

// --- errors: located and specific --------------------------------------------------------------

TEST(AConfigError, ReadsLikeTheDocumentedExample) {
  const ConfigError e =
      ErrorOf("# line 1\n# 2\n# 3\n# 4\n# 5\n[monitor]\nscan_interval_seconds = 7000\n");
  EXPECT_STREQ(e.what(),
               "blemon.toml:7: monitor.scan_interval_seconds must divide 86400 (got 7000)");
  EXPECT_EQ(e.source(), "blemon.toml");
  EXPECT_EQ(e.line(), 7);
  EXPECT_EQ(e.key(), "monitor.scan_interval_seconds");
}

TEST(AConfigError, NamesTheSourceItWasGiven) {
  try {
    ParseConfig("[monitor]\nscan_interval_seconds = 7000\n", "/etc/blemon/blemon.toml");
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.source(), "/etc/blemon/blemon.toml");
    EXPECT_THAT(e.what(), StartsWith("/etc/blemon/blemon.toml:2: "));
  }
}

TEST(AConfigError, KeepsItsParts) {
  const ConfigError e("a.toml", 3, "spool.max_batches", "must be positive (got 0)");
  EXPECT_EQ(e.source(), "a.toml");
  EXPECT_EQ(e.line(), 3);
  EXPECT_EQ(e.key(), "spool.max_batches");
  EXPECT_THAT(e.what(), HasSubstr("must be positive (got 0)"));
  EXPECT_THAT(e.what(), StartsWith("a.toml:3: "));
}

struct BadConfig {
  const char* name;  // for the test's name
  const char* text;
  const char* key;
  int line;
};

void PrintTo(const BadConfig& bad, std::ostream* os) { *os << bad.name; }

std::string NameOf(const ::testing::TestParamInfo<BadConfig>& param_info) {
  return param_info.param.name;
}

class ABadConfigValue : public ::testing::TestWithParam<BadConfig> {};

TEST_P(ABadConfigValue, IsAConfigErrorNamingTheFileLineAndKey) {
  const BadConfig& bad = GetParam();
  const ConfigError e = ErrorOf(bad.text);
  EXPECT_EQ(e.source(), "blemon.toml");
  EXPECT_EQ(e.key(), bad.key);
  EXPECT_EQ(e.line(), bad.line);
  EXPECT_THAT(e.what(), StartsWith("blemon.toml:" + std::to_string(bad.line) + ": "));
  EXPECT_THAT(e.what(), HasSubstr(bad.key));
}

INSTANTIATE_TEST_SUITE_P(
    UnknownNames, ABadConfigValue,
    ::testing::Values(
        BadConfig{"UnknownMonitorKey", "[monitor]\nname = \"a\"\ncolour = \"red\"\n",
                  "monitor.colour", 3},
        BadConfig{"MisspeltKey", "[monitor]\nscan_intreval_seconds = 300\n",
                  "monitor.scan_intreval_seconds", 2},
        BadConfig{"UnknownDatabaseKey", "[database]\npasswd = \"x\"\n", "database.passwd", 2},
        BadConfig{"UnknownSpoolKey", "\n[spool]\nmax_bytes = 5\n", "spool.max_bytes", 3},
        BadConfig{"UnknownSimulationKey", "[simulation]\nrooms = 5\n", "simulation.rooms", 2},
        BadConfig{"KeyOutsideAnySection", "scan_interval_seconds = 300\n", "scan_interval_seconds",
                  1},
        BadConfig{"UnknownSection", "[monitor]\n\n[kafka]\nhost = \"x\"\n", "kafka", 3},
        BadConfig{"UnknownMqttKey", "[mqtt]\nhost = \"x\"\npassword = \"y\"\n", "mqtt.password", 3},
        BadConfig{"UnknownAlertsKey", "[alerts]\nslack_url = \"x\"\n", "alerts.slack_url", 2}),
    NameOf);

INSTANTIATE_TEST_SUITE_P(
    WrongTypes, ABadConfigValue,
    ::testing::Values(
        BadConfig{"IntervalAsString", "[monitor]\nscan_interval_seconds = \"300\"\n",
                  "monitor.scan_interval_seconds", 2},
        BadConfig{"IntervalAsFloat", "[monitor]\nscan_interval_seconds = 300.5\n",
                  "monitor.scan_interval_seconds", 2},
        BadConfig{"BoolAsString", "[monitor]\nprocess_intervals = \"yes\"\n",
                  "monitor.process_intervals", 2},
        BadConfig{"BoolAsInteger", "[monitor]\nprocessor_standby = 1\n",
                  "monitor.processor_standby", 2},
        BadConfig{"NameAsInteger", "[monitor]\nname = 42\n", "monitor.name", 2},
        BadConfig{"LogLevelAsInteger", "[monitor]\nlog_level = 3\n", "monitor.log_level", 2},
        BadConfig{"PortAsString", "[database]\nport = \"3306\"\n", "database.port", 2},
        BadConfig{"SslAsString", "[database]\nssl = \"true\"\n", "database.ssl", 2},
        BadConfig{"HostAsArray", "[database]\nhost = [\"a\", \"b\"]\n", "database.host", 2},
        BadConfig{"MaxBatchesAsFloat", "[spool]\nmax_batches = 1e3\n", "spool.max_batches", 2},
        BadConfig{"NoiseAsString", "[simulation]\nnoise_db = \"loud\"\n", "simulation.noise_db", 2},
        BadConfig{"SectionAsValue", "monitor = 5\n", "monitor", 1},
        BadConfig{"SectionAsArrayOfTables", "[[monitor]]\nname = \"a\"\n", "monitor", 1}),
    NameOf);

INSTANTIATE_TEST_SUITE_P(
    OutOfRange, ABadConfigValue,
    ::testing::Values(
        BadConfig{"IntervalZero", "[monitor]\nscan_interval_seconds = 0\n",
                  "monitor.scan_interval_seconds", 2},
        BadConfig{"IntervalNegative", "[monitor]\nscan_interval_seconds = -300\n",
                  "monitor.scan_interval_seconds", 2},
        BadConfig{"IntervalNotDividingADay", "[monitor]\nscan_interval_seconds = 7000\n",
                  "monitor.scan_interval_seconds", 2},
        BadConfig{"IntervalHuge", "[monitor]\nscan_interval_seconds = 9223372036854775807\n",
                  "monitor.scan_interval_seconds", 2},
        BadConfig{"DurationZero", "[monitor]\nscan_duration_seconds = 0\n",
                  "monitor.scan_duration_seconds", 2},
        BadConfig{"DurationNegative", "[monitor]\nscan_duration_seconds = -10\n",
                  "monitor.scan_duration_seconds", 2},
        BadConfig{"OffsetNegative", "[monitor]\nscan_offset_seconds = -1\n",
                  "monitor.scan_offset_seconds", 2},
        BadConfig{"WaitNegative", "[monitor]\nprocessor_wait_seconds = -60\n",
                  "monitor.processor_wait_seconds", 2},
        BadConfig{"LeaseTtlZero", "[monitor]\nprocessor_lease_ttl_seconds = 0\n",
                  "monitor.processor_lease_ttl_seconds", 2},
        BadConfig{"ClockSkewZero", "[monitor]\nmax_clock_skew_seconds = 0\n",
                  "monitor.max_clock_skew_seconds", 2},
        BadConfig{"LogLevelUnknown", "[monitor]\nlog_level = \"verbose\"\n", "monitor.log_level",
                  2},
        BadConfig{"BackendUnknown", "[database]\nbackend = \"postgres\"\n", "database.backend", 2},
        BadConfig{"PortZero", "[database]\nport = 0\n", "database.port", 2},
        BadConfig{"PortTooLarge", "[database]\nport = 65536\n", "database.port", 2},
        BadConfig{"PortNegative", "[database]\nport = -1\n", "database.port", 2},
        BadConfig{"ConnectTimeoutZero", "[database]\nconnect_timeout_seconds = 0\n",
                  "database.connect_timeout_seconds", 2},
        BadConfig{"MaxAgeZero", "[spool]\nmax_age_hours = 0\n", "spool.max_age_hours", 2},
        BadConfig{"MaxAgeOverflowing", "[spool]\nmax_age_hours = 9223372036854775807\n",
                  "spool.max_age_hours", 2},
        BadConfig{"MaxBatchesZero", "[spool]\nmax_batches = 0\n", "spool.max_batches", 2},
        BadConfig{"MaxBatchesNegative", "[spool]\nmax_batches = -5\n", "spool.max_batches", 2},
        BadConfig{"SeedNegative", "[simulation]\nseed = -1\n", "simulation.seed", 2},
        BadConfig{"DevicesNegative", "[simulation]\ndevices = -3\n", "simulation.devices", 2},
        BadConfig{"DevicesOverflowingInt", "[simulation]\ndevices = 4294967296\n",
                  "simulation.devices", 2},
        BadConfig{"NoiseNegative", "[simulation]\nnoise_db = -1.0\n", "simulation.noise_db", 2},
        BadConfig{"NoiseNotANumber", "[simulation]\nnoise_db = nan\n", "simulation.noise_db", 2},
        BadConfig{"NoiseInfinite", "[simulation]\nnoise_db = inf\n", "simulation.noise_db", 2}),
    NameOf);

// --- [mqtt] and [alerts] ----------------------------------------------------------------------

TEST(AnEmptyConfig, HasNeitherMqttNorAlertsAndTheirDocumentedDefaults) {
  const Config c = Parse("");
  EXPECT_FALSE(c.mqtt.configured);
  EXPECT_FALSE(c.alerts.configured);
  EXPECT_EQ(c.mqtt.port, 8883);
  EXPECT_TRUE(c.mqtt.tls);
  EXPECT_EQ(c.mqtt.discovery_prefix, "homeassistant");
  EXPECT_EQ(c.mqtt.base_topic, "blemon");
  EXPECT_EQ(c.alerts.events, (std::vector<std::string>{"arrive", "leave", "room_change"}));
  EXPECT_EQ(c.alerts.retry_first, Seconds(30));
  EXPECT_EQ(c.alerts.max_attempts, 10);
}

TEST(AConfig, ReadsEveryMqttAndAlertsKey) {
  const Config c = Parse(R"(
[mqtt]
host = "broker.lan"
port = 1883
tls = false
ca_file = "/etc/blemon/ca.pem"
username = "blemon"
password_file = "/etc/blemon/mqtt.secret"
client_id = "blemon-hall"
discovery_prefix = "ha"
base_topic = "house/blemon"
keepalive_seconds = 30
reconnect_max_seconds = 120

[alerts]
webhook_url = "https://hooks.lan/blemon"
smtp_url = "smtp://mail.lan:587"
smtp_from = "blemon@lan"
smtp_to = ["a@lan", "b@lan"]
credentials_file = "/etc/blemon/alerts.secret"
ca_file = "/etc/blemon/ca.pem"
events = ["arrive", "leave"]
retry_first_seconds = 10
retry_max_seconds = 600
max_attempts = 5
)");
  EXPECT_TRUE(c.mqtt.configured);
  EXPECT_EQ(c.mqtt.host, "broker.lan");
  EXPECT_EQ(c.mqtt.port, 1883);
  EXPECT_FALSE(c.mqtt.tls);
  EXPECT_EQ(c.mqtt.ca_file, "/etc/blemon/ca.pem");
  EXPECT_EQ(c.mqtt.username, "blemon");
  EXPECT_EQ(c.mqtt.password_file, "/etc/blemon/mqtt.secret");
  EXPECT_EQ(c.mqtt.client_id, "blemon-hall");
  EXPECT_EQ(c.mqtt.discovery_prefix, "ha");
  EXPECT_EQ(c.mqtt.base_topic, "house/blemon");
  EXPECT_EQ(c.mqtt.keepalive, Seconds(30));
  EXPECT_EQ(c.mqtt.reconnect_max, Seconds(120));
  EXPECT_TRUE(c.alerts.configured);
  EXPECT_EQ(c.alerts.webhook_url, "https://hooks.lan/blemon");
  EXPECT_EQ(c.alerts.smtp_url, "smtp://mail.lan:587");
  EXPECT_EQ(c.alerts.smtp_from, "blemon@lan");
  EXPECT_EQ(c.alerts.smtp_to, (std::vector<std::string>{"a@lan", "b@lan"}));
  EXPECT_EQ(c.alerts.credentials_file, "/etc/blemon/alerts.secret");
  EXPECT_EQ(c.alerts.events, (std::vector<std::string>{"arrive", "leave"}));
  EXPECT_EQ(c.alerts.retry_first, Seconds(10));
  EXPECT_EQ(c.alerts.retry_max, Seconds(600));
  EXPECT_EQ(c.alerts.max_attempts, 5);
}

INSTANTIATE_TEST_SUITE_P(
    MqttAndAlerts, ABadConfigValue,
    ::testing::Values(
        BadConfig{"MqttPortZero", "[mqtt]\nport = 0\n", "mqtt.port", 2},
        BadConfig{"MqttWildcardBase", "[mqtt]\n\nbase_topic = \"blemon/#\"\n", "mqtt.base_topic",
                  3},
        BadConfig{"MqttTrailingSlash", "[mqtt]\ndiscovery_prefix = \"ha/\"\n",
                  "mqtt.discovery_prefix", 2},
        BadConfig{"MqttEmptyBase", "[mqtt]\nbase_topic = \"\"\n", "mqtt.base_topic", 2},
        BadConfig{"AlertsUnknownEvent", "[alerts]\nevents = [\"arrive\", \"sneeze\"]\n",
                  "alerts.events", 2},
        BadConfig{"AlertsToAsString", "[alerts]\nsmtp_to = \"a@lan\"\n", "alerts.smtp_to", 2},
        BadConfig{"AlertsWebhookNotHttp", "[alerts]\n\nwebhook_url = \"ftp://x\"\n",
                  "alerts.webhook_url", 3},
        BadConfig{"AlertsSmtpNotSmtp", "[alerts]\nsmtp_url = \"mail.lan\"\n", "alerts.smtp_url", 2},
        BadConfig{"AlertsSmtpWithoutRecipients",
                  "[alerts]\nsmtp_url = \"smtp://m:587\"\nsmtp_from = \"a@b\"\n", "alerts.smtp_to",
                  1},
        BadConfig{"AlertsRetryMaxBelowFirst",
                  "[alerts]\nretry_first_seconds = 60\nretry_max_seconds = 10\n",
                  "alerts.retry_max_seconds", 3},
        BadConfig{"AlertsNoAttempts", "[alerts]\nmax_attempts = 0\n", "alerts.max_attempts", 2}),
    NameOf);

TEST(AConfigError, SaysWhatValueItGot) {
  EXPECT_THAT(ErrorOf("[database]\nport = 70000\n").what(), HasSubstr("70000"));
  EXPECT_THAT(ErrorOf("[monitor]\nlog_level = \"verbose\"\n").what(), HasSubstr("verbose"));
  EXPECT_THAT(ErrorOf("[database]\nbackend = \"postgres\"\n").what(), HasSubstr("postgres"));
}

TEST(AConfigError, NeverShowsThePassword) {
  const ConfigError e = ErrorOf("[database]\npassword = 31415926535\n");
  EXPECT_EQ(e.key(), "database.password");
  EXPECT_EQ(e.line(), 2);
  EXPECT_THAT(e.what(), Not(HasSubstr("31415926535")));
}

TEST(AConfigError, ForAScheduleThatDoesNotFitNamesAScheduleKey) {
  // 200 + 60 + 60 is not shorter than 300: the scan could not finish and be waited for.
  const ConfigError e = ErrorOf(
      "[monitor]\nscan_interval_seconds = 300\nscan_offset_seconds = 200\n"
      "scan_duration_seconds = 60\nprocessor_wait_seconds = 60\nprocess_intervals = true\n"
      "processor_lease_ttl_seconds = 600\n");
  EXPECT_THAT(e.key(), StartsWith("monitor.")) << e.what();
  EXPECT_THAT(e.what(), StartsWith("blemon.toml:"));
}

TEST(AConfigError, ForAPasswordAndAPasswordFileNamesThePasswordFile) {
  const ConfigError e = ErrorOf("[database]\npassword = \"a\"\npassword_file = \"/etc/pw\"\n");
  EXPECT_EQ(e.key(), "database.password_file");
  EXPECT_EQ(e.line(), 3);
  EXPECT_THAT(e.what(), Not(HasSubstr("\"a\"")));
}

TEST(AConfigError, ForAProcessorLeaseNoLongerThanTheIntervalNamesTheLeaseTtl) {
  // The lease must outlive one cycle, or the processor would lose it between renewals.
  const ConfigError e = ErrorOf(
      "[monitor]\nprocess_intervals = true\nscan_interval_seconds = 300\n"
      "processor_lease_ttl_seconds = 300\n");
  EXPECT_EQ(e.key(), "monitor.processor_lease_ttl_seconds");
  EXPECT_EQ(e.line(), 4);
}

TEST(AConfigError, ForAWrongTypeUnderADottedKeyPointsAtIt) {
  const ConfigError e = ErrorOf("# top\nmonitor.name = 5\n");
  EXPECT_EQ(e.key(), "monitor.name");
  EXPECT_EQ(e.line(), 2);
}

TEST(AConfigError, ForADuplicateKeyPointsAtTheDuplicate) {
  const ConfigError e = ErrorOf("[monitor]\nname = \"a\"\nname = \"b\"\n");
  EXPECT_EQ(e.line(), 3);
  EXPECT_THAT(e.what(), StartsWith("blemon.toml:3"));
}

TEST(AConfigError, ForBrokenTomlPointsAtTheBrokenLine) {
  const ConfigError e = ErrorOf("[monitor]\nname = \"pi\"\nlocation = \"unterminated\n");
  EXPECT_EQ(e.line(), 3);
  EXPECT_THAT(e.what(), StartsWith("blemon.toml:3"));
}

TEST(AConfigError, ForAnUnclosedSectionHeaderPointsAtIt) {
  const ConfigError e = ErrorOf("# ok\n[monitor\nname = \"pi\"\n");
  EXPECT_EQ(e.line(), 2);
}

// --- nothing crashes ---------------------------------------------------------------------------

TEST(AConfigParser, ThrowsOnlyConfigErrorForRandomMutationsOfAValidFile) {
  // Byte flips, deletions and insertions over a complete file: the parser either accepts the
  // result or throws ConfigError with a line inside the text; anything else fails.
  std::mt19937 rng(8);
  const std::string alphabet = "abc=\"[]#\n.-019 xe\\'{},";
  auto below = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  int errors = 0;
  for (int i = 0; i < 1500; ++i) {
    std::string text(kEverything);
    for (std::size_t edits = 1 + below(4); edits > 0; --edits) {
      const std::size_t at = below(text.size());
      switch (below(3)) {
        case 0:
          text[at] = alphabet[below(alphabet.size())];
          break;
        case 1:
          text.erase(at, 1 + below(8));
          break;
        default:
          text.insert(at, 1, alphabet[below(alphabet.size())]);
      }
    }
    const int lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
    try {
      Parse(text);
    } catch (const ConfigError& e) {
      ++errors;
      EXPECT_GE(e.line(), 0);
      EXPECT_LE(e.line(), lines) << e.what();
      EXPECT_THAT(e.what(), StartsWith("blemon.toml:")) << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not a ConfigError: " << e.what() << "\n" << text;
    }
  }
  EXPECT_GT(errors, 300);  // the mutations did break things
}

TEST(AScanner, IsNotRefusedForAProcessorWaitItNeverWaits) {
  // A 10 s scanner with the default processor_wait_seconds (60) was refused: only the processor
  // waits after the scan window.
  EXPECT_NO_THROW(Parse("[monitor]\nscan_interval_seconds = 10\nscan_duration_seconds = 5\n"));
  EXPECT_EQ(ErrorOf("[monitor]\nscan_interval_seconds = 10\nscan_duration_seconds = 5\n"
                    "process_intervals = true\nprocessor_lease_ttl_seconds = 60\n")
                .key(),
            "monitor.scan_interval_seconds");
}

// --- the limits of the columns the values are written to ---------------------------------------

TEST(ATextKey, LongerThanItsDatabaseColumnIsRefusedWithFileLineAndKey) {
  // A 120-character name passed, then MariaDB refused it ("data too long") on every restart.
  const ConfigError e =
      ErrorOf("[monitor]\nlocation = \"Hall\"\nname = \"" + std::string(120, 'x') + "\"\n");
  EXPECT_EQ(e.line(), 3);
  EXPECT_EQ(e.key(), "monitor.name");
  EXPECT_THAT(e.what(), HasSubstr("120 characters long; the database column "
                                  "monitors.monitor_name holds at most 100"));
}

TEST(ATextKey, CountsCharactersNotBytesAsVarcharDoes) {
  std::string location;
  for (int i = 0; i < 200; ++i) location += "ü";  // 400 bytes, 200 characters: fits
  EXPECT_EQ(Parse("[monitor]\nlocation = \"" + location + "\"\n").monitor.location, location);
  EXPECT_EQ(ErrorOf("[monitor]\nlocation = \"" + location + "ü\"\n").key(), "monitor.location");
}

TEST(ATextKey, EveryKeyWrittenToTheDatabaseIsBounded) {
  const std::pair<std::string, std::size_t> limited[] = {{"[monitor]\nname", 100},
                                                         {"[monitor]\nlocation", 200},
                                                         {"[monitor]\ndescription", 65535},
                                                         {"[database]\nuser", 80},
                                                         {"[database]\ndatabase", 64}};
  for (const auto& [key, limit] : limited) {
    EXPECT_NO_THROW(Parse(key + " = \"" + std::string(limit, 'a') + "\"\n")) << key;
    EXPECT_THAT(ErrorOf(key + " = \"" + std::string(limit + 1, 'a') + "\"\n").what(),
                HasSubstr("holds at most"))
        << key;
  }
}

TEST(AConfig, KnowsTheLineOfEveryKeyTheFileSets) {
  const Config c = Parse("[monitor]\nname = \"a\"\n\n[database]\npassword_file = \"/p\"\n");
  EXPECT_EQ(c.LineOf("monitor.name"), 2);
  EXPECT_EQ(c.LineOf("database.password_file"), 5);
  EXPECT_EQ(c.LineOf("database.user"), 0);
}

TEST(AConfigParser, ThrowsOnlyConfigErrorForRandomBytes) {
  std::mt19937 rng(9);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 500; ++i) {
    std::string text;
    for (int n = 0; n < 200; ++n) text.push_back(static_cast<char>(byte(rng)));
    try {
      Parse(text);
    } catch (const ConfigError&) {
      // expected for almost every input
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not a ConfigError: " << e.what();
    }
  }
}

// --- database.hosts (a Galera cluster) -----------------------------------------------------------

TEST(ADatabaseHostsList, KeepsTheServersInOrderWithTheirPorts) {
  const DatabaseSettings d =
      Parse("[database]\nhosts = [\"10.0.0.1:3307\", \"db2.lan\", \"[fd00::3]:3309\"]\n").database;
  EXPECT_EQ(d.backend, Backend::kMariaDb);
  EXPECT_EQ(d.hosts, (std::vector<DatabaseServer>{
                         {"10.0.0.1", 3307}, {"db2.lan", 3306}, {"fd00::3", 3309}}));
  EXPECT_EQ(ServersOf(d), d.hosts);
  EXPECT_EQ(ToString(d.hosts[2]), "[fd00::3]:3309");
}

TEST(ADatabaseHostsList, GivesEntriesWithoutAPortDatabasePortWhereverItStands) {
  // toml++ reads keys in name order, so port is read after hosts: the default is filled in later.
  const DatabaseSettings d = Parse("[database]\nhosts = [\"a\", \"b:1\"]\nport = 4000\n").database;
  EXPECT_EQ(d.hosts, (std::vector<DatabaseServer>{{"a", 4000}, {"b", 1}}));
}

TEST(ADatabaseWithoutHosts, IsOneServerMadeOfHostAndPort) {
  const DatabaseSettings d = Parse("[database]\nhost = \"db.lan\"\nport = 3310\n").database;
  EXPECT_TRUE(d.hosts.empty());
  EXPECT_EQ(ServersOf(d), (std::vector<DatabaseServer>{{"db.lan", 3310}}));
}

TEST(AConfigError, ForABadHostsEntryNamesItsIndexAndLine) {
  struct Case {
    const char* value;
    const char* says;
  };
  for (const Case& c :
       {Case{"[\"a:1\", \"b:x\"]", "port that is not a number"},
        Case{"[\"a:1\", \"b:70000\"]", "port that is not a number"},
        Case{"[\"a:1\", \":3306\"]", "has no host"}, Case{"[\"a:1\", \"fd00::1\"]", "IPv6"},
        Case{"[\"a:1\", \"[fd00::1\"]", "unclosed"},
        Case{"[\"a:1\", \"localhost\"]", "Unix socket"}, Case{"[\"a:1\", \"a:1\"]", "listed twice"},
        Case{"[\"a:1\", 3306]", "must be a \"host:port\" string"}}) {
    const ConfigError e = ErrorOf(std::string("[database]\nuser = \"u\"\nhosts = ") + c.value);
    EXPECT_EQ(e.key(), "database.hosts[1]") << c.value;
    EXPECT_EQ(e.line(), 3) << c.value;
    EXPECT_THAT(e.what(), HasSubstr(c.says)) << c.value;
  }
}

TEST(AConfigError, ForAnEmptyOrNonArrayHostsNamesHosts) {
  EXPECT_EQ(ErrorOf("[database]\nhosts = []\n").key(), "database.hosts");
  EXPECT_EQ(ErrorOf("[database]\nhosts = \"a:1,b:2\"\n").key(), "database.hosts");
}

TEST(AConfigError, ForHostsTogetherWithHostNamesHosts) {
  const ConfigError e = ErrorOf("[database]\nhost = \"a\"\nhosts = [\"b\"]\n");
  EXPECT_EQ(e.key(), "database.hosts");
  EXPECT_EQ(e.line(), 3);
}

TEST(APresenceSection, SetsHowManyUnseenIntervalsMakeADeviceAway) {
  EXPECT_EQ(ParseConfig("", "blemon.toml").presence.away_after_intervals, 1);
  EXPECT_EQ(ParseConfig("[presence]\naway_after_intervals = 5\n", "blemon.toml")
                .presence.away_after_intervals,
            5);
}

TEST(APresenceSection, NamesFileLineAndKeyOfAnOutOfRangeValue) {
  try {
    ParseConfig("[presence]\n\naway_after_intervals = 0\n", "blemon.toml");
    FAIL() << "accepted 0";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 3);
    EXPECT_EQ(e.key(), "presence.away_after_intervals");
  }
}

// --- rooms, positions, simulated biases ---------------------------------------------------------

TEST(ARoomsSection, HasTheDocumentedDefaults) {
  const RoomsSettings r = Parse("").rooms;
  EXPECT_EQ(r.rules.switch_margin_tenths, 80);
  EXPECT_EQ(r.rules.switch_intervals, 2);
  EXPECT_EQ(r.confidence.high_margin_tenths, 80);
  EXPECT_EQ(r.confidence.ambiguous_margin_tenths, 20);
  EXPECT_FALSE(r.auto_calibrate);
  EXPECT_FALSE(Parse("").monitor.position_x);
}

TEST(ARoomsSection, ReadsMarginsInDecibelsToTenths) {
  const Config c = Parse(
      "[rooms]\nroom_switch_margin_db = 6.5\nroom_switch_intervals = 3\n"
      "high_confidence_margin_db = 9\nambiguous_margin_db = 1.5\nauto_calibrate = true\n"
      "calibration_smoothing = 0.5\n[monitor]\nposition_x = 3.5\nposition_y = -2\n");
  EXPECT_EQ(c.rooms.rules.switch_margin_tenths, 65);
  EXPECT_EQ(c.rooms.rules.switch_intervals, 3);
  EXPECT_EQ(c.rooms.confidence.high_margin_tenths, 90);
  EXPECT_EQ(c.rooms.confidence.ambiguous_margin_tenths, 15);
  EXPECT_TRUE(c.rooms.auto_calibrate);
  EXPECT_EQ(c.rooms.calibration_smoothing, 0.5);
  EXPECT_EQ(c.monitor.position_x, 3.5);
  EXPECT_EQ(c.monitor.position_y, -2.0);
}

TEST(ARoomsSection, RefusesMistakesWithFileLineAndKey) {
  EXPECT_STREQ(ErrorOf("[rooms]\nroom_switch_intervals = 0\n").what(),
               "blemon.toml:2: rooms.room_switch_intervals must be between 1 and 1000 (got 0)");
  EXPECT_STREQ(ErrorOf("[monitor]\nposition_x = 1.0\n").what(),
               "blemon.toml:2: monitor.position_x needs monitor.position_x and "
               "monitor.position_y together (a position in metres)");
  EXPECT_STREQ(ErrorOf("[monitor]\nname = \"a\"\nposition_y = 1.0\n").what(),
               "blemon.toml:3: monitor.position_y needs monitor.position_x and "
               "monitor.position_y together (a position in metres)");
  EXPECT_THAT(ErrorOf("[monitor]\nposition_x = \"here\"\nposition_y = 1\n").what(),
              HasSubstr("blemon.toml:2: monitor.position_x"));
  EXPECT_THAT(ErrorOf("[rooms]\nhigh_confidence_margin_db = 1\nambiguous_margin_db = 3\n").what(),
              HasSubstr("blemon.toml:3: rooms.ambiguous_margin_db must not exceed"));
}

TEST(ASimulationSection, ReadsPerLocationBiasesByNormalisedName) {
  const SimulationSettings s =
      Parse(
          "[simulation]\ngain_sigma_db = 4\nreporting_offset_sigma_db = 3.5\n"
          "monitor_gain_db = { \" Living Room \" = 10 }\nmonitor_reporting_offset_db = { Garage = "
          "-2.5 }\n")
          .simulation;
  EXPECT_EQ(s.gain_sigma_db, 4);
  EXPECT_EQ(s.reporting_offset_sigma_db, 3.5);
  EXPECT_EQ(s.monitor_gain_db.at("living room"), 10);
  EXPECT_EQ(s.monitor_reporting_offset_db.at("garage"), -2.5);
  EXPECT_STREQ(ErrorOf("[simulation]\nmonitor_gain_db = { Garage = \"loud\" }\n").what(),
               "blemon.toml:2: simulation.monitor_gain_db.\"Garage\" must be a number (got a "
               "string)");
}

}  // namespace
}  // namespace blemon

namespace blemon {
namespace {

TEST(AConfig, ReadsThePrivacySection) {
  const Config off = ParseConfig("", "blemon.toml");
  EXPECT_EQ(off.privacy.mode, PrivacyMode::kOff);
  const Config on = ParseConfig(
      "[privacy]\nmode = \"pseudonymise\"\nsecret_file = \"/etc/blemon/fleet.secret\"\n",
      "blemon.toml");
  EXPECT_EQ(on.privacy.mode, PrivacyMode::kPseudonymise);
  EXPECT_EQ(on.privacy.secret_file, "/etc/blemon/fleet.secret");
}

INSTANTIATE_TEST_SUITE_P(
    Privacy, ABadConfigValue,
    ::testing::Values(BadConfig{"UnknownPrivacyMode", "[privacy]\n\nmode = \"hash\"\n",
                                "privacy.mode", 3},
                      BadConfig{"PseudonymiseWithoutSecret",
                                "[privacy]\nmode = \"pseudonymise\"\nsecret_file = \"\"\n",
                                "privacy.secret_file", 3}),
    NameOf);

}  // namespace
}  // namespace blemon

namespace blemon {
namespace {

TEST(AConfig, ReadsTheRetentionSection) {
  const Config forever = ParseConfig("", "blemon.toml");
  EXPECT_EQ(forever.retention.sightings_days, 0);
  EXPECT_EQ(forever.retention.staging_days, 0);
  EXPECT_FALSE(forever.retention.any());
  const Config kept =
      ParseConfig("[retention]\nsightings_days = 400\nstaging_days = 7\n", "blemon.toml");
  EXPECT_EQ(kept.retention.sightings_days, 400);
  EXPECT_EQ(kept.retention.staging_days, 7);
  EXPECT_TRUE(kept.retention.any());
}

INSTANTIATE_TEST_SUITE_P(
    Retention, ABadConfigValue,
    ::testing::Values(BadConfig{"NegativeSightingsDays", "[retention]\n\nsightings_days = -1\n",
                                "retention.sightings_days", 3},
                      BadConfig{"StagingDaysAsText", "[retention]\nstaging_days = \"7\"\n",
                                "retention.staging_days", 2},
                      BadConfig{"UnknownRetentionKey", "[retention]\nkeep_days = 7\n",
                                "retention.keep_days", 2}),
    NameOf);

}  // namespace
}  // namespace blemon
