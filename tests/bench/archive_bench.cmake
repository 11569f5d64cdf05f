# Archive benchmark (label bench; run with `ctest -L bench -R archive_bench -V`): blemon-admin
# archive of 10 million sightings on MariaDB with its progress line on a pseudo-terminal, stopped
# by Ctrl-C once and resumed to the end (rows/s, stop latency).
if(TARGET blemon-admin AND TARGET blemon::mariadb AND COMMAND blemon_use_mariadb)
  add_test(NAME archive_bench
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/archive_bench.py
                   ${CMAKE_BINARY_DIR}/apps ${PROJECT_SOURCE_DIR}/tests/integration/tools)
  set_tests_properties(archive_bench PROPERTIES LABELS bench TIMEOUT 3600)
  blemon_use_mariadb(archive_bench)
endif()
