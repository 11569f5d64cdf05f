#pragma once

// blemon-admin identity add / list / remove: the enrolled identities of known devices
// (docs/identity.md). The key is read, checked and stored, never printed: list shows a fingerprint.

#include <optional>
#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace blemon {
class IdentityStore;
}  // namespace blemon

namespace blemon::admin {

struct IdentityCommand {
  std::string name;
  std::string irk_text;             // 32 hex digits, or "-": read one line from standard input
  std::string byte_order = "auto";  // auto | msb-first | lsb-first
  CLI::App* add = nullptr;
  CLI::App* list = nullptr;
  CLI::App* remove = nullptr;
};

// Adds `identity` and its add / list / remove commands to `cli`.
void DefineIdentityCommands(CLI::App& cli, IdentityCommand& command);
// True when one of the identity commands was given.
bool IdentityCommandGiven(const IdentityCommand& command);
// Checks what can be checked without the store (the key's digits, the name): the exit code of a
// mistake (kExitUsage, the message printed), nullopt when the command may go on. Reads the key
// from standard input for "--irk -".
std::optional<int> CheckIdentityCommand(IdentityCommand& command);
// Runs the command against the store; returns the exit code. Store failures propagate as the
// exceptions of blemon/errors.h (the caller's ExitCodeOfStoreWork turns them into 69).
int RunIdentityCommand(const IdentityCommand& command, IdentityStore& store);

}  // namespace blemon::admin
