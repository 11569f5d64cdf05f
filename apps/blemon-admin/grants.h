#pragma once

#include <string>

namespace blemon::admin {

struct GrantOptions {
  std::string database = "ble_monitor";
  std::string host = "%";
  std::string scanner_user = "blemon_scanner";
  std::string processor_user = "blemon_processor";
  std::string report_user = "blemon_report";
  // The admin role (blemon-admin migrate, cleanup-staging, archive) as an account; empty: none
  // printed (root through the local socket is the admin role then).
  std::string admin_user;
  std::string admin_host = "localhost";
  std::string password;  // empty: a placeholder the operator replaces
  // Privacy mode (docs/privacy.md): scanners also read the watch list and the identities' keys,
  // to keep watched devices raw.
  bool privacy_mode = false;
};

// The least-privilege accounts, as SQL an administrator pipes into the mariadb client: a scanner
// (a monitor with process_intervals = false) may only register, heartbeat and stage; the
// processor may also take the lease and run the processing procedure (which runs with its
// definer's rights, so the processor needs no write access to device_sightings); the reporting
// account may only read; with admin_user, an admin account may change the schema and run the
// maintenance commands. The statements refuse to run (before any account is made) while the
// database lacks blemon's schema: GRANT on a missing table fails and would leave half-made
// accounts. tests/integration/tools proves a monitor runs with exactly these.
std::string GrantStatements(const GrantOptions& options);

}  // namespace blemon::admin
