# Fleet load benchmark (label bench; not run by the ci preset): N monitors, one connection each,
# stage M readings per accelerated interval into a private mariadbd this benchmark starts with
# fleet settings (max_connections, pool-of-threads). Prints its figures:
#   BLEMON_FLEET="100x200:3,1000x200:3,5000x200:2" \
#     ctest --test-dir <build> -L bench -R fleet_load --output-on-failure
if(TARGET blemon_mariadb AND TARGET blemon_mariadb_test_env AND BLEMON_MARIADBD)
  add_executable(blemon_fleet_load_bench ${CMAKE_CURRENT_LIST_DIR}/fleet_load_bench.cc)
  target_link_libraries(blemon_fleet_load_bench PRIVATE blemon::mariadb blemon_mariadb_test_env
                                                        fmt::fmt blemon_warnings)
  add_test(NAME fleet_load_bench
           COMMAND blemon_fleet_load_bench ${BLEMON_MARIADB_PEER_SCRIPT}
                   ${CMAKE_CURRENT_BINARY_DIR}/fleet-mariadb)
  set_tests_properties(fleet_load_bench PROPERTIES LABELS "bench;mariadb" TIMEOUT 7200)
endif()
