#pragma once

#include <string>
#include <vector>

#include "blemon/report_store.h"
#include "interval_watch.h"

namespace blemon::web {

// /metrics in the Prometheus text exposition format (version 0.0.4): per monitor the age of its
// heartbeat and its unprocessed staging rows, the staging backlog, the processor lease (holder,
// epoch, seconds to expiry), the processor's recorded runs (`runs`: intervals processed, late ones,
// the duration histogram) and the delay from an interval's end until IntervalWatch saw it
// (`seen`). Label values are escaped as the format requires (a monitor name is free text).
std::string MetricsText(const DashboardSnapshot& snapshot,
                        const std::vector<MonitorBacklog>& backlog, const ProcessingHistory& runs,
                        const ProcessingSeen& seen);

}  // namespace blemon::web
