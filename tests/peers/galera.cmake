# The `galera` test fixture: a throwaway three-node MariaDB Galera cluster (galera-peer.sh: three
# mariadbd on 127.0.0.1 with free SQL/gcomm/IST/SST ports and datadirs under the build tree),
# started before the first test that needs it and stopped after the last one. About 12-20 s to
# start and 3 x 130 MB of memory, so only the tests labelled `galera` use it.
#
#   blemon_use_galera(my_test)
#
# adds FIXTURES_REQUIRED galera and sets BLEMON_TEST_GALERA_DIR, whose peer.env has host,
# port1..port3, hosts ("127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3"), admin_user/admin_password (may
# create and drop databases), user/password (rights on `blemon%`), peer_script and setup_seconds.
# A test may kill and restart a node (`<peer_script> kill|restart N <dir>`) but must leave all
# three running; tests using it run one at a time (RESOURCE_LOCK galera).
set(BLEMON_GALERA_PROVIDER /usr/lib/galera/libgalera_smm.so)
set(BLEMON_GALERA_PEER_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/galera-peer.sh
    CACHE INTERNAL "Starts and stops a throwaway three-node Galera cluster")
set(BLEMON_GALERA_PEER_DIR ${CMAKE_BINARY_DIR}/tests/peers/galera
    CACHE INTERNAL "Where the test Galera cluster lives")

if(BLEMON_MARIADBD AND EXISTS ${BLEMON_GALERA_PROVIDER})
  add_test(NAME galera_peer_setup COMMAND ${BLEMON_GALERA_PEER_SCRIPT} setup
                                          ${BLEMON_GALERA_PEER_DIR})
  add_test(NAME galera_peer_teardown COMMAND ${BLEMON_GALERA_PEER_SCRIPT} teardown
                                             ${BLEMON_GALERA_PEER_DIR})
  set_tests_properties(galera_peer_setup PROPERTIES FIXTURES_SETUP galera LABELS "galera;peer"
                                                    TIMEOUT 400)
  set_tests_properties(galera_peer_teardown PROPERTIES FIXTURES_CLEANUP galera
                                                       LABELS "galera;peer" TIMEOUT 120)
else()
  message(WARNING "mariadbd or the Galera provider ${BLEMON_GALERA_PROVIDER} not found: the "
                  "galera tests will fail (install galera-4 mariadb-server rsync)")
endif()

function(blemon_use_galera)
  foreach(test IN LISTS ARGN)
    set_property(TEST ${test} APPEND PROPERTY FIXTURES_REQUIRED galera)
    set_property(TEST ${test} APPEND PROPERTY RESOURCE_LOCK galera)
    set_property(TEST ${test} APPEND PROPERTY ENVIRONMENT
                                              BLEMON_TEST_GALERA_DIR=${BLEMON_GALERA_PEER_DIR})
  endforeach()
endfunction()
