# Rooms against the simulated world's ground truth (docs/rooms.md): accuracy of the raw winner and
# of the stable room, flapping, moves, confidence, calibration with and without positions.
if(TARGET blemon::simulated)
  add_executable(rooms_bench ${CMAKE_CURRENT_LIST_DIR}/rooms_bench.cc)
  # world.h is internal to the adapter: the benchmark reads the ground truth from it.
  target_include_directories(rooms_bench
                             PRIVATE ${PROJECT_SOURCE_DIR}/adapters/simulated/src)
  target_link_libraries(rooms_bench PRIVATE blemon::simulated blemon_warnings)
  add_test(NAME rooms_bench COMMAND rooms_bench)
  set_tests_properties(rooms_bench PROPERTIES LABELS bench TIMEOUT 1800)
endif()
