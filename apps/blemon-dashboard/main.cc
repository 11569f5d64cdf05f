// blemon-dashboard: the fleet at a glance, refreshed every 30 s — monitors and their health, the
// processor lease, the staging backlog, top devices and the latest sightings. On a terminal it
// takes the alternate screen and reads keys raw; `q` or Ctrl-C (or SIGTERM) puts the terminal
// back exactly as it was. Not on a terminal it prints plain frames. While the database is away it
// keeps running and says so.

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "blemon/app/backends.h"
#include "blemon/app/command_line.h"
#include "blemon/app/config_file.h"
#include "blemon/app/exit_codes.h"
#include "blemon/app/tool.h"
#include "blemon/errors.h"
#include "frame.h"

namespace {

namespace app = blemon::app;
namespace dashboard = blemon::dashboard;

// --- Terminal state, restored on every way out -----------------------------------------------

int g_signal_pipe[2] = {-1, -1};
std::atomic<bool> g_terminal_taken{false};
struct termios g_saved_termios {};

void WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Async-signal-safe: tcsetattr and write only.
void RestoreTerminal() {
  if (!g_terminal_taken.exchange(false)) return;
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_termios);
  // Show the cursor, reset attributes, leave the alternate screen.
  WriteAll(STDOUT_FILENO, "\x1b[?25h\x1b[0m\x1b[?1049l");
}

void OnSignal(int signo) {
  const char byte = static_cast<char>(signo);
  if (g_signal_pipe[1] >= 0) {
    [[maybe_unused]] const auto n = ::write(g_signal_pipe[1], &byte, 1);
  }
}

void OnFatalSignal(int signo) {
  RestoreTerminal();
  ::signal(signo, SIG_DFL);
  ::raise(signo);
}

// Takes the terminal: raw keys (no echo, no line buffering; signals still delivered so Ctrl-C is
// SIGINT), hidden cursor, alternate screen. The destructor, atexit and the fatal-signal handlers
// all give it back.
class TerminalSession {
 public:
  TerminalSession() {
    if (::tcgetattr(STDIN_FILENO, &g_saved_termios) != 0) return;
    struct termios raw = g_saved_termios;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    g_terminal_taken = true;
    std::atexit(RestoreTerminal);
    for (int signo : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE}) ::signal(signo, OnFatalSignal);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
    WriteAll(STDOUT_FILENO, "\x1b[?1049h\x1b[?25l");
  }
  ~TerminalSession() { RestoreTerminal(); }
  TerminalSession(const TerminalSession&) = delete;
  TerminalSession& operator=(const TerminalSession&) = delete;
};

int TerminalWidth(bool tty) {
  if (tty) {
    struct winsize ws {};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  }
  if (const char* columns = std::getenv("COLUMNS")) {
    const int n = std::atoi(columns);
    if (n > 0) return n;
  }
  return tty ? 80 : 120;
}

blemon::UtcTime Now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

struct State {
  std::optional<blemon::DashboardSnapshot> snapshot;
  std::optional<blemon::RoomsNow> rooms;  // devices per stable room, newest interval
  std::optional<std::string> error;
};

void Refresh(blemon::ReportStore* store, const std::string& open_error, int top, int recent,
             State& state) {
  if (store == nullptr) {
    state.error = open_error;
    return;
  }
  try {
    state.snapshot = store->Snapshot(top, recent);
    state.rooms = store->LatestRooms();
    state.error.reset();
  } catch (const blemon::Unavailable& e) {
    state.error = e.what();
  } catch (const blemon::Refused& e) {
    state.error = e.what();
  }
}

// The command line, defaults included.
struct Arguments {
  std::string config_path;
  int refresh = 30;  // seconds between refreshes
  bool once = false;
  int top = 10;     // top devices shown; 0 leaves the section out
  int recent = 10;  // recent sightings shown; 0 leaves the section out
};

