#include "frame.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <utility>
#include <vector>

#include "blemon/app/terminal.h"
#include "blemon/report/local_time.h"
#include "blemon/report/text.h"
#include "blemon/scan_health.h"

namespace blemon::dashboard {
namespace {

using report::DisplayWidth;
using report::FitToWidth;
using report::PadLeft;
using report::PadRight;

constexpr std::string_view kBold = "\x1b[1m";
constexpr std::string_view kGreen = "\x1b[32m";
constexpr std::string_view kYellow = "\x1b[33m";
constexpr std::string_view kRed = "\x1b[31m";
constexpr std::string_view kDim = "\x1b[2m";
constexpr std::string_view kReset = "\x1b[0m";

std::string Age(Seconds s) {
  auto a = s.count();
  if (a < 0) a = 0;
  if (a >= 86400) return fmt::format("{}d{:02}h", a / 86400, a % 86400 / 3600);
  if (a >= 3600) return fmt::format("{}h{:02}m", a / 3600, a % 3600 / 60);
  if (a >= 60) return fmt::format("{}m{:02}s", a / 60, a % 60);
  return fmt::format("{}s", a);
}

std::string_view HealthText(Health health) {
  switch (health) {
    case Health::kOk:
      return "ok";
    case Health::kLate:
      return "late";
    case Health::kDown:
      return "down";
    case Health::kStopped:
      return "stopped";
  }
  return "?";
}

// The scan column: whether the monitor really listens (blemon/scan_health.h).
std::pair<std::string, std::string_view> ScanCell(const DashboardMonitor& m,
                                                  const DashboardSnapshot& s, Seconds interval) {
  switch (ScanStateOf(m, s.monitors, s.store_now, interval)) {
    case ScanState::kOk:
      return {"ok", kGreen};
    case ScanState::kFailing:
      return {fmt::format("FAILING ({})", m.scans_failed), kRed};
    case ScanState::kSilent:
      return {"SILENT", kYellow};
    case ScanState::kUnknown:
      break;
  }
  return {"-", kDim};
}

std::string_view HealthColor(Health health) {
  switch (health) {
    case Health::kOk:
      return kGreen;
    case Health::kLate:
      return kYellow;
    case Health::kDown:
      return kRed;
    case Health::kStopped:
      return kDim;
  }
  return "";
}

// A small table that fits a width: columns keep their natural width except the flexible ones
// (names), which give up columns (down to 6) until the line fits; cells cut there end in "…".
struct Cell {
  std::string text;
  std::string_view color;  // applied around the padded text, so alignment is unaffected
};

class Table {
 public:
  Table(std::vector<std::string> headers, std::vector<bool> right, std::vector<bool> flex)
      : headers_(std::move(headers)), right_(std::move(right)), flex_(std::move(flex)) {}

  void Add(std::vector<Cell> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }

