# The read side (reports, dashboard) and the maintenance side (blemon-admin) of the SQLite store,
# kept in files of their own beside the Store; included by adapters/CMakeLists.txt.
target_sources(blemon_sqlite PRIVATE ${CMAKE_CURRENT_LIST_DIR}/src/sqlite_report_store.cc)
# The enrolled identities of known devices (blemon-admin identity), the maintenance side too.
target_sources(blemon_sqlite PRIVATE ${CMAKE_CURRENT_LIST_DIR}/src/sqlite_identity_store.cc)
# Forgetting one device (blemon-admin forget): the central file and a machine's local state files.
target_sources(blemon_sqlite PRIVATE ${CMAKE_CURRENT_LIST_DIR}/src/sqlite_forget_store.cc)
