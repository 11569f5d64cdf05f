#pragma once

// The backend registry: which adapter serves each port, chosen from the configuration. Every
// program opens its stores and spool here, so they all choose alike and name a backend this build
// lacks alike. The scanners are in blemon/app/scanners.h (a separate library: only the monitor
// links BlueZ).

#include <memory>
#include <span>
#include <string>

#include "blemon/alerts.h"
#include "blemon/calibration_store.h"
#include "blemon/config.h"
#include "blemon/forget.h"
#include "blemon/identity_store.h"
#include "blemon/ports.h"
#include "blemon/presence_store.h"
#include "blemon/report_store.h"
#include "blemon/retention.h"

namespace blemon::app {

// Opens the store the [database] section asks for: no section, or backend "sqlite", gives the
// embedded SQLite store at `settings.path` (default ./blemon.db, relative to the working
// directory); backend "mariadb" gives the MariaDB store, which connects lazily so that a monitor
// starts while the server is down. Throws Unavailable when the store cannot be opened at all and
// Refused when this build lacks the backend or the store refuses us.
std::unique_ptr<Store> OpenStore(const DatabaseSettings& settings);

// The read and maintenance sides of that same store, chosen alike. A SQLite report store never
// creates the file (Unavailable when it is missing, Refused without a schema); the admin store
// opens whatever is there, since diagnosing it is its job. Refused when this build lacks the
// backend.
std::unique_ptr<ReportStore> OpenReportStore(const DatabaseSettings& settings);
std::unique_ptr<AdminStore> OpenAdminStore(const DatabaseSettings& settings);
// The enrolled identities of that store (blemon-admin identity). A SQLite file must exist
// (Unavailable) at schema version 5 or later (Refused, saying to run `blemon-admin migrate`).
std::unique_ptr<IdentityStore> OpenIdentityStore(const DatabaseSettings& settings);
// Presence (watch list, presence state and events, presence reports) on that store. Refused when
// its schema is older than version 7 (`blemon-admin migrate`) or this build lacks the backend;
// a SQLite file that is missing is Unavailable.
std::unique_ptr<PresenceStore> OpenPresenceStore(const DatabaseSettings& settings);
// Forgetting one device in that store (blemon-admin forget). A SQLite file must exist
// (Unavailable) and hold blemon's tables (Refused).
std::unique_ptr<ForgetStore> OpenForgetStore(const DatabaseSettings& settings);
// A state directory's local SQLite files (a spool, the MQTT outbox, the alert log): deletes every
// row with a text column containing one of `needles`, then scrubs the file
// (sqlite::ForgetInLocalFile); and the addresses a spool file holds (sqlite::SpooledAddresses).
std::vector<ForgetCount> ForgetInLocalFile(const std::string& path,
                                           std::span<const std::string> needles, bool dry_run);
std::vector<MacAddress> SpooledAddresses(const std::string& path);
// Calibration (beacon observations, the monitors' RSSI offsets and positions) on that store.
// Refused when its schema is older than version 13 or this build lacks the backend; a SQLite
// file that is missing is Unavailable.
std::unique_ptr<CalibrationStore> OpenCalibrationStore(const DatabaseSettings& settings);
// Retention (blemon/retention.h) on that store: the processor's daily clean-up and `blemon-admin
// retention`. A SQLite file that is missing is Unavailable (nothing is created).
std::unique_ptr<RetentionStore> OpenRetentionStore(const DatabaseSettings& settings);

// The monitor's spool: <state directory>/spool-<file-safe monitor name>.db, the state directory
// being monitor.state_directory or DefaultStateDirectory(). Stores the path in `*path_out` (for
// messages) before opening; throws Unavailable when it cannot be opened, Refused when the file is
// not a spool.
std::unique_ptr<Spool> OpenSpool(const MonitorSettings& monitor, std::string* path_out);

// The alert delivery log in the central store (schema version 14), as the processor writes it
// and `blemon-admin alerts` reads it on any machine. Never creates a SQLite file; throws
// Unavailable when the store cannot be reached, Refused when its schema is older.
std::unique_ptr<DeliveryLog> OpenDeliveryLog(const DatabaseSettings& settings);

// The monitor's state directory: monitor.state_directory, or DefaultStateDirectory().
std::string StateDirectoryOf(const MonitorSettings& monitor);

// One line for the log saying which store is used, e.g. "MariaDB ble_monitor on 127.0.0.1:3306 as
// ble_user" or "SQLite blemon.db". Never contains the password.
std::string DescribeStore(const DatabaseSettings& settings);

}  // namespace blemon::app
