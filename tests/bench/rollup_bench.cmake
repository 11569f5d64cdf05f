# Hourly rollup benchmarks (label bench; `ctest -L bench -R rollup_bench -V`): the 24-hour hourly
# report from the rollups against the same report from device_sightings, in one run, on 10 million
# sightings (2,000 devices per interval), on MariaDB and on SQLite; and the backfill's duration.
if(TARGET blemon-report AND TARGET blemon-admin)
  foreach(backend IN ITEMS sqlite mariadb)
    if(backend STREQUAL "mariadb" AND NOT (TARGET blemon::mariadb AND COMMAND blemon_use_mariadb))
      continue()
    endif()
    add_test(NAME rollup_bench_${backend}
             COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/rollup_bench.py ${CMAKE_BINARY_DIR}/apps
                     ${PROJECT_SOURCE_DIR}/tests/integration/tools ${backend})
    set_tests_properties(rollup_bench_${backend} PROPERTIES LABELS bench TIMEOUT 3600)
    if(backend STREQUAL "mariadb")
      blemon_use_mariadb(rollup_bench_${backend})
    endif()
  endforeach()
endif()
