#include "grants.h"

#include <fmt/format.h>

#include <string_view>
#include <utility>
#include <vector>

namespace blemon::admin {
namespace {

// Identifiers are backquoted with backquotes doubled; strings are single-quoted with quotes and
// backslashes escaped, so odd names and passwords still give valid SQL.
std::string Ident(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

std::string Literal(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

using TableRights = std::vector<std::pair<std::string_view, std::string_view>>;

// What a scanning monitor does (see adapters/mariadb/src/mariadb_store.cc): upsert and heartbeat
// its monitors row, agree on the fleet interval, stage batches (the other monitors' beacons it
// heard into beacon_observations: an upsert), and check the schema version. The processor's
// auto_calibrate reads beacon_observations and updates monitors.rssi_offset_db with these rights.
const TableRights kScanner = {
    {"monitors", "SELECT, INSERT, UPDATE"},
    {"fleet_settings", "SELECT, INSERT"},
    {"staging_batches", "SELECT, INSERT"},
    {"sighting_staging", "SELECT, INSERT"},
    {"beacon_observations", "SELECT, INSERT, UPDATE"},
    {"schema_version", "SELECT"},
};

// In privacy mode every monitor reads, each cycle, what stays raw: the watch list and the keys of
// the identities it names (apps/blemon-monitor's LoadWatched; the identities' query joins their
// device row's address). The processor has these rights already.
const TableRights kScannerPrivacy = {
    {"watch_list", "SELECT"},
    {"identities", "SELECT"},
    {"ble_devices", "SELECT (device_id, mac_address)"},
};

// The processor adds the lease (one conditional UPDATE and a locking read), the pending
// intervals query and the record of each run; the merge itself runs inside
// blemon_process_interval. Before the merge it resolves private addresses against the enrolled
// identities (reads their keys, pins a key's byte order, links an identity to its device row) and
// marks the staged rows it attributed (resolved_mac only). Presence (docs/presence.md) reads each
// processed interval's sightings with their rooms and the watch list, rewrites its state and
// progress, adds events and occupancy (REPLACE: INSERT and DELETE) and marks events published.
// Setting a device's class and vendor runs inside blemon_set_device_profile (like the merge, with
// its definer's rights). Since version 6 the processor decides stable rooms itself after the
// procedure: it reads the interval's sightings and devices and writes rooms, confidence and
// device_rooms. Since version 11 it links rotating addresses (reads and adds address_links).
// Since version 12 the pending intervals query reads the marker's queue (staging_merges) and the
// deferred marking of staged rows runs inside blemon_mark_merged: the processor account itself
// may not set `processed`. Since version 14 its alert threads keep the delivery log
// (docs/alerts.md): alerts owed, their tries, and the tries older than 90 days deleted. Since
// version 15 it marks the interval's hour in hourly_rollup_stale, recomputes the stale hours in
// hourly_rollups and clears their marks (other marks are written by triggers, with their
// definer's rights). Once a day it applies retention (docs/database.md, "Retention"): batched
// DELETEs, or on partitioned tables DROP PARTITION (needs DROP) and REORGANIZE PARTITION (ALTER
// TABLE needs ALTER, CREATE and INSERT).
const TableRights kProcessorExtra = {
    {"processor_lease", "SELECT, UPDATE"},
    {"processing_runs", "INSERT"},
    {"staging_merges", "SELECT"},
    {"identities", "SELECT, UPDATE (irk, byte_order_known, device_id)"},
    {"sighting_staging", "UPDATE (resolved_mac)"},
    {"device_sightings", "SELECT, INSERT, UPDATE, DELETE, ALTER, CREATE, DROP"},
    {"sighting_staging", "DELETE, ALTER, CREATE, DROP"},
    {"beacon_observations", "DELETE"},
    {"device_rooms", "SELECT, INSERT, UPDATE"},
    {"ble_devices", "SELECT"},
    {"watch_list", "SELECT"},
    {"presence_state", "SELECT, INSERT, DELETE"},
    {"presence_progress", "SELECT, UPDATE"},
    {"presence_events", "SELECT, INSERT, UPDATE"},
    {"presence_occupancy", "SELECT, INSERT, DELETE"},
    {"address_links", "SELECT, INSERT"},
    {"hourly_rollups", "SELECT, INSERT, DELETE"},
    {"hourly_rollup_stale", "SELECT, INSERT, UPDATE, DELETE"},
    {"alert_deliveries", "SELECT, INSERT, UPDATE, DELETE"},
    {"alert_delivery_tries", "SELECT, INSERT, DELETE"},
};

// Everything migrations and maintenance do on the database, and nothing on any other.
constexpr std::string_view kAdminRights =
    "SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX, REFERENCES, CREATE VIEW, "
    "SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, EXECUTE, CREATE TEMPORARY TABLES, LOCK TABLES, "
    "TRIGGER";

// Stops the mariadb client at the first statement, before any CREATE USER, when the schema is
// not there yet: a GRANT on a missing table would fail halfway and leave accounts half made.
std::string SchemaGuard(const std::string& database) {
  return fmt::format(
      "\n-- Refuse before making any account if the schema is missing (run blemon-admin migrate).\n"
      "DELIMITER //\n"
      "BEGIN NOT ATOMIC\n"
      "  IF (SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = {0} AND\n"
      "      table_name IN ('monitors', 'staging_batches', 'fleet_settings', 'processor_lease',\n"
      "                     'sighting_staging', 'schema_version', 'processing_runs',\n"
      "                     'watch_list', 'presence_state', 'presence_progress',\n"
      "                     'presence_events', 'presence_occupancy', 'staging_merges',\n"
      "                     'beacon_observations', 'alert_deliveries', 'alert_delivery_tries',\n"
      "                     'hourly_rollups', 'hourly_rollup_stale')) < 18 THEN\n"
      "    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =\n"
      "      {1};\n"
      "  END IF;\n"
      "END //\n"
      "DELIMITER ;\n",
      Literal(database),
      Literal(fmt::format("database {} has no blemon schema yet: run blemon-admin migrate "
                          "first; no account was made",
                          database)));
}

}  // namespace

std::string GrantStatements(const GrantOptions& o) {
  const std::string password = o.password.empty() ? "CHANGE_ME" : o.password;
  const std::string db = Ident(o.database);
  const auto account = [&](const std::string& user) {
    return fmt::format("{}@{}", Literal(user), Literal(o.host));
  };
  std::string out = fmt::format(
      "-- Least-privilege accounts for blemon on database {0}. Run as an administrator, after\n"
      "-- blemon-admin migrate:\n"
      "--   blemon-admin grants | sudo mariadb\n"
      "-- Replace CHANGE_ME (or pass --password) and put each password in the monitor's\n"
      "-- password_file. Schema changes (blemon-admin migrate) need root through the socket or\n"
      "-- the admin account of --admin-user.\n",
      o.database);
  out += SchemaGuard(o.database);
  const auto create = [&](const std::string& user, std::string_view role) {
    out += fmt::format("\n-- {}\nCREATE USER IF NOT EXISTS {} IDENTIFIED BY {};\n", role,
                       account(user), Literal(password));
  };
  const auto grant = [&](const std::string& user, const TableRights& rights) {
    for (const auto& [table, privileges] : rights) {
      out += fmt::format("GRANT {} ON {}.{} TO {};\n", privileges, db, Ident(table), account(user));
    }
  };
  create(o.scanner_user, "Scanner: a monitor with process_intervals = false.");
  grant(o.scanner_user, kScanner);
  if (o.privacy_mode) {
    out += "-- Privacy mode: the watch list and the identities' keys (docs/privacy.md).\n";
    grant(o.scanner_user, kScannerPrivacy);
  }
  create(o.processor_user, "Processor: the monitor with process_intervals = true (also scans).");
  grant(o.processor_user, kScanner);
  grant(o.processor_user, kProcessorExtra);
  for (const char* procedure :
       {"blemon_process_interval", "blemon_mark_merged", "blemon_set_device_profile"}) {
    out += fmt::format("GRANT EXECUTE ON PROCEDURE {}.{} TO {};\n", db, Ident(procedure),
                       account(o.processor_user));
  }
  create(o.report_user, "Reporting: blemon-report, blemon-dashboard and ad-hoc SQL, read-only.");
  out += fmt::format("GRANT SELECT ON {}.* TO {};\n", db, account(o.report_user));
  if (!o.admin_user.empty()) {
    const std::string admin = fmt::format("{}@{}", Literal(o.admin_user), Literal(o.admin_host));
    out += fmt::format(
        "\n-- Admin: blemon-admin migrate, check, cleanup-staging, archive, processor release.\n"
        "CREATE USER IF NOT EXISTS {} IDENTIFIED BY {};\nGRANT {} ON {}.* TO {};\n",
        admin, Literal(password), kAdminRights, db, admin);
  }
  out += "FLUSH PRIVILEGES;\n";
  return out;
}

}  // namespace blemon::admin
