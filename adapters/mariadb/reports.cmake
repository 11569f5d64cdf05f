# The read side (reports, dashboard) and the maintenance side (blemon-admin) of the MariaDB store,
# kept in a file of its own beside the Store; included by adapters/CMakeLists.txt.
target_sources(blemon_mariadb PRIVATE ${CMAKE_CURRENT_LIST_DIR}/src/mariadb_report_store.cc)
