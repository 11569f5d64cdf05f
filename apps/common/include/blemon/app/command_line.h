#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
class Validator;
}  // namespace CLI

namespace blemon::app {

// Command-line handling every blemon executable shares, so that all four answer a mistyped
// command, an unknown option, --version and --help alike.

// Adds --version, printing "<program> <version>" and exiting 0.
void AddVersionFlag(CLI::App& cli, std::string_view program);

// Validates an integer option's text before CLI11 converts it: "--hours: must be a whole number
// from 1 to 8784 (got 'abc')" instead of a conversion error.
CLI::Validator WholeNumber(std::int64_t min, std::int64_t max);

// What is wrong with `args` (argv without the program name) for `cli`, as a person would say it:
// "unknown command 'chek' (did you mean 'check'?)", "unknown option '--reprot' (did you mean
// '--report'?)", "'blemon-admin processor' needs a command: status or release". nullopt when
// nothing of that kind is wrong (CLI11's own message then stands).
std::optional<std::string> DescribeMistake(CLI::App& cli, int argc, const char* const* argv);

// Parses the command line. nullopt when the program should go on; otherwise its exit code: 0
// after --help or --version, kExitUsage after a mistake, printed to stderr as
// "<program>: <what is wrong>" and a pointer to --help.
std::optional<int> ParseCommandLine(CLI::App& cli, std::string_view program, int argc, char** argv);

// The closest of `candidates` to `typed` when it is a plausible typo (edit distance at most 2,
// or a prefix); empty otherwise.
std::string ClosestMatch(std::string_view typed, const std::vector<std::string>& candidates);

}  // namespace blemon::app
