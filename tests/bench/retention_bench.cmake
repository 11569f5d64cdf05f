# Retention benchmark (label bench; docs/performance.md, "Retention"): with 400 daily partitions,
# the time to drop one day on a small and on a large device_sightings, and the reports of the kept
# days unchanged by it.
if(TARGET blemon-admin AND TARGET blemon-report AND TARGET blemon::mariadb
   AND COMMAND blemon_use_mariadb)
  add_test(NAME retention_bench
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/retention_bench.py
                   ${CMAKE_BINARY_DIR}/apps ${PROJECT_SOURCE_DIR}/tests/integration/tools)
  set_tests_properties(retention_bench PROPERTIES LABELS bench TIMEOUT 3600)
  blemon_use_mariadb(retention_bench)
endif()
