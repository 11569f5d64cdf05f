#pragma once

// The processor's linking step on SQLite: after an interval's best-RSSI processing, in the same
// transaction, decide which rotating addresses became which (blemon/address_linking.h) and store
// the links in address_links (schema version 11).

#include "blemon/time.h"
#include "connection.h"

namespace blemon::sqlite::internal {

// Links the addresses that ended two intervals before `interval_start`, from the staged readings
// of the last LinkingLookbackIntervals() intervals and the links stored before. Does nothing
// unless the three latest intervals all have staged readings (a gap would make every address
// look ended). Idempotent: a rerun finds its links stored and adds none. Returns how many links
// it added. Throws like the connection.
int LinkAddresses(Connection& db, UtcTime interval_start);

}  // namespace blemon::sqlite::internal
