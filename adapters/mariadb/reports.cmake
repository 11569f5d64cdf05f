# The read side (reports, dashboard) and the maintenance side (blemon-admin) of the MariaDB store,
# kept in a file of its own beside the Store; included by adapters/CMakeLists.txt.
target_sources(blemon_mariadb PRIVATE ${CMAKE_CURRENT_LIST_DIR}/src/mariadb_report_store.cc)
# The enrolled identities of known devices (blemon-admin identity), the maintenance side too.
target_sources(blemon_mariadb PRIVATE ${CMAKE_CURRENT_LIST_DIR}/src/mariadb_identity_store.cc)
# Forgetting one device (blemon-admin forget).
target_sources(blemon_mariadb PRIVATE ${CMAKE_CURRENT_LIST_DIR}/src/mariadb_forget_store.cc)