// Fills `args` from the command line; returns the exit code when the process should end now
// (--help, --version, a usage mistake), or nothing.
std::optional<int> ParseArguments(int argc, char** argv, Arguments* args) {
  CLI::App cli{"blemon-dashboard: live view of the blemon fleet"};
  app::AddConfigOption(cli, args->config_path);
  app::AddVersionFlag(cli, "blemon-dashboard");
  cli.add_option("-r,--refresh", args->refresh, "seconds between refreshes")
      ->check(app::WholeNumber(1, 3600))
      ->capture_default_str();
  cli.add_flag("--once", args->once, "print one frame and exit");
  cli.add_option("--top", args->top, "top devices shown (0: leave the section out)")
      ->check(app::WholeNumber(0, 100))
      ->capture_default_str();
  cli.add_option("--recent", args->recent, "recent sightings shown (0: leave the section out)")
      ->check(app::WholeNumber(0, 100))
      ->capture_default_str();
  return app::ParseCommandLine(cli, "blemon-dashboard", argc, argv);
}

// The report store, opened on first use and again at each refresh until it opens. A store that
// cannot even be opened (no file yet) is an error shown like an outage: the dashboard retries,
// since a monitor may create it any moment.
class DashboardSource {
 public:
  DashboardSource(const blemon::DatabaseSettings& database, int top, int recent)
      : database_(database), top_(top), recent_(recent) {}

  // Opens the store if it is not open yet, then reads a fresh snapshot (or the error) into
  // `state`.
  void Refresh(State& state) {
    if (!store_) {
      try {
        store_ = blemon::app::OpenReportStore(database_);
      } catch (const std::exception& e) {
        open_error_ = e.what();
      }
    }
    ::Refresh(store_.get(), open_error_, top_, recent_, state);
  }

 private:
  const blemon::DatabaseSettings& database_;
  const int top_;
  const int recent_;
  std::unique_ptr<blemon::ReportStore> store_;
  std::string open_error_;
};

dashboard::FrameOptions MakeFrameOptions(const Arguments& args, const blemon::Config& config,
                                         bool tty) {
  dashboard::FrameOptions options;
  options.color = tty;
  options.interval = config.monitor.scan_interval;
  options.store = app::DescribeStore(config.database);
  options.refresh_seconds = args.refresh;
  options.top_devices = args.top;
  options.recent = args.recent;
  return options;
}

// --once: one plain frame on stdout; exits 69 when the store could not be read.
int PrintOneFrame(DashboardSource& source, dashboard::FrameOptions options, bool tty) {
  State state;
  source.Refresh(state);
  options.width = TerminalWidth(tty);
  std::fputs(
      dashboard::RenderFrame(state.snapshot, state.error, Now(), options, state.rooms).c_str(),
      stdout);
  return state.error ? app::kExitUnavailable : app::kExitOk;
}

// Routes SIGINT, SIGTERM, SIGHUP and SIGWINCH into g_signal_pipe, which the live loop polls
// alongside the keyboard. Returns false (with the reason printed) when the pipe cannot be made.
bool RouteSignalsToPipe() {
  if (::pipe(g_signal_pipe) != 0) {
    fmt::print(stderr, "blemon-dashboard: cannot create a pipe: {}\n", std::strerror(errno));
    return false;
  }
  struct sigaction action {};
  action.sa_handler = OnSignal;
  ::sigemptyset(&action.sa_mask);
  for (int signo : {SIGINT, SIGTERM, SIGHUP, SIGWINCH}) ::sigaction(signo, &action, nullptr);
  return true;
}

// Draws a frame at the terminal's current width: over the previous one on an interactive
// terminal, after it otherwise.
void DrawFrame(const State& state, dashboard::FrameOptions& options, bool tty) {
  options.width = TerminalWidth(tty);
  const std::string frame =
      dashboard::RenderFrame(state.snapshot, state.error, Now(), options, state.rooms);
  if (options.interactive) {
    WriteAll(STDOUT_FILENO, "\x1b[H\x1b[2J" + frame);
  } else {
    WriteAll(STDOUT_FILENO, frame + "\n");
  }
}

