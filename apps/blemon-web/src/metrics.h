#pragma once

#include <string>
#include <vector>

#include "blemon/report_store.h"
#include "interval_watch.h"

namespace blemon::web {

// /metrics in the Prometheus text exposition format (version 0.0.4): per monitor the age of its
// heartbeat and its unprocessed staging rows, the staging backlog, the processor lease (holder,
// epoch, seconds to expiry) and what IntervalWatch saw of processing (intervals, late ones, the
// delay histogram). Label values are escaped as the format requires (a monitor name is free text).
std::string MetricsText(const DashboardSnapshot& snapshot,
                        const std::vector<MonitorBacklog>& backlog, const ProcessingSeen& seen);

}  // namespace blemon::web
