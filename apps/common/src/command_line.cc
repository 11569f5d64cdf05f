#include "blemon/app/command_line.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cstdio>

#include "blemon/app/exit_codes.h"

namespace blemon::app {
namespace {

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string Suggest(std::string_view typed, const std::vector<std::string>& candidates) {
  const std::string best = ClosestMatch(typed, candidates);
  return best.empty() ? std::string() : fmt::format(" (did you mean '{}'?)", best);
}

// "blemon-admin processor": the words that led to `app`, for messages.
std::string CommandPath(const CLI::App* app) {
  std::string path = app->get_name();
  for (const CLI::App* parent = app->get_parent(); parent != nullptr;
       parent = parent->get_parent()) {
    path = parent->get_name() + " " + path;
  }
  return path;
}

std::vector<std::string> SubcommandNames(CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

// The option `name` ("--hours", "-s") as `app` or one of its parents knows it (options of a
// parent are accepted after a subcommand: the tools use fallthrough).
CLI::Option* FindOption(CLI::App* app, const std::string& name) {
  for (; app != nullptr; app = app->get_parent()) {
    if (CLI::Option* option = app->get_option_no_throw(name)) return option;
  }
  return nullptr;
}

std::vector<std::string> OptionNames(CLI::App* app) {
  std::vector<std::string> names;
  for (; app != nullptr; app = app->get_parent()) {
    for (const CLI::Option* option : app->get_options()) {
      for (const auto& name : option->get_lnames()) names.push_back("--" + name);
      for (const auto& name : option->get_snames()) names.push_back("-" + name);
    }
  }
  return names;
}

bool LooksLikeNumber(std::string_view arg) {
  return arg.size() > 1 && arg[0] == '-' && (std::isdigit(static_cast<unsigned char>(arg[1])));
}

std::string JoinedOr(const std::vector<std::string>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " or " : ", ";
    out += words[i];
  }
  return out;
}

}  // namespace

std::string ClosestMatch(std::string_view typed, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = 3;
  for (const auto& candidate : candidates) {
    const bool prefix = typed.size() >= 3 && candidate.starts_with(typed);
    const std::size_t distance = prefix ? 1 : EditDistance(typed, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

void AddVersionFlag(CLI::App& cli, std::string_view program) {
  cli.set_version_flag("--version", fmt::format("{} {}", program, BLEMON_VERSION));
}

CLI::Validator WholeNumber(std::int64_t min, std::int64_t max) {
  return CLI::Validator(
      [min, max](std::string& text) -> std::string {
        std::int64_t value = 0;
        const auto* end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(text.data(), end, value);
        if (ec != std::errc() || ptr != end || value < min || value > max) {
          return fmt::format("must be a whole number from {} to {} (got '{}')", min, max, text);
        }
        return "";
      },
      fmt::format("INT in [{} - {}]", min, max));
}

std::optional<std::string> DescribeMistake(CLI::App& cli, int argc, const char* const* argv) {
  CLI::App* current = &cli;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    if (arg.size() > 1 && arg[0] == '-' && !LooksLikeNumber(arg)) {
      const bool long_form = arg.starts_with("--");
      const std::string name = long_form ? arg.substr(0, arg.find('=')) : arg.substr(0, 2);
      const CLI::Option* option = FindOption(current, name);
      if (option == nullptr) {
        return fmt::format("unknown option '{}'{}", name, Suggest(name, OptionNames(current)));
      }
      const bool value_attached = long_form ? arg.find('=') != std::string::npos : arg.size() > 2;
      if (option->get_expected_min() > 0 && !value_attached) ++i;  // skip the option's value
      continue;
    }
    const auto names = SubcommandNames(current);
    if (names.empty()) return fmt::format("unexpected argument '{}'", arg);
    CLI::App* sub = nullptr;
    for (CLI::App* candidate : current->get_subcommands([](CLI::App*) { return true; })) {
      if (candidate->check_name(arg)) sub = candidate;
    }
    if (sub == nullptr) {
      const std::string best = ClosestMatch(arg, names);
      const std::string prefix =
          current == &cli ? "" : CommandPath(current).substr(cli.get_name().size() + 1) + " ";
      return fmt::format("unknown command '{}{}'{}", prefix, arg,
                         best.empty() ? "" : fmt::format(" (did you mean '{}{}'?)", prefix, best));
    }
    current = sub;
  }
  if (current->get_require_subcommand_min() > 0) {
    return fmt::format("'{}' needs a command: {}", CommandPath(current),
                       JoinedOr(SubcommandNames(current)));
  }
  return std::nullopt;
}

std::optional<int> ParseCommandLine(CLI::App& cli, std::string_view program, int argc,
                                    char** argv) {
  cli.name(std::string(program));
  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return cli.exit(e);
  } catch (const CLI::ParseError& e) {
    const auto mistake = DescribeMistake(cli, argc, argv);
    std::fprintf(stderr, "%s: %s\nRun '%s --help' for the commands and options.\n",
                 std::string(program).c_str(), mistake ? mistake->c_str() : e.what(),
                 std::string(program).c_str());
    return kExitUsage;
  }
  return std::nullopt;
}

}  // namespace blemon::app
