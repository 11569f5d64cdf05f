#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

namespace blemon::app {

// A one-line progress display for long admin operations (archive, migrate backfills, retention).
//
// On a terminal it redraws one line in place, at most every `redraw_every` (default 250 ms, so
// about four times a second however often Advance is called):
//
//   archive: 1,234,567 of 10,000,000 rows (12.3%), 81,234 rows/s, about 1m48s left
//
// The rate is smoothed (an exponential moving average with a 5 s time constant), so the estimate
// neither jumps with one slow batch nor lags minutes behind a real change of pace. Done() replaces
// the line by a final one with the total time and the mean rate, and ends it with a newline.
//
// Not on a terminal (piped, redirected, run from cron or systemd) it prints nothing at all: the
// command's own summary line is what logs keep, and a log of carriage returns helps nobody.
//
// Not thread-safe: one thread calls Advance. The clock is injectable for tests.
class Progress {
 public:
  using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;

  struct Options {
    // Whether to draw; the default constructor asks isatty() of `out`.
    bool terminal = false;
    // Where "now" comes from; steady_clock::now when empty.
    SteadyClock now;
    // Least time between two redraws.
    std::chrono::milliseconds redraw_every{250};
    // What is counted, plural ("rows", "statements").
    std::string unit = "rows";
    // Whether to show the rate and the time left: not for a handful of uneven steps (a
    // migration's statements), where an average says nothing.
    bool show_rate = true;
  };

  // Whether `out` is a terminal (isatty): what the three-argument constructor draws on.
  static bool OnTerminal(std::FILE* out);

  // `total` is how many units the operation expects (<= 0: unknown, then no percent and no
  // estimate are shown). Draws on `out` only when it is a terminal.
  Progress(std::string_view what, std::int64_t total, std::FILE* out);
  Progress(std::string_view what, std::int64_t total, std::FILE* out, Options options);
  // Ends a line left open (an interrupted operation) so that later output starts on its own line.
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // `n` more units are done. Redraws when the last redraw is at least `redraw_every` old.
  void Advance(std::int64_t n);
  // The expected total changed (an estimate was refined). Shown at the next redraw.
  void SetTotal(std::int64_t total);
  // Prints the final line (on a terminal): done count, elapsed time, mean rate. Idempotent.
  void Done();

  std::int64_t done() const { return done_; }
  // Units per second, smoothed; 0 before the first measurement.
  double rate() const { return rate_; }
  // Seconds left at the smoothed rate; negative when unknown (no total, no rate yet).
  double SecondsLeft() const;

 private:
  void Sample(std::chrono::steady_clock::time_point now);
  void Draw(const std::string& line);
  std::string Line() const;

  std::string what_;
  std::int64_t total_;
  std::FILE* out_;
  Options options_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_sample_;
  std::int64_t done_ = 0;
  std::int64_t done_at_last_sample_ = 0;
  double rate_ = 0;
  bool line_open_ = false;
  bool finished_ = false;
};

// "1,234,567": digits grouped by thousands (negative numbers keep their sign).
std::string GroupThousands(std::int64_t n);
// "45s", "3m07s", "2h05m": a duration in whole seconds, for humans.
std::string ShortDuration(double seconds);

}  // namespace blemon::app
