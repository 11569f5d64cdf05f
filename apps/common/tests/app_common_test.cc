// Tests of what every blemon program shares: config loading, the Logger and Clock adapters,
// terminal escaping, file names and the store description.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "blemon/app/backends.h"
#include "blemon/app/config_file.h"
#include "blemon/app/exit_codes.h"
#include "blemon/app/log.h"
#include "blemon/app/state_directory.h"
#include "blemon/app/system_clock.h"
#include "blemon/app/terminal.h"
#include "blemon/app/tool.h"
#include "blemon/errors.h"

namespace blemon::app {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("blemon-app-common-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name, const std::string& text) const {
    const auto file = path_ / name;
    std::ofstream(file) << text;
    return file.string();
  }
  std::string Path(const std::string& name) const { return (path_ / name).string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(AGuardedMain, ReturnsWhatTheToolReturns) {
  EXPECT_EQ(GuardedMain(
                "tool", [](int argc, char**) { return argc + 1; }, 41, nullptr),
            42);
}

TEST(AGuardedMain, EndsAnEscapedExceptionAsUnavailableInsteadOfTerminating) {
  testing::internal::CaptureStderr();
  const int code = GuardedMain(
      "blemon-tool", [](int, char**) -> int { throw std::runtime_error("boom"); }, 0, nullptr);
  EXPECT_EQ(code, kExitUnavailable);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "blemon-tool: unexpected failure: boom\n");
  EXPECT_EQ(GuardedMain(
                "blemon-tool", [](int, char**) -> int { throw 7; }, 0, nullptr),
            kExitUnavailable);
}

TEST(AnEscapeForTerminal, KeepsPrintableTextIncludingNonAsciiLetters) {
  EXPECT_EQ(EscapeForTerminal("Jörg’s Apple Watch 😀"), "Jörg’s Apple Watch 😀");
}

TEST(AnEscapeForTerminal, EscapesControlCharactersAndBidiOverrides) {
  EXPECT_EQ(EscapeForTerminal("a\x1b[31mb\tc\x7f"), "a\\x1b[31mb\\x09c\\x7f");
  EXPECT_EQ(EscapeForTerminal("Evil\u202eTag\u2066x"), "Evil\\u{202e}Tag\\u{2066}x");
  EXPECT_EQ(EscapeForTerminal("c1\u0085"), "c1\\x85");
}

TEST(AnEscapeForTerminal, EscapesInvalidUtf8ByteByByteAndDoublesBackslashes) {
  EXPECT_EQ(EscapeForTerminal("x\xff\xc3y"), "x\\xff\\xc3y");
  EXPECT_EQ(EscapeForTerminal("\xc0\xaf"), "\\xc0\\xaf");  // overlong '/'
  EXPECT_EQ(EscapeForTerminal("a\\x1b"), "a\\\\x1b");
}

TEST(ALoadConfig, UsesTheBuiltInDefaultsWithoutAFile) {
  TempDir dir;
  const LoadedConfig loaded = LoadConfig("", dir.Path("absent.toml"));
  EXPECT_EQ(loaded.source, "built-in defaults");
  EXPECT_EQ(loaded.config.monitor.scan_interval, Seconds(300));
  EXPECT_FALSE(loaded.config.database.configured);
}

TEST(ALoadConfig, ReadsTheDefaultPathWhenItExists) {
  TempDir dir;
  const std::string path = dir.File("blemon.toml", "[monitor]\nscan_interval_seconds = 600\n");
  const LoadedConfig loaded = LoadConfig("", path);
  EXPECT_EQ(loaded.source, path);
  EXPECT_EQ(loaded.config.monitor.scan_interval, Seconds(600));
}

TEST(ALoadConfig, PrefersTheGivenFileOverTheDefault) {
  TempDir dir;
  const std::string fallback = dir.File("default.toml", "[monitor]\nscan_interval_seconds = 600\n");
  const std::string chosen = dir.File("chosen.toml", "[monitor]\nscan_interval_seconds = 900\n");
  EXPECT_EQ(LoadConfig(chosen, fallback).config.monitor.scan_interval, Seconds(900));
}

TEST(ALoadConfig, NamesAFileItCannotRead) {
  TempDir dir;
  const std::string missing = dir.Path("missing.toml");
  try {
    LoadConfig(missing);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.source(), missing);
    EXPECT_THAT(e.what(), HasSubstr("cannot read"));
  }
}

