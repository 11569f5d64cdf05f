# Monitor benchmarks (label bench; run with `ctest -L bench`): the cycle in process with an
# accelerated clock, and the real blemon-monitor process's memory during one cycle.
if(TARGET blemon::simulated AND TARGET blemon::sqlite)
  add_executable(monitor_cycle_bench ${CMAKE_CURRENT_LIST_DIR}/monitor_cycle_bench.cc)
  target_link_libraries(monitor_cycle_bench PRIVATE blemon::core blemon::simulated blemon::sqlite
                                                    blemon_warnings)
  add_test(NAME monitor_cycle_bench
           COMMAND monitor_cycle_bench --cycles 1000 --devices 1000 --dir
                   ${CMAKE_CURRENT_BINARY_DIR}/monitor_cycle_bench)
  set_tests_properties(monitor_cycle_bench PROPERTIES LABELS bench TIMEOUT 900)
  # The cost of privacy mode: a raw and a pseudonymising cycle side by side (docs/privacy.md).
  add_test(NAME monitor_cycle_privacy_bench
           COMMAND monitor_cycle_bench --compare 1 --cycles 300 --devices 1000 --dir
                   ${CMAKE_CURRENT_BINARY_DIR}/monitor_cycle_privacy_bench)
  set_tests_properties(monitor_cycle_privacy_bench PROPERTIES LABELS bench TIMEOUT 900)
endif()
if(TARGET blemon-monitor)
  add_test(NAME monitor_process_bench
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/monitor_process_bench.py
                   $<TARGET_FILE:blemon-monitor> ${CMAKE_CURRENT_BINARY_DIR}/monitor_process_bench)
  set_tests_properties(monitor_process_bench PROPERTIES LABELS bench TIMEOUT 300)
endif()
