# How well estimated devices count the devices behind rotating addresses: 24 simulated hours,
# monitors in all eleven rooms, 300 devices (docs/performance.md).
if(TARGET blemon::simulated)
  add_executable(address_linking_bench ${CMAKE_CURRENT_LIST_DIR}/address_linking_bench.cc)
  # The world's ground truth comes from its internal header, as in the adapter's unit tests.
  target_include_directories(address_linking_bench
                             PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../../adapters/simulated/src)
  target_link_libraries(address_linking_bench PRIVATE blemon::simulated blemon_warnings)
  add_test(NAME address_linking_bench COMMAND address_linking_bench)
  set_tests_properties(address_linking_bench PROPERTIES LABELS bench)
endif()

# The same through the SQLite store: staged batches, the processor's linking, the hourly report.
if(TARGET blemon::simulated AND TARGET blemon::sqlite)
  add_executable(address_linking_store_bench
                 ${CMAKE_CURRENT_LIST_DIR}/address_linking_store_bench.cc)
  target_include_directories(address_linking_store_bench
                             PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../../adapters/simulated/src)
  # blemon::sqlite brings SQLite itself, which the bench reads address_links with.
  target_link_libraries(address_linking_store_bench PRIVATE blemon::simulated blemon::sqlite
                                                            blemon_warnings)
  add_test(NAME address_linking_store_bench COMMAND address_linking_store_bench)
  set_tests_properties(address_linking_store_bench PROPERTIES LABELS bench TIMEOUT 1800)
endif()
