#include "watch.h"

#include <fmt/format.h>

#include <algorithm>

#include "blemon/app/exit_codes.h"
#include "blemon/app/terminal.h"
#include "blemon/mac_address.h"

namespace blemon::admin {

namespace {
constexpr std::size_t kMaxNameLength = 64;
}  // namespace

std::optional<WatchEntry> WatchEntryOf(const std::string& name, const WatchTarget& target,
                                       std::string* why) {
  const bool printable = std::ranges::all_of(
      name, [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
  if (name.empty() || name.size() > kMaxNameLength || !printable) {
    *why = fmt::format("the name must be 1 to {} printable characters", kMaxNameLength);
    return std::nullopt;
  }
  if (target.mac.empty() == target.identity.empty()) {
    *why = "give exactly one of --mac MAC and --identity NAME";
    return std::nullopt;
  }
  if (!target.identity.empty()) {
    return WatchEntry{.name = name, .kind = WatchTargetKind::kIdentity, .target = target.identity};
  }
  std::string mac_why;
  const auto parsed = MacAddress::Parse(target.mac, &mac_why);
  if (!parsed) {
    *why = fmt::format("--mac '{}' is not a MAC address: {}", target.mac, mac_why);
    return std::nullopt;
  }
  return WatchEntry{.name = name, .kind = WatchTargetKind::kMac, .target = parsed->ToString()};
}

bool IdentityEnrolled(IdentityStore& identities, const std::string& name) {
  return std::ranges::any_of(identities.Identities(),
                             [&](const StoredIdentity& identity) { return identity.name == name; });
}

int WatchAdd(PresenceStore& store, const WatchEntry& entry) {
  if (!store.AddWatch(entry)) {
    fmt::print("Not added: the watch list already has the name {} or the {} {}.\n",
               app::EscapeForTerminal(entry.name), ToString(entry.kind), entry.target);
    return 1;
  }
  fmt::print("Watching {} ({} {}); the processor reports its presence from its next interval.\n",
             app::EscapeForTerminal(entry.name), ToString(entry.kind), entry.target);
  return app::kExitOk;
}

int WatchList(PresenceStore& store) {
  const auto entries = store.WatchList();
  if (entries.empty()) {
    fmt::print(
        "The watch list is empty (blemon-admin watch add NAME --mac MAC | --identity NAME).\n");
    return app::kExitOk;
  }
  const auto state = store.LoadPresenceState();
  fmt::print("{:<24} {:<8} {:<18} {:<5} {}\n", "name", "kind", "device", "home", "room");
  for (const auto& entry : entries) {
    const auto found = std::ranges::find(state.watched, entry.name, &WatchedState::name);
    const bool known = found != state.watched.end();
    fmt::print("{:<24} {:<8} {:<18} {:<5} {}\n", app::EscapeForTerminal(entry.name),
               ToString(entry.kind), app::EscapeForTerminal(entry.target),
               !known        ? "-"
               : found->home ? "yes"
                             : "no",
               known && !found->room.empty() ? app::EscapeForTerminal(found->room) : "-");
  }
  return app::kExitOk;
}

int WatchRemove(PresenceStore& store, const std::string& name) {
  if (!store.RemoveWatch(name)) {
    fmt::print("Not removed: no watch list entry is called {}.\n", app::EscapeForTerminal(name));
    return 1;
  }
  fmt::print("Removed {} from the watch list (its past events stay).\n",
             app::EscapeForTerminal(name));
  return app::kExitOk;
}

}  // namespace blemon::admin
