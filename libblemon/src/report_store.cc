#include "blemon/report_store.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace blemon {

std::string ProcessingHistoryColumns() {
  std::string columns = "COUNT(*), COALESCE(SUM(duration_ms), 0)";
  for (const double bound : kProcessingDurationBuckets) {
    columns +=
        ", COALESCE(SUM(duration_ms <= " + std::to_string(std::lround(bound * 1000)) + "), 0)";
  }
  return columns;
}

std::string ConfidenceClause(const ReportFilter& filter) {
  if (filter.confidence.empty()) return {};
  std::string clause = " AND ds.confidence IN (";
  for (std::size_t i = 0; i < filter.confidence.size(); ++i) {
    // The words come from the enum, never from the user: safe to splice.
    clause += (i == 0 ? "'" : ", '") + std::string(ToString(filter.confidence[i])) + "'";
  }
  return clause + ")";
}

ProcessingHistory ProcessingHistoryOf(const std::vector<std::int64_t>& columns) {
  ProcessingHistory history;
  if (columns.size() != kProcessingHistoryColumnCount) return history;
  history.runs = columns[0];
  history.duration_seconds = static_cast<double>(columns[1]) / 1000;
  std::copy_n(columns.begin() + 2, history.at_most.size(), history.at_most.begin());
  history.late = columns.back();
  return history;
}

void DeviceSummaryFold::Add(Row row) {
  auto [it, fresh] = devices_.try_emplace(row.device_id);
  Device& device = it->second;
  DeviceSummary& summary = device.summary;
  if (fresh) {
    summary.estimated_device = row.estimated_device.empty() ? row.mac : row.estimated_device;
    summary.address_class = std::move(row.address_class);
    summary.mac = std::move(row.mac);
    if (row.name && !row.name->empty()) summary.name = std::move(row.name);
    summary.best_rssi = row.best_rssi;
    summary.last_seen = row.last_seen;
    summary.device_class = std::move(row.device_class);
    summary.vendor = std::move(row.vendor);
  }
  summary.monitors.push_back(std::move(row.monitor_name));
  summary.sightings += row.sightings;
  summary.best_rssi = std::max(summary.best_rssi, row.best_rssi);
  summary.last_seen = std::max(summary.last_seen, row.last_seen);
  device.rssi_sum += row.rssi_sum;
}

void SortRoomHours(std::vector<RoomHourRow>& rows) {
  std::sort(rows.begin(), rows.end(), [](const RoomHourRow& a, const RoomHourRow& b) {
    return a.hour_start != b.hour_start ? a.hour_start < b.hour_start : a.room < b.room;
  });
}

std::vector<RoomCount> CountByRoom(const RoomsNow& now) {
  std::vector<RoomCount> rooms;
  for (const auto& device : now.devices) {
    if (rooms.empty() || rooms.back().room != device.room) rooms.push_back({.room = device.room});
    RoomCount& room = rooms.back();
    ++room.devices;
    if (!device.confidence) continue;
    switch (*device.confidence) {
      case Confidence::kHigh:
        ++room.high;
        break;
      case Confidence::kLow:
        ++room.low;
        break;
      case Confidence::kAmbiguous:
        ++room.ambiguous;
        break;
    }
  }
  return rooms;
}

void DeviceSummaryFold::SetLatest(std::int64_t device_id, std::string room,
                                  std::optional<Confidence> confidence) {
  const auto it = devices_.find(device_id);
  if (it == devices_.end()) return;
  it->second.summary.room = std::move(room);
  it->second.summary.confidence = confidence;
}

std::vector<DeviceSummary> DeviceSummaryFold::Result() {
  std::vector<DeviceSummary> result;
  result.reserve(devices_.size());
  for (auto& [id, device] : devices_) {
    DeviceSummary& summary = device.summary;
    summary.avg_rssi = summary.sightings == 0 ? 0.0
                                              : static_cast<double>(device.rssi_sum) /
                                                    static_cast<double>(summary.sightings);
    std::sort(summary.monitors.begin(), summary.monitors.end());
    result.push_back(std::move(summary));
  }
  devices_.clear();
  std::sort(result.begin(), result.end(), [](const DeviceSummary& a, const DeviceSummary& b) {
    return a.sightings != b.sightings ? a.sightings > b.sightings : a.mac < b.mac;
  });
  return result;
}

}  // namespace blemon