TEST(ALoadConfig, ReportsTheFileLineAndKeyOfAMistake) {
  TempDir dir;
  const std::string path = dir.File("bad.toml", "[monitor]\n\nscan_interval_seconds = \"300\"\n");
  try {
    LoadConfig(path);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 3);
    EXPECT_EQ(e.key(), "monitor.scan_interval_seconds");
    EXPECT_THAT(e.what(), HasSubstr(path + ":3"));
  }
}

TEST(ALogger, WritesTheOriginalToolsLineFormatWithTheOffsetToItsFile) {
  TempDir dir;
  LogOptions options;
  options.file = dir.Path("monitor.log");
  options.console = false;
  options.detect_journal = false;
  MakeLogger(options)->Log(LogLevel::kWarning, "Scan complete. Found 47 devices");
  EXPECT_THAT(
      ReadAll(options.file),
      MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}[-+][0-9]{2}:[0-9]{2} - "
                   "BLEMonitor - "
                   "WARNING - Scan complete. Found 47 devices\n"));
}

TEST(ALogger, DropsLinesBelowItsLevelAndAppendsToAnExistingFile) {
  TempDir dir;
  LogOptions options;
  options.file = dir.File("monitor.log", "earlier line\n");
  options.console = false;
  options.detect_journal = false;
  options.level = LogLevel::kInfo;
  auto log = MakeLogger(options);
  log->Log(LogLevel::kDebug, "not wanted");
  log->Log(LogLevel::kInfo, "wanted");
  const std::string text = ReadAll(options.file);
  EXPECT_THAT(text, HasSubstr("earlier line\n"));
  EXPECT_THAT(text, HasSubstr("- INFO - wanted"));
  EXPECT_THAT(text, Not(HasSubstr("not wanted")));
}

TEST(ALogger, RefusesALogFileItCannotOpen) {
  LogOptions options;
  options.file = "/nonexistent-dir/monitor.log";
  EXPECT_THROW(MakeLogger(options), std::runtime_error);
}

