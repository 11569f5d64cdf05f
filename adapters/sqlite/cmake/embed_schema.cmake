# Writes OUTPUT, a C++ source defining blemon::sqlite::internal::EmbeddedMigrations(), from the
# numbered files SCHEMA_DIR/NNN_description.sql (run as `cmake -P` at build time).
file(GLOB files ${SCHEMA_DIR}/[0-9]*.sql)
list(SORT files)
set(entries "")
foreach(file IN LISTS files)
  get_filename_component(name ${file} NAME)
  if(NOT name MATCHES "^([0-9]+)_(.*)\\.sql$")
    message(FATAL_ERROR "${file}: migration files are named NNN_description.sql")
  endif()
  math(EXPR version "${CMAKE_MATCH_1}")
  file(READ ${file} sql)
  if(sql MATCHES "\\)blemon_sql\"")
    message(FATAL_ERROR "${file} contains the raw-string delimiter )blemon_sql\"")
  endif()
  string(APPEND entries "    {${version}, \"${name}\", R\"blemon_sql(${sql})blemon_sql\"},\n")
endforeach()
file(
  WRITE ${OUTPUT}.tmp
  "// Generated from schema/sqlite by embed_schema.cmake. Do not edit.\n"
  "#include \"embedded_schema.h\"\n\n"
  "namespace blemon::sqlite::internal {\n\n"
  "std::span<const Migration> EmbeddedMigrations() {\n"
  "  static const Migration kMigrations[] = {\n${entries}  };\n"
  "  return kMigrations;\n}\n\n"
  "}  // namespace blemon::sqlite::internal\n")
# Only touch the output when it changed, so an unchanged schema does not rebuild the library.
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.tmp)
