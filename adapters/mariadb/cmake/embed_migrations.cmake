# Writes a C++ file holding every migration as a raw string: cmake -DOUTPUT=… -DINPUTS=a;b -P this.
# File names are NNN_name.sql; NNN is the schema version the file brings the database to.
set(body "")
foreach(input IN LISTS INPUTS)
  get_filename_component(name ${input} NAME_WE)
  string(SUBSTRING ${name} 0 3 version)
  math(EXPR version "${version}" OUTPUT_FORMAT DECIMAL)
  file(READ ${input} text)
  string(FIND "${text}" ")blemon_sql\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${input} contains the raw-string terminator )blemon_sql\"")
  endif()
  string(APPEND body "    {${version}, \"${name}\", R\"blemon_sql(${text})blemon_sql\"},\n")
endforeach()
file(WRITE ${OUTPUT}.tmp
     "// Generated from schema/mariadb/*.sql by embed_migrations.cmake. Do not edit.\n"
     "#include \"migrations.h\"\n\n"
     "namespace blemon::mariadb {\n\n"
     "const std::vector<Migration>& Migrations() {\n"
     "  static const std::vector<Migration> kMigrations = {\n${body}  };\n"
     "  return kMigrations;\n}\n\n"
     "}  // namespace blemon::mariadb\n")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.tmp)
