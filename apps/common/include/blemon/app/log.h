#pragma once

#include <ctime>
#include <memory>
#include <string>

#include "blemon/ports.h"
#include "blemon/time.h"

namespace blemon::app {

struct LogOptions {
  // The logger name of the original tool's line format: "<local time> - <name> - <LEVEL> - msg".
  std::string name = "BLEMonitor";
  // The journal's SYSLOG_IDENTIFIER when logging there (usually the executable's name).
  std::string identifier = "blemon";
  LogLevel level = LogLevel::kInfo;
  // Also append every line to this file when not empty.
  std::string file;
  // Where the console lines go; the original tool logged to stderr as Python's logging does.
  bool console = true;
  // Under systemd (JOURNAL_STREAM names our stderr) lines go to the journal with a PRIORITY
  // instead of the console. Tests turn the detection off to keep the console format.
  bool detect_journal = true;
};

// The Logger adapter. Lines below `level` are dropped. Safe to call from several threads (the
// signal thread logs too); each line is written whole and flushed, so a crash loses at most the
// line being written. Throws std::runtime_error when `file` cannot be opened for appending.
std::unique_ptr<Logger> MakeLogger(const LogOptions& options);

// "2026-02-22 15:30:18+01:00": a log line's own time, local (as the original tool's Python
// logging wrote it) with its UTC offset. Interval times inside messages are blemon::UtcLabel.
std::string LocalTimestamp(std::time_t now);

// True when stderr is connected to the systemd journal (JOURNAL_STREAM matches it).
bool StderrIsJournal();

}  // namespace blemon::app
