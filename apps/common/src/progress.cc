#include "blemon/app/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <utility>

namespace blemon::app {
namespace {

// Time constant of the smoothed rate: a change of pace is half taken in after about 3.5 s.
constexpr double kRateTimeConstantSeconds = 5.0;

std::chrono::steady_clock::time_point RealNow() { return std::chrono::steady_clock::now(); }

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

Progress::Options DefaultOptions(std::FILE* out) {
  Progress::Options options;
  options.terminal = Progress::OnTerminal(out);
  return options;
}

}  // namespace

std::string GroupThousands(std::int64_t n) {
  const std::string digits =
      fmt::format("{}", n < 0 ? -static_cast<std::uint64_t>(n) : static_cast<std::uint64_t>(n));
  std::string out = n < 0 ? "-" : "";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string ShortDuration(double seconds) {
  const auto s = static_cast<std::int64_t>(std::llround(std::max(seconds, 0.0)));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
}

bool Progress::OnTerminal(std::FILE* out) { return out != nullptr && ::isatty(::fileno(out)) == 1; }

Progress::Progress(std::string_view what, std::int64_t total, std::FILE* out)
    : Progress(what, total, out, DefaultOptions(out)) {}

Progress::Progress(std::string_view what, std::int64_t total, std::FILE* out, Options options)
    : what_(what), total_(total), out_(out), options_(std::move(options)) {
  if (!options_.now) options_.now = RealNow;
  started_ = last_sample_ = options_.now();
  if (options_.terminal) Draw(Line());
}

Progress::~Progress() {
  if (line_open_ && !finished_) {
    std::fputc('\n', out_);
    std::fflush(out_);
  }
}

void Progress::SetTotal(std::int64_t total) { total_ = total; }

void Progress::Advance(std::int64_t n) {
  done_ += n;
  const auto now = options_.now();
  if (now - last_sample_ < options_.redraw_every) return;
  Sample(now);
  if (options_.terminal) Draw(Line());
}

void Progress::Sample(std::chrono::steady_clock::time_point now) {
  const double dt = Seconds(now - last_sample_);
  const double instant = static_cast<double>(done_ - done_at_last_sample_) / dt;
  // The first window sets the rate outright; later ones move it by a weight that grows with the
  // window's length, so the smoothing does not depend on how often Advance is called.
  const double weight = rate_ == 0 ? 1.0 : 1.0 - std::exp(-dt / kRateTimeConstantSeconds);
  rate_ += weight * (instant - rate_);
  last_sample_ = now;
  done_at_last_sample_ = done_;
}

double Progress::SecondsLeft() const {
  if (total_ <= 0 || rate_ <= 0) return -1;
  return static_cast<double>(std::max<std::int64_t>(total_ - done_, 0)) / rate_;
}

std::string Progress::Line() const {
  std::string line = fmt::format("{}: {}", what_, GroupThousands(done_));
  if (total_ > 0) {
    line += fmt::format(" of {} {} ({:.1f}%)", GroupThousands(total_), options_.unit,
                        100.0 * static_cast<double>(done_) / static_cast<double>(total_));
  } else {
    line += " " + options_.unit;
  }
  if (!options_.show_rate) return line;
  if (rate_ > 0) {
    line += fmt::format(", {} {}/s", GroupThousands(std::llround(rate_)), options_.unit);
  }
  if (const double left = SecondsLeft(); left >= 0) {
    line += fmt::format(", about {} left", ShortDuration(left));
  }
  return line;
}

void Progress::Draw(const std::string& line) {
  // \r back to the line's start, the text, then "erase to end of line" for a shorter redraw.
  std::fputs(fmt::format("\r{}\x1b[K", line).c_str(), out_);
  std::fflush(out_);
  line_open_ = true;
}

void Progress::Done() {
  if (finished_) return;
  finished_ = true;
  if (!options_.terminal) return;
  const double elapsed = Seconds(options_.now() - started_);
  std::string line = fmt::format("{}: {} {} in {}", what_, GroupThousands(done_), options_.unit,
                                 ShortDuration(elapsed));
  if (elapsed > 0 && options_.show_rate) {
    line += fmt::format(" ({} {}/s)",
                        GroupThousands(std::llround(static_cast<double>(done_) / elapsed)),
                        options_.unit);
  }
  Draw(line);
  std::fputc('\n', out_);
  std::fflush(out_);
}

}  // namespace blemon::app
