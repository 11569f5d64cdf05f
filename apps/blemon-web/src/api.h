#pragma once

// API v1 of blemon-web as plain functions: a request's path parameters and query in, a reply out.
// No HTTP here (server.cc maps these onto cpp-httplib), so every answer, good or bad, is tested
// without a socket. docs/api.md and docs/openapi.yaml describe the same contract for users.

#include <map>
#include <stdexcept>
#include <string>

#include "blemon/report_store.h"
#include "blemon/time.h"

namespace blemon::web {

// A query string, as cpp-httplib parses it (a name may repeat).
using Query = std::multimap<std::string, std::string>;

struct Reply {
  int status = 200;
  std::string content_type;
  std::string body;
};

// A request that cannot be answered as asked. Turned into RFC 9457 problem details
// (application/problem+json) by ProblemReply; `parameter` names the query parameter at fault.
class Problem : public std::runtime_error {
 public:
  Problem(int status, std::string title, const std::string& detail, std::string parameter = "");
  int status() const { return status_; }
  const std::string& title() const { return title_; }
  const std::string& parameter() const { return parameter_; }

 private:
  int status_;
  std::string title_;
  std::string parameter_;
};

// {"type": "about:blank", "title", "status", "detail", "instance", ["parameter"]}.
Reply ProblemReply(const Problem& problem, const std::string& instance);

// GET /api/v1/reports/{kind}: kind is hourly, monitors or devices; query parameters start_date,
// end_date, monitor, hours, format (json, csv, table) and now, as blemon-report's options. The
// body is what `blemon-report --report kind --format F ...` prints on stdout, byte for byte.
// Throws Problem (400) for an unknown or malformed parameter.
Reply ReportReply(const std::string& kind, const Query& query, ReportStore& store, UtcTime now);

// GET /api/v1/fleet: monitors with health, the processor lease, the staging backlog, the top
// devices and the latest sightings of the last 24 h (query: top, recent; 0..100, default 10).
// `interval` is the configured one; the store's fleet interval wins when it has one.
Reply FleetReply(const Query& query, ReportStore& store, Seconds interval);

// GET /api/v1/rooms/now: the newest processed interval, its devices grouped by room.
Reply RoomsNowReply(const Query& query, ReportStore& store);

// GET /api/v1/devices/{mac}/track: the rooms of one device, oldest first (query: hours, 1..744,
// default 24; start_date/end_date; monitor; limit, 1..10000, default 2000; now).
Reply TrackReply(const std::string& mac, const Query& query, ReportStore& store, UtcTime now);

// Rejects any query parameter not in `known` (a typo must not silently change the answer).
void RequireKnownParameters(const Query& query, std::initializer_list<std::string_view> known);

// "2026-02-22T10:00:00+01:00" in the server's local time, as the reports write times.
std::string ApiTime(UtcTime t);

}  // namespace blemon::web
