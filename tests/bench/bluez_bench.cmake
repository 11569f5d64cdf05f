# What a BlueZ scan costs the monitor (setup with many cached devices, adverts per second), against
# the bluez_mock fixture. Label bench: run with `ctest -L bench -R bluez --output-on-failure`.
if(TARGET blemon::bluez AND COMMAND blemon_use_bluez_mock)
  add_executable(blemon_bluez_scan_bench bluez_scan_bench.cc)
  target_include_directories(blemon_bluez_scan_bench
                             PRIVATE ${PROJECT_SOURCE_DIR}/tests/integration/bluez)
  target_link_libraries(blemon_bluez_scan_bench PRIVATE blemon::bluez blemon_bluez_internal
                                                        blemon_warnings)
  add_test(NAME bluez_scan_bench COMMAND blemon_bluez_scan_bench)
  set_tests_properties(bluez_scan_bench PROPERTIES LABELS bench TIMEOUT 300)
  blemon_use_bluez_mock(bluez_scan_bench)
endif()
