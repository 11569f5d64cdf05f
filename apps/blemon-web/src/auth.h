#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace blemon::web {

// Who may read, from web.auth_file. One credential per line; blank lines and lines starting
// with '#' are ignored:
//
//   basic  alice:correct horse battery staple    HTTP basic: user, then the password after ':'
//   bearer 3f9c0b6e2a...                          Authorization: Bearer <token>
//
// The file holds secrets, so it must not be readable by group or others (mode 0600 or 0400).
class Credentials {
 public:
  // Reads and checks the file. Throws ConfigError naming file and line (or web.auth_file when
  // the file as a whole is wrong: missing, unreadable, too open, no credential in it).
  static Credentials Load(const std::string& path);
  // Parses the text of such a file; `source` names it in errors.
  static Credentials Parse(std::string_view text, const std::string& source);

  // True when the Authorization header value carries a listed credential. Comparisons take the
  // same time whatever matches, so timing tells nothing about a secret.
  bool Accepts(std::string_view authorization) const;

 private:
  std::vector<std::string> basic_;  // "user:password", as the header carries it in base64
  std::vector<std::string> bearer_;
};

// RFC 4648 base64 decoding; nullopt-like empty result with ok=false on bad input.
bool DecodeBase64(std::string_view text, std::string& out);

}  // namespace blemon::web
