# MariaDB store benchmarks (label bench; not run by the ci preset). Prints its figures:
#   ctest --test-dir <build> -L bench -R mariadb --output-on-failure
# BLEMON_BENCH_HISTORY_ROWS in the environment shrinks the 10-million-row history for a quick run;
# BLEMON_BENCH_ONLY=marking (or ingest, processing) runs one part alone.
if(TARGET blemon_mariadb AND TARGET blemon_mariadb_test_env)
  add_executable(blemon_mariadb_bench ${CMAKE_CURRENT_LIST_DIR}/mariadb_store_bench.cc)
  target_link_libraries(blemon_mariadb_bench PRIVATE blemon::mariadb blemon_mariadb_test_env
                                                     fmt::fmt blemon_warnings)
  # The marking part creates 006's procedure from its migration file as the baseline.
  target_compile_definitions(
    blemon_mariadb_bench PRIVATE BLEMON_MARIADB_SCHEMA_DIR="${PROJECT_SOURCE_DIR}/schema/mariadb")
  add_test(NAME mariadb_bench COMMAND blemon_mariadb_bench)
  set_tests_properties(mariadb_bench PROPERTIES LABELS "bench;mariadb" TIMEOUT 1800)
  blemon_use_mariadb(mariadb_bench)
endif()
