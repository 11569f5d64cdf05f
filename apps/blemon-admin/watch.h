#pragma once

#include <optional>
#include <string>

#include "blemon/identity_store.h"
#include "blemon/presence.h"
#include "blemon/presence_store.h"

namespace blemon::admin {

// What `watch add` was told to follow: one of the two is set.
struct WatchTarget {
  std::string mac;       // --mac, any usual spelling
  std::string identity;  // --identity, an enrolled identity's name (blemon-admin identity list)
};

// `blemon-admin watch add NAME --mac MAC | --identity NAME`: the entry, or nullopt and in `why`
// what is wrong with the arguments (a name of 1..64 printable characters; exactly one target; a
// MAC address in any usual spelling).
std::optional<WatchEntry> WatchEntryOf(const std::string& name, const WatchTarget& target,
                                       std::string* why);

// Whether an identity of exactly that name is enrolled. Store failures propagate.
bool IdentityEnrolled(IdentityStore& identities, const std::string& name);

// The watch commands, printing to stdout; they return the process's exit code (1 when the entry
// to add exists, or the one to remove does not). Store failures propagate.
int WatchAdd(PresenceStore& store, const WatchEntry& entry);
int WatchList(PresenceStore& store);
int WatchRemove(PresenceStore& store, const std::string& name);

}  // namespace blemon::admin