// Sets TZ for one test and puts the process's zone back afterwards.
class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* zone) {
    if (const char* old = std::getenv("TZ")) saved_ = old;
    ::setenv("TZ", zone, 1);
    ::tzset();
  }
  ~ScopedTimeZone() {
    if (saved_) {
      ::setenv("TZ", saved_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }

 private:
  std::optional<std::string> saved_;
};

TEST(UtcLabel, SaysUtcAndMeansItWhateverTheLocalZone) {
  // fmt 9 formats a system_clock time point in local time: the monitor logged New York's time
  // with "UTC" after it.
  ScopedTimeZone zone("America/New_York");
  EXPECT_EQ(UtcLabel(UtcTime{Seconds{1771774200}}), "2026-02-22 15:30:00 UTC");
}

TEST(ALogLine, CarriesItsLocalTimeWithTheOffset) {
  {
    ScopedTimeZone zone("Asia/Kathmandu");
    EXPECT_EQ(LocalTimestamp(1771774218), "2026-02-22 21:15:18+05:45");
  }
  {
    ScopedTimeZone zone("America/New_York");
    EXPECT_EQ(LocalTimestamp(1771774218), "2026-02-22 10:30:18-05:00");
  }
}

TEST(ASystemClock, WakesAtOnceWhenStopped) {
  auto clock = MakeSystemClock();
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stop.request_stop();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(clock->SleepUntil(clock->SteadyNow() + std::chrono::seconds(30), stop.get_token()));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(ASystemClock, SleepsUntilTheDeadlineAndTicksMeanwhile) {
  int ticks = 0;
  auto clock = MakeSystemClock([&] { ++ticks; }, std::chrono::milliseconds(20));
  const SteadyTime deadline = clock->SteadyNow() + std::chrono::milliseconds(150);
  EXPECT_TRUE(clock->SleepUntil(deadline, std::stop_token{}));
  EXPECT_GE(clock->SteadyNow(), deadline);
  EXPECT_GE(ticks, 5);
}

TEST(ASystemClock, ReadsTheWallClock) {
  auto clock = MakeSystemClock();
  const auto now = std::chrono::system_clock::now();
  const WallTime utc = clock->UtcNow();
  EXPECT_LE(std::chrono::abs(now - utc), std::chrono::seconds(2));
}

TEST(AFileNameSafe, ReplacesWhatCouldEscapeTheStateDirectory) {
  EXPECT_EQ(FileNameSafe("Living Room"), "Living_Room");
  EXPECT_EQ(FileNameSafe("../etc/passwd"), ".._etc_passwd");
  EXPECT_EQ(FileNameSafe(".."), "monitor");
  EXPECT_EQ(FileNameSafe("RPi_Monitor-01.a"), "RPi_Monitor-01.a");
}

TEST(ADescribeStore, NamesTheStoreButNeverThePassword) {
  DatabaseSettings settings;
  settings.configured = true;
  settings.backend = Backend::kMariaDb;
  settings.host = "192.168.1.10";
  settings.password = "s3cret";
  const std::string text = DescribeStore(settings);
  EXPECT_THAT(text, HasSubstr("192.168.1.10:3306"));
  EXPECT_THAT(text, Not(HasSubstr("s3cret")));
  EXPECT_THAT(DescribeStore(DatabaseSettings{}), HasSubstr("SQLite blemon.db"));
}

TEST(ADescribeStore, ListsEveryNodeOfACluster) {
  DatabaseSettings settings;
  settings.configured = true;
  settings.backend = Backend::kMariaDb;
  settings.hosts = {{"10.0.0.1", 3306}, {"10.0.0.2", 3307}};
  EXPECT_THAT(DescribeStore(settings), HasSubstr("on 10.0.0.1:3306, 10.0.0.2:3307 as"));
}

// The backend registry, on the backend every build has (SQLite): the report store never creates
// the file, the admin store diagnoses it, the Store creates it, and all three open the same one.
TEST(ABackendRegistry, OpensTheStoresOfTheConfiguredSqliteFile) {
  TempDir dir;
  DatabaseSettings settings;
  settings.path = dir.Path("blemon.db");
  EXPECT_THROW(OpenReportStore(settings), Unavailable);
  EXPECT_THAT(OpenAdminStore(settings)->Check().problems, Not(::testing::IsEmpty()));
  OpenStore(settings)->RegisterMonitor({"kitchen", "Lab", ""});
  EXPECT_EQ(OpenReportStore(settings)->LatestProcessedInterval(), std::nullopt);
  EXPECT_THAT(OpenAdminStore(settings)->Check().problems, ::testing::IsEmpty());
}

TEST(ABackendRegistry, RefusesMariaDbOnlyWhenTheBuildLacksIt) {
  DatabaseSettings settings;
  settings.backend = Backend::kMariaDb;
  settings.host = "127.0.0.1";
  settings.port = 1;  // nothing listens: a MariaDB build connects lazily, so opening succeeds
#if defined(BLEMON_TEST_HAVE_MARIADB)
  EXPECT_NE(OpenReportStore(settings), nullptr);
#else
  EXPECT_THROW(OpenReportStore(settings), Refused);
#endif
}

TEST(ABackendRegistry, PutsTheSpoolInTheStateDirectoryUnderTheMonitorsName) {
  TempDir dir;
  MonitorSettings monitor;
  monitor.name = "Living Room";
  monitor.state_directory = dir.Path("state");
  std::filesystem::create_directories(monitor.state_directory);
  std::string path;
  auto spool = OpenSpool(monitor, &path);
  EXPECT_EQ(path, dir.Path("state") + "/spool-Living_Room.db");
  EXPECT_EQ(spool->Pending(), 0);
  EXPECT_TRUE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace blemon::app
