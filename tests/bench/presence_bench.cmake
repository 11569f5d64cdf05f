# Presence (events, occupancy) against the simulated world's ground truth.
if(TARGET blemon::simulated)
  add_executable(presence_bench ${CMAKE_CURRENT_LIST_DIR}/presence_bench.cc)
  # world.h is internal to the adapter; the benchmark reads the ground truth from it.
  target_include_directories(presence_bench
                             PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../../adapters/simulated/src)
  target_link_libraries(presence_bench PRIVATE blemon::simulated blemon_warnings)
  add_test(NAME presence_bench COMMAND presence_bench)
  set_tests_properties(presence_bench PROPERTIES LABELS bench TIMEOUT 900)
endif()
