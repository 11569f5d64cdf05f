#include "blemon/report/text.h"

#include <fmt/format.h>

#include "blemon/utf8.h"

namespace blemon::report {
namespace {

bool IsZeroWidth(char32_t cp) {
  return (cp >= 0x0300 && cp <= 0x036F) ||  // combining diacritics
         (cp >= 0x1AB0 && cp <= 0x1AFF) || (cp >= 0x1DC0 && cp <= 0x1DFF) ||
         (cp >= 0x20D0 && cp <= 0x20FF) || (cp >= 0xFE20 && cp <= 0xFE2F) ||
         (cp >= 0x200B && cp <= 0x200F) ||  // zero-width space, joiners, marks
         (cp >= 0xFE00 && cp <= 0xFE0F) ||  // variation selectors
         (cp >= 0xE0100 && cp <= 0xE01EF);
}

// East Asian Wide (W) and Fullwidth (F) blocks and the emoji planes, after Markus Kuhn's wcwidth.
bool IsWide(char32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) || cp == 0x2329 || cp == 0x232A ||
         (cp >= 0x231A && cp <= 0x231B) || (cp >= 0x23E9 && cp <= 0x23EC) ||
         (cp >= 0x25FD && cp <= 0x25FE) || (cp >= 0x2614 && cp <= 0x2615) ||
         (cp >= 0x2648 && cp <= 0x2653) || (cp >= 0x26AA && cp <= 0x26AB) ||
         (cp >= 0x26BD && cp <= 0x26BE) || (cp >= 0x26C4 && cp <= 0x26C5) || cp == 0x26A1 ||
         cp == 0x26CE || cp == 0x26D4 || cp == 0x26EA || (cp >= 0x26F2 && cp <= 0x26F5) ||
         cp == 0x26FA || cp == 0x26FD || cp == 0x2705 || (cp >= 0x270A && cp <= 0x270B) ||
         cp == 0x2728 || cp == 0x274C || cp == 0x274E || (cp >= 0x2753 && cp <= 0x2755) ||
         cp == 0x2757 || (cp >= 0x2795 && cp <= 0x2797) || cp == 0x27B0 || cp == 0x27BF ||
         (cp >= 0x2B1B && cp <= 0x2B1C) || cp == 0x2B50 || cp == 0x2B55 ||
         (cp >= 0x2E80 && cp <= 0x303E) || (cp >= 0x3041 && cp <= 0x33FF) ||
         (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
         (cp >= 0xA000 && cp <= 0xA4CF) || (cp >= 0xA960 && cp <= 0xA97F) ||
         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFE10 && cp <= 0xFE19) || (cp >= 0xFE30 && cp <= 0xFE6F) ||
         (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) ||
         (cp >= 0x16FE0 && cp <= 0x18AFF) || (cp >= 0x1B000 && cp <= 0x1B2FF) || cp == 0x1F004 ||
         cp == 0x1F0CF || cp == 0x1F18E || (cp >= 0x1F191 && cp <= 0x1F19A) ||
         (cp >= 0x1F200 && cp <= 0x1F251) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
         (cp >= 0x1F680 && cp <= 0x1F6FF) || (cp >= 0x1F7E0 && cp <= 0x1F7EB) ||
         (cp >= 0x1F90C && cp <= 0x1F9FF) || (cp >= 0x1FA70 && cp <= 0x1FAFF) ||
         (cp >= 0x20000 && cp <= 0x3FFFD);
}

int CodePointWidth(char32_t cp) {
  if (IsZeroWidth(cp)) return 0;
  return IsWide(cp) ? 2 : 1;
}

}  // namespace

int DisplayWidth(std::string_view text) {
  int width = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto [cp, length] = DecodeUtf8(text, i);
    if (length == 0) {
      ++width;
      ++i;
      continue;
    }
    width += CodePointWidth(cp);
    i += length;
  }
  return width;
}

std::string FitToWidth(std::string_view text, int width) {
  if (DisplayWidth(text) <= width) return std::string(text);
  if (width <= 0) return {};
  std::string out;
  int used = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const Utf8Sequence sequence = DecodeUtf8(text, i);
    // An invalid byte takes one column, as DisplayWidth counts it.
    const int w = sequence.length == 0 ? 1 : CodePointWidth(sequence.code_point);
    const std::size_t length = sequence.length == 0 ? 1 : sequence.length;
    if (used + w > width - 1) break;  // keep one column for the ellipsis
    out.append(text.substr(i, length));
    used += w;
    i += length;
  }
  return out + "…";
}

std::string PadRight(std::string_view text, int width) {
  std::string out(text);
  const int pad = width - DisplayWidth(text);
  if (pad > 0) out.append(static_cast<std::size_t>(pad), ' ');
  return out;
}

std::string PadLeft(std::string_view text, int width) {
  const int pad = width - DisplayWidth(text);
  std::string out;
  if (pad > 0) out.append(static_cast<std::size_t>(pad), ' ');
  out.append(text);
  return out;
}

std::string CsvField(std::string_view text) {
  const bool quote = text.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!text.empty() && (text.front() == ' ' || text.back() == ' '));
  if (!quote) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  std::size_t i = 0;
  while (i < text.size()) {
    const auto [cp, length] = DecodeUtf8(text, i);
    if (length == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    switch (cp) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (cp < 0x20 || cp == 0x7F || cp == 0x2028 || cp == 0x2029) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(cp));
        } else {
          out.append(text.substr(i, length));
        }
    }
    i += length;
  }
  out += '"';
  return out;
}

}  // namespace blemon::report
