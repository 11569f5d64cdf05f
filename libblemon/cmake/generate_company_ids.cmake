# Writes OUTPUT, a C++ source defining blemon::internal::CompanyTable(), from INPUT, the vendored
# Bluetooth company identifier list (third_party/bluetooth-numbers-database/company_ids.json), at
# build time: cmake -DINPUT=… -DOUTPUT=… -P this.
#
# The file holds one entry per line, `{ "code": 76, "name": "Apple, Inc." },`. Any other line
# except the array's brackets stops the build with its number, so a format change is noticed
# rather than silently dropping vendors. JSON string escapes (\" \\ \uXXXX) are also C++ string
# escapes and are copied as they are; "\/" becomes "/".
file(READ ${INPUT} text)
# CMake lists split at ';' and treat brackets specially: hide them while splitting into lines.
string(REPLACE ";" "@SEMICOLON@" text "${text}")
string(REPLACE "[" "@LBRACKET@" text "${text}")
string(REPLACE "]" "@RBRACKET@" text "${text}")
string(REPLACE "\n" ";" lines "${text}")
set(entries "")
set(count 0)
set(line_number 0)
foreach(line IN LISTS lines)
  math(EXPR line_number "${line_number} + 1")
  if(line MATCHES "^[ \t\r]*(@LBRACKET@|@RBRACKET@)?[ \t\r]*$")
    continue()
  endif()
  if(NOT line MATCHES "^[ \t]*{ *\"code\": *([0-9]+), *\"name\": *\"(.*)\" *},?[ \t\r]*$")
    message(FATAL_ERROR "${INPUT}:${line_number}: not a { \"code\": N, \"name\": \"...\" } line")
  endif()
  set(code ${CMAKE_MATCH_1})
  set(name "${CMAKE_MATCH_2}")
  if(code GREATER 65535)
    message(FATAL_ERROR "${INPUT}:${line_number}: company code ${code} is not 16-bit")
  endif()
  string(REPLACE "\\/" "/" name "${name}")
  string(REPLACE "@SEMICOLON@" ";" name "${name}")
  string(REPLACE "@LBRACKET@" "[" name "${name}")
  string(REPLACE "@RBRACKET@" "]" name "${name}")
  string(APPEND entries "      {${code}, \"${name}\"},\n")
  math(EXPR count "${count} + 1")
endforeach()
if(count LESS 1000)
  message(FATAL_ERROR "${INPUT}: only ${count} company identifiers read; expected thousands")
endif()
file(
  WRITE ${OUTPUT}.tmp
  "// Generated from third_party/bluetooth-numbers-database/company_ids.json by\n"
  "// libblemon/cmake/generate_company_ids.cmake. Do not edit.\n"
  "#include \"company_table.h\"\n\n"
  "namespace blemon::internal {\n\n"
  "std::span<const CompanyEntry> CompanyTable() {\n"
  "  static constexpr CompanyEntry kCompanies[] = {\n${entries}  };\n"
  "  return kCompanies;\n}\n\n"
  "}  // namespace blemon::internal\n")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.tmp)
