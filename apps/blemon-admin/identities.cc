#include "identities.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <vector>

#include "blemon/app/command_line.h"
#include "blemon/app/exit_codes.h"
#include "blemon/app/terminal.h"
#include "blemon/identity_store.h"
#include "blemon/report/local_time.h"
#include "blemon/utf8.h"

namespace blemon::admin {
namespace {

int Mistake(const std::string& what) {
  fmt::print(stderr, "blemon-admin: {}\n", what);
  return app::kExitUsage;
}

// Names are the owner's labels: not empty, valid UTF-8 without control characters, at most
// kMaxIdentityNameLength characters.
std::optional<std::string> NameProblem(const std::string& name) {
  if (name.empty()) return "the identity name is empty";
  std::size_t characters = 0;
  for (std::size_t i = 0; i < name.size(); ++characters) {
    const Utf8Sequence sequence = DecodeUtf8(name, i);
    const char32_t c = sequence.code_point;
    if (sequence.length == 0 || c < 0x20 || (c >= 0x7F && c <= 0x9F)) {
      return "the identity name has control characters or invalid UTF-8";
    }
    i += sequence.length;
  }
  if (characters > kMaxIdentityNameLength) {
    return fmt::format("the identity name is longer than {} characters", kMaxIdentityNameLength);
  }
  return std::nullopt;
}

std::string NamesOf(const std::vector<StoredIdentity>& identities) {
  std::string names;
  for (const auto& identity : identities) {
    names +=
        fmt::format("{}'{}'", names.empty() ? "" : ", ", app::EscapeForTerminal(identity.name));
  }
  return names;
}

int Add(const IdentityCommand& command, IdentityStore& store) {
  const Irk irk = *Irk::Parse(command.irk_text);
  // The store refuses these too; asked first, they are the command line's mistakes (64), not the
  // store's refusal (69).
  for (const auto& identity : store.Identities()) {
    if (identity.name == command.name) {
      return Mistake(fmt::format(
          "an identity named '{}' exists already; remove it first or choose another name",
          app::EscapeForTerminal(command.name)));
    }
    if (identity.irk == irk || identity.irk == irk.Reversed()) {
      return Mistake(
          fmt::format("identity '{}' already has this key", app::EscapeForTerminal(identity.name)));
    }
  }
  // Stored in the Core specification's order (most significant octet first); "lsb-first" keys
  // are turned around, "auto" ones are stored as typed and pinned at their first resolution.
  const bool reversed = command.byte_order == "lsb-first";
  const StoredIdentity added = store.AddIdentity(command.name, reversed ? irk.Reversed() : irk,
                                                 command.byte_order != "auto");
  fmt::print("Added identity '{}' (key fingerprint {}). ", app::EscapeForTerminal(added.name),
             added.irk.Fingerprint());
  fmt::print("{}\n",
             added.byte_order_known
                 ? "Its addresses are resolved from the next processed interval on."
                 : "Both byte orders are tried until one of its addresses resolves; the one that "
                   "resolves is then kept.");
  return app::kExitOk;
}

int List(IdentityStore& store) {
  const auto identities = store.Identities();
  if (identities.empty()) {
    fmt::print("No identities enrolled. Add one: blemon-admin identity add NAME --irk HEX\n");
    return app::kExitOk;
  }
  fmt::print("{:<24} {:<11} {:<17} {:<18} {}\n", "NAME", "KEY", "BYTE ORDER", "DEVICE", "ADDED");
  for (const auto& identity : identities) {
    fmt::print("{:<24} {:<11} {:<17} {:<18} {}\n", app::EscapeForTerminal(identity.name),
               identity.irk.Fingerprint(), identity.byte_order_known ? "known" : "trying both",
               identity.device_mac.value_or("not heard yet"),
               fmt::format("{} ({})", report::FormatLocalMinutes(identity.created_at),
                           report::ZoneLabel(report::ZoneAt(identity.created_at))));
  }
  return app::kExitOk;
}

int Remove(const IdentityCommand& command, IdentityStore& store) {
  if (store.RemoveIdentity(command.name)) {
    fmt::print("Removed identity '{}'. Its device row and sightings stay.\n",
               app::EscapeForTerminal(command.name));
    return app::kExitOk;
  }
  const auto identities = store.Identities();
  std::vector<std::string> names;
  for (const auto& identity : identities) names.push_back(identity.name);
  const std::string closest = app::ClosestMatch(command.name, names);
  return Mistake(fmt::format(
      "no identity named '{}'{}", app::EscapeForTerminal(command.name),
      !closest.empty() ? fmt::format(" (did you mean '{}'?)", app::EscapeForTerminal(closest))
      : names.empty()  ? std::string(" (none is enrolled)")
                       : fmt::format(" (enrolled: {})", NamesOf(identities))));
}

}  // namespace

void DefineIdentityCommands(CLI::App& cli, IdentityCommand& c) {
  auto* identity = cli.add_subcommand(
      "identity", "identities of known devices: phones whose private addresses are resolved");
  identity->require_subcommand(1);
  c.add = identity->add_subcommand("add", "enrol a device by its Identity Resolving Key");
  c.add->add_option("name", c.name, "a name for the device, e.g. \"Anna's phone\"")->required();
  c.add
      ->add_option("--irk", c.irk_text,
                   "the key: 32 hex digits (':', '-' or spaces between octets allowed), or - to "
                   "read it from standard input")
      ->required();
  c.add
      ->add_option("--byte-order", c.byte_order,
                   "auto: try both orders and keep the one that resolves; msb-first: as the "
                   "Core specification prints keys; lsb-first: reversed")
      ->check(CLI::IsMember({"auto", "msb-first", "lsb-first"}))
      ->capture_default_str();
  c.list = identity->add_subcommand("list", "the enrolled identities (keys shown as fingerprints)");
  c.remove = identity->add_subcommand("remove", "forget an identity (its device row stays)");
  c.remove->add_option("name", c.name, "the identity's name")->required();
}

bool IdentityCommandGiven(const IdentityCommand& c) {
  return c.add->parsed() || c.list->parsed() || c.remove->parsed();
}

std::optional<int> CheckIdentityCommand(IdentityCommand& c) {
  if (c.list->parsed()) return std::nullopt;
  if (auto problem = NameProblem(c.name)) return Mistake(*problem);
  if (!c.add->parsed()) return std::nullopt;
  if (c.irk_text == "-") {
    std::getline(std::cin, c.irk_text);
    if (!c.irk_text.empty() && c.irk_text.back() == '\r') c.irk_text.pop_back();
  }
  std::string why;
  if (!Irk::Parse(c.irk_text, &why)) {
    return Mistake(
        fmt::format("--irk: the key {} (see docs/identity.md for where to find it)", why));
  }
  return std::nullopt;
}

int RunIdentityCommand(const IdentityCommand& c, IdentityStore& store) {
  if (c.add->parsed()) return Add(c, store);
  if (c.list->parsed()) return List(store);
  return Remove(c, store);
}

}  // namespace blemon::admin
