# How much CPU the simulated scanner spends on a scan of 1,000 devices.
if(TARGET blemon::simulated)
  add_executable(simulated_scan_bench ${CMAKE_CURRENT_LIST_DIR}/simulated_scan_bench.cc)
  target_link_libraries(simulated_scan_bench PRIVATE blemon::simulated blemon_warnings)
  add_test(NAME simulated_scan_bench COMMAND simulated_scan_bench)
  set_tests_properties(simulated_scan_bench PROPERTIES LABELS bench)
endif()
