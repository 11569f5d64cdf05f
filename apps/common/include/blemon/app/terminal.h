#pragma once

#include <string>
#include <string_view>

namespace blemon::app {

// Makes untrusted text (device names heard over the air) safe to print on a terminal: control
// characters (C0, DEL, C1), Unicode bidirectional overrides and invalid UTF-8 are shown as \xNN or
// \u{NNNN} escapes, and backslashes are doubled, so a name can neither move the cursor nor change
// colours nor reorder the line it is printed on.
std::string EscapeForTerminal(std::string_view text);

}  // namespace blemon::app