// What woke the live loop.
enum class Wake { kNothing, kResized, kRefreshNow, kQuit };

// A key from the raw terminal: q quits, r refreshes now; a closed terminal quits too.
Wake ReadKey(short revents) {
  char key = 0;
  const ssize_t got = ::read(STDIN_FILENO, &key, 1);
  if (got == 0 && (revents & POLLHUP)) return Wake::kQuit;
  if (got == 1 && (key == 'q' || key == 'Q')) return Wake::kQuit;
  if (got == 1 && key == 'r') return Wake::kRefreshNow;
  return Wake::kNothing;
}

// Waits up to `wait` for a signal (through g_signal_pipe) or, when interactive, a key.
Wake WaitForWake(std::chrono::milliseconds wait, bool interactive) {
  struct pollfd fds[2] = {{g_signal_pipe[0], POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
  const int n =
      ::poll(fds, interactive ? 2 : 1, static_cast<int>(std::max<long long>(wait.count(), 0)));
  if (n < 0 && errno != EINTR) return Wake::kQuit;
  if (n <= 0) return Wake::kNothing;
  if (fds[0].revents & POLLIN) {
    char signo = 0;
    if (::read(g_signal_pipe[0], &signo, 1) == 1) {
      // SIGINT, SIGTERM, SIGHUP: leave cleanly.
      return signo == SIGWINCH ? Wake::kResized : Wake::kQuit;
    }
  }
  if (interactive && (fds[1].revents & (POLLIN | POLLHUP))) return ReadKey(fds[1].revents);
  return Wake::kNothing;
}

// Refreshes every `refresh_seconds` and redraws after each refresh and each resize, until a key
// or a signal says to stop.
void RunLiveLoop(DashboardSource& source, dashboard::FrameOptions& options, int refresh_seconds,
                 bool tty) {
  using Clock = std::chrono::steady_clock;
  State state;
  auto next_refresh = Clock::now();
  bool redraw = false;
  for (;;) {
    if (Clock::now() >= next_refresh) {
      source.Refresh(state);
      next_refresh = Clock::now() + std::chrono::seconds(refresh_seconds);
      redraw = true;
    }
    if (redraw) {
      DrawFrame(state, options, tty);
      redraw = false;
    }
    const auto wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(next_refresh - Clock::now());
    switch (WaitForWake(wait, options.interactive)) {
      case Wake::kQuit:
        return;
      case Wake::kResized:
        redraw = true;
        break;
      case Wake::kRefreshNow:
        next_refresh = Clock::now();
        break;
      case Wake::kNothing:
        break;
    }
  }
}

int Run(int argc, char** argv) {
  Arguments args;
  if (const auto exit_code = ParseArguments(argc, argv, &args)) return *exit_code;
  const auto loaded_or_not = app::LoadConfigOrComplain("blemon-dashboard", args.config_path);
  if (!loaded_or_not) return app::kExitConfig;
  const blemon::Config& config = loaded_or_not->config;

  DashboardSource source(config.database, args.top, args.recent);
  const bool tty = ::isatty(STDOUT_FILENO) == 1;
  dashboard::FrameOptions options = MakeFrameOptions(args, config, tty);
  if (args.once) return PrintOneFrame(source, options, tty);

  if (!RouteSignalsToPipe()) return app::kExitUnavailable;
  // Keys are read only from a terminal that shows the frames too.
  options.interactive = tty && ::isatty(STDIN_FILENO) == 1;
  std::optional<TerminalSession> session;
  if (options.interactive) session.emplace();
  RunLiveLoop(source, options, args.refresh, tty);
  return app::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  return blemon::app::GuardedMain("blemon-dashboard", Run, argc, argv);
}
