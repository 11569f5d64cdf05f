# Report benchmarks (label bench; run with `ctest -L bench`): the hourly report for 24 hours, the
# other reports and the dashboard's snapshot on a MariaDB database of 10 million sightings, with
# EXPLAIN proving the hourly query reads an index range, not the table.
if(TARGET blemon-report AND TARGET blemon::mariadb AND COMMAND blemon_use_mariadb)
  add_test(NAME reports_bench
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/reports_bench.py
                   ${CMAKE_BINARY_DIR}/apps ${PROJECT_SOURCE_DIR}/tests/integration/tools)
  set_tests_properties(reports_bench PROPERTIES LABELS bench TIMEOUT 1800)
  blemon_use_mariadb(reports_bench)
endif()
