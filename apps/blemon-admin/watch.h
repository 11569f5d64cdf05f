#pragma once

#include <optional>
#include <string>

#include "blemon/presence.h"
#include "blemon/presence_store.h"

namespace blemon::admin {

// `blemon-admin watch add NAME --mac MAC`: the entry, or nullopt and in `why` what is wrong with
// the arguments (a name of 1..64 printable characters; a MAC address in any usual spelling).
std::optional<WatchEntry> WatchEntryOf(const std::string& name, const std::string& mac,
                                       std::string* why);

// The watch commands, printing to stdout; they return the process's exit code (1 when the entry
// to add exists, or the one to remove does not). Store failures propagate.
int WatchAdd(PresenceStore& store, const WatchEntry& entry);
int WatchList(PresenceStore& store);
int WatchRemove(PresenceStore& store, const std::string& name);

}  // namespace blemon::admin
