#pragma once

#include <string>
#include <string_view>

namespace blemon::report {

// Columns on a terminal, measured the way terminals draw UTF-8: one column per code point,
// two for East Asian wide and fullwidth characters and emoji, none for combining marks and
// zero-width joiners. Invalid bytes count one each (they are shown escaped anyway).
int DisplayWidth(std::string_view text);

// The longest prefix of `text`, cut on a code point boundary, that fits `width` columns; when
// text had to be cut the last column is "…".
std::string FitToWidth(std::string_view text, int width);

// Pads with spaces to `width` columns (by DisplayWidth), on the right or on the left.
std::string PadRight(std::string_view text, int width);
std::string PadLeft(std::string_view text, int width);

// One CSV field per RFC 4180: quoted when it holds a comma, a quote, CR or LF (or starts or ends
// with a space), with quotes doubled.
std::string CsvField(std::string_view text);

// A JSON string literal, quotes included: control characters as \uXXXX, invalid UTF-8 as U+FFFD,
// so the document is valid whatever a radio sent.
std::string JsonString(std::string_view text);

}  // namespace blemon::report
