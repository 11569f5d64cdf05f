#include "auth.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include "blemon/app/config_file.h"
#include "blemon/config.h"

namespace blemon::web {
namespace {

std::string_view Trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

bool SameBytes(std::string_view a, std::string_view b) {
  // Constant time over the candidate: every byte is looked at whatever differs first.
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    difference |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return difference == 0;
}

bool AnyMatches(const std::vector<std::string>& secrets, std::string_view given) {
  bool match = false;
  for (const auto& secret : secrets) match = SameBytes(secret, given) || match;
  return match;
}

}  // namespace

bool DecodeBase64(std::string_view text, std::string& out) {
  out.clear();
  std::uint32_t buffer = 0;
  int bits = 0;
  std::size_t padding = 0;
  for (const char c : text) {
    int value = -1;
    if (c >= 'A' && c <= 'Z') value = c - 'A';
    if (c >= 'a' && c <= 'z') value = c - 'a' + 26;
    if (c >= '0' && c <= '9') value = c - '0' + 52;
    if (c == '+') value = 62;
    if (c == '/') value = 63;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (value < 0 || padding > 0) return false;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return padding <= 2;
}

Credentials Credentials::Parse(std::string_view text, const std::string& source) {
  Credentials credentials;
  int line_number = 0;
  std::istringstream lines{std::string(text)};
  for (std::string raw; std::getline(lines, raw);) {
    ++line_number;
    const std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#') continue;
    const auto space = line.find_first_of(" \t");
    const std::string_view scheme = line.substr(0, space);
    const std::string_view secret =
        space == std::string_view::npos ? std::string_view() : Trim(line.substr(space));
    if (scheme == "basic" && secret.find(':') != std::string_view::npos && secret.find(':') > 0) {
      credentials.basic_.emplace_back(secret);
    } else if (scheme == "bearer" && secret.size() >= 16 &&
               secret.find_first_of(" \t") == std::string_view::npos) {
      credentials.bearer_.emplace_back(secret);
    } else {
      throw ConfigError(source, line_number, "web.auth_file",
                        "each line must be 'basic USER:PASSWORD' or 'bearer TOKEN' (a token of "
                        "16 or more characters without spaces)");
    }
  }
  if (credentials.basic_.empty() && credentials.bearer_.empty()) {
    throw ConfigError(source, 0, "web.auth_file", "holds no credential: nobody could log in");
  }
  return credentials;
}

Credentials Credentials::Load(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw ConfigError(path, 0, "web.auth_file", "cannot be read: no such file");
  }
  if ((st.st_mode & 077) != 0) {
    throw ConfigError(path, 0, "web.auth_file",
                      fmt::format("is readable by others (mode {:04o}); it holds passwords: "
                                  "chmod 600 {}",
                                  st.st_mode & 07777, path));
  }
  const auto text = app::ReadFile(path);
  if (!text) throw ConfigError(path, 0, "web.auth_file", "cannot be read (permission denied?)");
  return Parse(*text, path);
}

bool Credentials::Accepts(std::string_view authorization) const {
  const auto space = authorization.find(' ');
  if (space == std::string_view::npos) return false;
  const std::string_view scheme = authorization.substr(0, space);
  const std::string_view value = Trim(authorization.substr(space + 1));
  if (scheme == "Basic" || scheme == "basic") {
    std::string decoded;
    return DecodeBase64(value, decoded) && AnyMatches(basic_, decoded);
  }
  if (scheme == "Bearer" || scheme == "bearer") return AnyMatches(bearer_, value);
  return false;
}

}  // namespace blemon::web
