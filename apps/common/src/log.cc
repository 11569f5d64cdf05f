#include "blemon/app/log.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <string>

namespace blemon::app {
namespace {

// syslog(3) priorities, as journald expects them in PRIORITY=.
int JournalPriority(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return 7;
    case LogLevel::kInfo:
      return 6;
    case LogLevel::kWarning:
      return 4;
    case LogLevel::kError:
      return 3;
  }
  return 6;
}

}  // namespace

// Python's logging prints asctime in local time; users' log parsers expect that. The offset says
// which local time, so a line is never mistaken for UTC (nor UTC for local).
std::string LocalTimestamp(std::time_t now) {
  std::tm local{};
  ::localtime_r(&now, &local);
  const long offset_minutes = local.tm_gmtoff / 60;
  const long magnitude = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}{}{:02}:{:02}", local.tm_year + 1900,
                     local.tm_mon + 1, local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec,
                     offset_minutes < 0 ? '-' : '+', magnitude / 60, magnitude % 60);
}

namespace {

class LineLogger final : public Logger {
 public:
  LineLogger(const LogOptions& options, std::FILE* file, bool journal)
      : options_(options), file_(file), journal_(journal) {}
  ~LineLogger() override {
    if (file_ != nullptr) std::fclose(file_);
  }

  void Log(LogLevel level, std::string_view message) override {
    if (level < options_.level) return;
    const std::string line = fmt::format("{} - {} - {} - {}\n", LocalTimestamp(std::time(nullptr)),
                                         options_.name, ToString(level), message);
    std::lock_guard lock(mutex_);
    if (journal_) {
      // The journal stamps its own time; it gets the bare message and a priority so that
      // `journalctl -p warning` works.
      ::sd_journal_send("MESSAGE=%.*s", static_cast<int>(message.size()), message.data(),
                        "PRIORITY=%d", JournalPriority(level), "SYSLOG_IDENTIFIER=%s",
                        options_.identifier.c_str(), nullptr);
    } else if (options_.console) {
      std::fwrite(line.data(), 1, line.size(), stderr);
      std::fflush(stderr);
    }
    if (file_ != nullptr) {
      std::fwrite(line.data(), 1, line.size(), file_);
      std::fflush(file_);
    }
  }

 private:
  const LogOptions options_;
  std::FILE* const file_;
  const bool journal_;
  std::mutex mutex_;
};

}  // namespace

bool StderrIsJournal() {
  // systemd sets JOURNAL_STREAM=<device>:<inode> of the stream it connected; only when stderr is
  // still that stream (not redirected by a wrapper) is the journal the right place.
  const char* value = std::getenv("JOURNAL_STREAM");
  if (value == nullptr) return false;
  unsigned long long dev = 0;
  unsigned long long ino = 0;
  if (std::sscanf(value, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev &&
         static_cast<unsigned long long>(st.st_ino) == ino;
}

std::unique_ptr<Logger> MakeLogger(const LogOptions& options) {
  std::FILE* file = nullptr;
  if (!options.file.empty()) {
    file = std::fopen(options.file.c_str(), "ae");
    if (file == nullptr) {
      throw std::runtime_error(
          fmt::format("cannot open log file {}: {}", options.file, std::strerror(errno)));
    }
  }
  const bool journal = options.detect_journal && StderrIsJournal();
  return std::make_unique<LineLogger>(options, file, journal);
}

}  // namespace blemon::app
