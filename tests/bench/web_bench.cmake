# blemon-web under load (label bench; `ctest -L bench -R web_bench -V`): 16 concurrent wrk
# clients on the 10-million-row MariaDB database of reports_bench, p95 latency of the 24-hour
# hourly report and of rooms now, and blemon-web's resident memory idle and after the load.
find_program(BLEMON_WRK wrk)
if(TARGET blemon-web AND TARGET blemon::mariadb AND COMMAND blemon_use_mariadb AND BLEMON_WRK)
  add_test(NAME web_bench
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/web_bench.py ${CMAKE_BINARY_DIR}/apps
                   ${PROJECT_SOURCE_DIR}/tests/integration/tools ${BLEMON_WRK})
  set_tests_properties(web_bench PROPERTIES LABELS bench TIMEOUT 1800)
  blemon_use_mariadb(web_bench)
endif()