  std::string Render(int width, bool color) const {
    std::vector<int> widths;
    for (const auto& h : headers_) widths.push_back(DisplayWidth(h));
    for (const auto& row : rows_) {
      for (std::size_t c = 0; c < row.size(); ++c) {
        widths[c] = std::max(widths[c], DisplayWidth(row[c].text));
      }
    }
    const int indent = 2;
    const auto total = [&] {
      return indent + std::accumulate(widths.begin(), widths.end(), 0) +
             2 * static_cast<int>(widths.size() - 1);
    };
    // Shrink the widest flexible column one step at a time.
    while (total() > width) {
      int pick = -1;
      for (std::size_t c = 0; c < widths.size(); ++c) {
        if (flex_[c] && widths[c] > 6 && (pick < 0 || widths[c] > widths[pick])) {
          pick = static_cast<int>(c);
        }
      }
      if (pick < 0) break;
      --widths[pick];
    }
    // Still too wide: leave out columns from the right (the last one is cut to fit).
    while (widths.size() > 1 && total() > width) widths.pop_back();
    if (total() > width) widths.back() = std::max(1, widths.back() - (total() - width));
    std::string out;
    const auto line = [&](const std::vector<Cell>& cells, bool header) {
      std::string text(indent, ' ');
      const std::size_t shown = std::min(cells.size(), widths.size());
      for (std::size_t c = 0; c < shown; ++c) {
        if (c > 0) text += "  ";
        const std::string fitted = FitToWidth(cells[c].text, widths[c]);
        const std::string padded = right_[c]
                                       ? PadLeft(fitted, widths[c])
                                       : (c + 1 == shown ? fitted : PadRight(fitted, widths[c]));
        const std::string_view paint = header ? kBold : cells[c].color;
        if (color && !paint.empty()) {
          text += std::string(paint) + padded + std::string(kReset);
        } else {
          text += padded;
        }
      }
      out += text + "\n";
    };
    std::vector<Cell> header;
    for (const auto& h : headers_) header.push_back({h, {}});
    line(header, true);
    for (const auto& row : rows_) line(row, false);
    return out;
  }

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<bool> flex_;
  std::vector<std::vector<Cell>> rows_;
};

std::string Safe(std::string_view text) { return app::EscapeForTerminal(text); }

std::string LocalTime(UtcTime t) { return report::FormatLocalMinutes(t); }

void Heading(std::string& out, std::string_view text, int width, const FrameOptions& options) {
  const std::string fitted = FitToWidth(text, width);
  out += options.color ? fmt::format("{}{}{}\n", kBold, fitted, kReset) : fitted + "\n";
}

void RenderTopDevices(const DashboardSnapshot& s, int width, const FrameOptions& options,
                      std::string& out) {
  out += "\n";
  Heading(out, "Top devices (24 h)", width, options);
  // "Won by" is the raw loudest monitor, "Room" the stable room of its latest sighting.
  Table devices({"MAC", "Name", "Sightings", "Best RSSI", "Won by", "Room"},
                {false, false, true, true, false, false}, {false, true, false, false, true, true});
  for (const auto& d : s.top_devices) {
    std::string won;
    for (const auto& m : d.monitors) won += (won.empty() ? "" : ", ") + Safe(m);
    devices.Add({{d.mac, {}},
                 {d.name ? Safe(*d.name) : "Unknown", {}},
                 {std::to_string(d.sightings), {}},
                 {std::to_string(d.best_rssi), {}},
                 {won, {}},
                 {d.confidence ? fmt::format("{} ({})", Safe(d.room), ToString(*d.confidence))
                               : Safe(d.room),
                  {}}});
  }
  if (devices.empty()) {
    out += FitToWidth("  no sightings in the last 24 hours", width) + "\n";
  } else {
    out += devices.Render(width, options.color);
  }
}

void RenderRooms(const RoomsNow& now, int width, const FrameOptions& options, std::string& out) {
  out += "\n";
  Heading(out,
          now.interval_start
              ? fmt::format("Rooms now (stable rooms, interval {})", LocalTime(*now.interval_start))
              : std::string("Rooms now"),
          width, options);
  Table rooms({"Room", "Devices", "High", "Low", "Ambiguous"}, {false, true, true, true, true},
              {true, false, false, false, false});
  for (const auto& room : CountByRoom(now)) {
    rooms.Add({{Safe(room.room), {}},
               {std::to_string(room.devices), {}},
               {std::to_string(room.high), {}},
               {std::to_string(room.low), {}},
               {std::to_string(room.ambiguous), {}}});
  }
  if (rooms.empty()) {
    out += FitToWidth("  no interval processed yet", width) + "\n";
  } else {
    out += rooms.Render(width, options.color);
  }
}

void RenderRecent(const DashboardSnapshot& s, int width, const FrameOptions& options,
                  std::string& out) {
  out += "\n";
  Heading(out, "Most recent sightings", width, options);
  Table recent({"Time", "MAC", "Name", "Monitor", "RSSI"}, {false, false, false, false, true},
               {false, false, true, true, false});
  for (const auto& r : s.recent) {
    recent.Add({{LocalTime(r.sighting_time), {}},
                {r.mac, {}},
                {r.name ? Safe(*r.name) : "Unknown", {}},
                {Safe(r.monitor_name), {}},
                {std::to_string(r.rssi), {}}});
  }
  if (recent.empty()) {
    out += FitToWidth("  none in the last 24 hours", width) + "\n";
  } else {
    out += recent.Render(width, options.color);
  }
}

// A line cut to the frame's width.
void Plain(std::string& out, std::string_view text, int width) {
  out += FitToWidth(text, width) + "\n";
}

// The title line, then, while the store cannot be read, the outage in red with the age of the
// data still shown below it.
void RenderTitle(const std::optional<DashboardSnapshot>& snapshot,
                 const std::optional<std::string>& error, UtcTime now, int width,
                 const FrameOptions& options, std::string& out) {
  Heading(out,
          fmt::format("blemon dashboard — {} — {}, times in {}", LocalTime(now), options.store,
                      report::ZoneLabel(report::ZoneAt(now))),
          width, options);
  if (!error) return;
  const std::string text = fmt::format(
      "DATABASE UNAVAILABLE: {} — retrying every {} s{}", *error, options.refresh_seconds,
      snapshot ? fmt::format("; showing data from {}", LocalTime(snapshot->store_now)) : "");
  out += options.color ? fmt::format("{}{}{}\n", kRed, FitToWidth(text, width), kReset)
                       : FitToWidth(text, width) + "\n";
}

void RenderMonitors(const DashboardSnapshot& s, Seconds interval, int width,
                    const FrameOptions& options, std::string& out) {
  out += "\n";
  Heading(out, fmt::format("Monitors (interval {} s)", interval.count()), width, options);
  Table monitors({"Monitor", "Location", "Health", "Scans", "Last seen", "Age", "Devices 24h"},
                 {false, false, false, false, false, true, true},
                 {true, true, false, false, false, false, false});
  for (const auto& m : s.monitors) {
    const Health health = HealthOf(m, s.store_now, interval);
    auto [scans, scans_color] = ScanCell(m, s, interval);
    monitors.Add({{Safe(m.monitor_name), {}},
                  {Safe(m.location), {}},
                  {std::string(HealthText(health)), HealthColor(health)},
                  {std::move(scans), scans_color},
                  {m.last_seen ? LocalTime(*m.last_seen) : "never", {}},
                  {m.last_seen ? Age(s.store_now - *m.last_seen) : "-", {}},
                  {std::to_string(m.devices_24h), {}}});
  }
  if (monitors.empty()) {
    Plain(out, "  no monitors registered yet", width);
  } else {
    out += monitors.Render(width, options.color);
    // What is wrong, in words: the failing monitor's error, the silent monitor's count.
    for (const auto& problem : ScanProblems(s, interval)) Plain(out, "  " + Safe(problem), width);
  }
}

// Who holds the processor lease, for how long, and when it runs out (or how long ago it did).
std::string ProcessorLine(const DashboardSnapshot& s) {
  if (!s.lease.holder) {
    return fmt::format("Processor: none — no monitor processes intervals (epoch {})",
                       s.lease.epoch);
  }
  const bool live = s.lease.live();
  std::string text =
      fmt::format("Processor: {} (epoch {})", Safe(s.lease.holder_name), s.lease.epoch);
  if (s.lease.claimed_at) {
    text += fmt::format(", holds it for {}", Age(s.store_now - *s.lease.claimed_at));
  }
  if (s.lease.expires_at) {
    text += live ? fmt::format(", expires in {}", Age(*s.lease.expires_at - s.store_now))
                 : fmt::format(", EXPIRED {} ago", Age(s.store_now - *s.lease.expires_at));
  }
  return text;
}

// The staging backlog: rows the processor has not turned into sightings yet.
std::string StagingLine(const DashboardSnapshot& s) {
  if (s.unprocessed_rows == 0) return "Staging: no unprocessed rows";
  return fmt::format(
      "Staging: {} unprocessed rows, oldest interval {} ({} ago)", s.unprocessed_rows,
      s.oldest_unprocessed_interval ? LocalTime(*s.oldest_unprocessed_interval) : "-",
      s.oldest_unprocessed_interval ? Age(s.store_now - *s.oldest_unprocessed_interval) : "-");
}

}  // namespace

Health HealthOf(const DashboardMonitor& monitor, UtcTime store_now, Seconds interval) {
  if (!monitor.is_active) return Health::kStopped;
  if (!monitor.last_seen) return Health::kDown;
  const Seconds age = store_now - *monitor.last_seen;
  if (age * 2 <= interval * 3) return Health::kOk;
  if (age <= interval * 3) return Health::kLate;
  return Health::kDown;
}

std::string RenderFrame(const std::optional<DashboardSnapshot>& snapshot,
                        const std::optional<std::string>& error, UtcTime now,
                        const FrameOptions& options, const std::optional<RoomsNow>& rooms) {
  const int width = std::max(options.width, 40);
  std::string out;
  RenderTitle(snapshot, error, now, width, options, out);
  if (!snapshot) return out;
  const DashboardSnapshot& s = *snapshot;
  const Seconds interval = s.fleet_interval.value_or(options.interval);

  RenderMonitors(s, interval, width, options, out);
  out += "\n";
  Plain(out, ProcessorLine(s), width);
  Plain(out, StagingLine(s), width);
  if (rooms) RenderRooms(*rooms, width, options, out);
  if (options.top_devices > 0) RenderTopDevices(s, width, options, out);
  if (options.recent > 0) RenderRecent(s, width, options, out);
  if (options.interactive) {
    out += "\n";
    Plain(out, fmt::format("refresh every {} s — q or Ctrl-C to quit", options.refresh_seconds),
          width);
  }
  return out;
}

}  // namespace blemon::dashboard
