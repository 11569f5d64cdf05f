#include "blemon/app/terminal.h"

#include <fmt/format.h>

#include <cstdint>

#include "blemon/utf8.h"

namespace blemon::app {
namespace {

bool IsDangerous(char32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) ||
         (cp >= 0x202A && cp <= 0x202E) ||              // bidi embeddings and overrides
         (cp >= 0x2066 && cp <= 0x2069) ||              // bidi isolates
         cp == 0x200E || cp == 0x200F || cp == 0x061C;  // direction marks
}

}  // namespace

std::string EscapeForTerminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto [cp, length] = DecodeUtf8(text, i);
    if (length == 0) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned>(static_cast<std::uint8_t>(text[i])));
      ++i;
      continue;
    }
    if (cp == '\\') {
      out += "\\\\";
    } else if (IsDangerous(cp)) {
      out += cp < 0x100 ? fmt::format("\\x{:02x}", static_cast<unsigned>(cp))
                        : fmt::format("\\u{{{:04x}}}", static_cast<unsigned>(cp));
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  return out;
}

}  // namespace blemon::app
