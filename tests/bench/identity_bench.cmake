# Identity resolution benchmark (label bench; not run by the ci preset). Prints its figures:
#   ctest --test-dir <build> -L bench -R identity --output-on-failure
if(TARGET blemon_mariadb AND TARGET blemon_mariadb_test_env)
  add_executable(blemon_identity_bench ${CMAKE_CURRENT_LIST_DIR}/identity_bench.cc)
  target_link_libraries(blemon_identity_bench PRIVATE blemon::mariadb blemon_mariadb_test_env
                                                      fmt::fmt blemon_warnings)
  add_test(NAME identity_bench COMMAND blemon_identity_bench)
  set_tests_properties(identity_bench PROPERTIES LABELS "bench;mariadb" TIMEOUT 1800)
  blemon_use_mariadb(identity_bench)
endif()
