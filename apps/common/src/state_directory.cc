#include "blemon/app/state_directory.h"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

namespace blemon::app {
namespace {

bool IsWritableDirectory(const char* path) {
  struct stat st {};
  return ::stat(path, &st) == 0 && S_ISDIR(st.st_mode) && ::access(path, W_OK | X_OK) == 0;
}

}  // namespace

std::string DefaultStateDirectory() {
  // systemd may list several directories separated by ':'; the first is ours.
  if (const char* env = std::getenv("STATE_DIRECTORY"); env != nullptr && *env != '\0') {
    std::string first(env);
    first = first.substr(0, first.find(':'));
    if (IsWritableDirectory(first.c_str())) return first;
  }
  if (IsWritableDirectory("/var/lib/blemon")) return "/var/lib/blemon";
  return ".";
}

std::string HostName() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "blemon";
  return name;
}

std::string FileNameSafe(std::string_view name) {
  std::string safe;
  safe.reserve(name.size());
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_';
    safe.push_back(ok ? c : '_');
  }
  if (safe.empty() || safe == "." || safe == "..") safe = "monitor";
  return safe;
}

}  // namespace blemon::app
