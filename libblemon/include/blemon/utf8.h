#pragma once

#include <cstddef>
#include <string_view>

namespace blemon {

// U+FFFD, what a reader shows in place of bytes that are not UTF-8.
inline constexpr char32_t kReplacementCharacter = 0xFFFD;

// One decoded UTF-8 sequence. `length` is 0 when the bytes are not well-formed UTF-8; the caller
// then decides what to do with the byte at that position (replace, escape, count as one column).
struct Utf8Sequence {
  char32_t code_point = 0;
  std::size_t length = 0;
};

// Decodes the UTF-8 sequence that starts at `text[i]`; requires i < text.size(). Strict: stray
// continuation bytes, truncated sequences, overlong forms, surrogates and values past U+10FFFF
// are all invalid (length 0), so no two byte strings decode to the same code points.
Utf8Sequence DecodeUtf8(std::string_view text, std::size_t i);

}  // namespace blemon
