#include "metrics.h"

#include <fmt/format.h>

#include <map>
#include <optional>

namespace blemon::web {
namespace {

// Backslash, double quote and line feed are the characters the text format escapes in labels.
std::string LabelValue(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

class Exposition {
 public:
  void Family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void Sample(std::string_view name, std::string_view labels, double value) {
    out_ += labels.empty() ? fmt::format("{} {}\n", name, value)
                           : fmt::format("{}{{{}}} {}\n", name, labels, value);
  }
  // A family of at most one sample: the header always, the sample when there is a value.
  void Single(std::string_view name, std::string_view type, std::string_view help,
              std::optional<double> value, std::string_view labels = "") {
    Family(name, type, help);
    if (value) Sample(name, labels, *value);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string MonitorLabels(const std::string& name) {
  return fmt::format("monitor=\"{}\"", LabelValue(name));
}

void MonitorFamilies(Exposition& e, const DashboardSnapshot& snapshot,
                     const std::vector<MonitorBacklog>& backlog) {
  e.Family("blemon_monitor_last_seen_age_seconds", "gauge",
           "Seconds since the monitor's last heartbeat, on the database clock.");
  for (const auto& m : snapshot.monitors) {
    if (!m.last_seen) continue;
    e.Sample("blemon_monitor_last_seen_age_seconds", MonitorLabels(m.monitor_name),
             static_cast<double>((snapshot.store_now - *m.last_seen).count()));
  }
  e.Family("blemon_monitor_active", "gauge", "1 while the monitor is registered as active.");
  for (const auto& m : snapshot.monitors) {
    e.Sample("blemon_monitor_active", MonitorLabels(m.monitor_name), m.is_active ? 1 : 0);
  }
  std::map<std::string, std::int64_t> staged;
  for (const auto& m : snapshot.monitors) staged[m.monitor_name] = 0;
  for (const auto& b : backlog) staged[b.monitor_name] = b.unprocessed_rows;
  e.Family("blemon_monitor_readings_staged", "gauge",
           "Readings the monitor staged that are not processed yet.");
  for (const auto& [name, rows] : staged) {
    e.Sample("blemon_monitor_readings_staged", MonitorLabels(name), static_cast<double>(rows));
  }
}

void LeaseFamilies(Exposition& e, const DashboardSnapshot& snapshot) {
  const LeaseStatus& lease = snapshot.lease;
  e.Single("blemon_processor_lease_held", "gauge",
           "1 for the monitor holding a live processor lease (none when nobody does).",
           lease.live() ? std::optional(1.0) : std::nullopt, MonitorLabels(lease.holder_name));
  e.Single("blemon_processor_lease_epoch", "gauge",
           "The lease's fencing token; it grows with every new holder.",
           static_cast<double>(lease.epoch));
  e.Single("blemon_processor_lease_expires_in_seconds", "gauge",
           "Seconds until the lease expires (negative: expired).",
           lease.expires_at
               ? std::optional(static_cast<double>((*lease.expires_at - lease.store_now).count()))
               : std::nullopt);
}

// Prometheus histogram buckets: `counts[i]` samples were at most `bounds[i]`, `count` in all.
template <class Bounds, class Counts>
void Histogram(Exposition& e, std::string_view name, const Bounds& bounds, const Counts& counts,
               double count, double sum) {
  for (std::size_t i = 0; i < std::size(bounds); ++i) {
    e.Sample(fmt::format("{}_bucket", name), fmt::format("le=\"{}\"", bounds[i]),
             static_cast<double>(counts[i]));
  }
  e.Sample(fmt::format("{}_bucket", name), "le=\"+Inf\"", count);
  e.Sample(fmt::format("{}_sum", name), "", sum);
  e.Sample(fmt::format("{}_count", name), "", count);
}

void ProcessingFamilies(Exposition& e, const ProcessingHistory& runs, const ProcessingSeen& seen) {
  e.Single("blemon_intervals_processed_total", "counter",
           "Intervals the processor committed, as it recorded them (processing_runs).",
           static_cast<double>(runs.runs));
  e.Single("blemon_intervals_late_total", "counter",
           "Of those, intervals committed more than one interval length after they ended.",
           static_cast<double>(runs.late));
  e.Family("blemon_processing_duration_seconds", "histogram",
           "Seconds the processor spent processing one interval, as it measured them.");
  Histogram(e, "blemon_processing_duration_seconds", kProcessingDurationBuckets, runs.at_most,
            static_cast<double>(runs.runs), runs.duration_seconds);
  e.Family("blemon_processing_delay_seconds", "histogram",
           "Seconds from an interval's end until this blemon-web saw its sightings.");
  Histogram(e, "blemon_processing_delay_seconds", ProcessingSeen::kBuckets, seen.bucket_counts,
            static_cast<double>(seen.intervals), seen.delay_sum);
}

}  // namespace

std::string MetricsText(const DashboardSnapshot& snapshot,
                        const std::vector<MonitorBacklog>& backlog, const ProcessingHistory& runs,
                        const ProcessingSeen& seen) {
  Exposition e;
  MonitorFamilies(e, snapshot, backlog);
  e.Single("blemon_staging_unprocessed_rows", "gauge",
           "Staged readings of all monitors not processed yet.",
           static_cast<double>(snapshot.unprocessed_rows));
  const auto& oldest = snapshot.oldest_unprocessed_interval;
  e.Single("blemon_staging_oldest_unprocessed_age_seconds", "gauge",
           "Age of the oldest interval with unprocessed readings.",
           oldest ? std::optional(static_cast<double>((snapshot.store_now - *oldest).count()))
                  : std::nullopt);
  LeaseFamilies(e, snapshot);
  ProcessingFamilies(e, runs, seen);
  return e.Take();
}

}  // namespace blemon::web
