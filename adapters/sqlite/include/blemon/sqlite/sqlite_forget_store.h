#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "blemon/forget.h"

namespace blemon::sqlite {

// Forgetting a device in the SQLite store at `path` (blemon-admin forget). Never creates the
// file: a missing one throws Unavailable naming the path. After a forget that changed rows the
// file is vacuumed and its WAL truncated, so no deleted row survives in free pages or in the WAL
// (a later grep of the file finds nothing); another process holding the file open for more than
// the busy timeout makes that step throw Unavailable after the rows are gone (run it again).
std::unique_ptr<ForgetStore> OpenForgetStore(const std::string& path);

// A machine's local state file (a monitor's spool, the MQTT outbox, the alert delivery log):
// deletes, in one transaction, every row of every table with a text column containing one of
// `needles` (compared case-insensitively for ASCII), then vacuums the file and truncates its WAL.
// Returns the rows per table that had any ("<file name>: <table>"); `dry_run` only counts.
// Throws Unavailable when the file cannot be opened or stays locked.
std::vector<ForgetCount> ForgetInLocalFile(const std::string& path,
                                           std::span<const std::string> needles, bool dry_run);

// The distinct addresses in a local spool file's readings (for an identity's key to be tried
// against); empty for a file that is not a spool.
std::vector<MacAddress> SpooledAddresses(const std::string& path);

}  // namespace blemon::sqlite
