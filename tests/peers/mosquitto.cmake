# The `mosquitto` test fixture: a throwaway MQTT broker (own directory under the build tree, a TLS
# listener on 127.0.0.1 at a free port with a test CA, a password file), started before the first
# test that needs it and stopped after the last one. See mosquitto-peer.sh for what it sets up.
#
#   blemon_use_mosquitto(my_test other_test)
#
# adds FIXTURES_REQUIRED mosquitto and sets BLEMON_TEST_MOSQUITTO_DIR in the tests' environment;
# the directory's peer.env says host, port, user, password, password_file, ca_cert, bad_ca_cert,
# peer_script. Tests share the broker, so each uses its own topic prefix. A test that needs an
# outage runs `<peer_script> setup <its own dir>` and stops, starts and tears down that one.
find_program(BLEMON_MOSQUITTO NAMES mosquitto PATHS /usr/sbin)
set(BLEMON_MOSQUITTO_PEER_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/mosquitto-peer.sh
    CACHE INTERNAL "Starts and stops a throwaway mosquitto")
set(BLEMON_MOSQUITTO_PEER_DIR ${CMAKE_BINARY_DIR}/tests/peers/mosquitto
    CACHE INTERNAL "Where the shared test mosquitto lives")

if(BLEMON_MOSQUITTO)
  add_test(NAME mosquitto_peer_setup COMMAND ${BLEMON_MOSQUITTO_PEER_SCRIPT} setup
                                             ${BLEMON_MOSQUITTO_PEER_DIR})
  add_test(NAME mosquitto_peer_teardown COMMAND ${BLEMON_MOSQUITTO_PEER_SCRIPT} teardown
                                                ${BLEMON_MOSQUITTO_PEER_DIR})
  set_tests_properties(mosquitto_peer_setup PROPERTIES FIXTURES_SETUP mosquitto LABELS peer
                                                       TIMEOUT 60)
  set_tests_properties(mosquitto_peer_teardown PROPERTIES FIXTURES_CLEANUP mosquitto LABELS peer
                                                          TIMEOUT 60)
else()
  message(WARNING "mosquitto not found: the MQTT tests will fail (install mosquitto)")
endif()

set(BLEMON_MOSQUITTO_TEST_PROPERTIES
    FIXTURES_REQUIRED mosquitto ENVIRONMENT BLEMON_TEST_MOSQUITTO_DIR=${BLEMON_MOSQUITTO_PEER_DIR}
    CACHE INTERNAL "Test properties of tests that use the shared mosquitto")

function(blemon_use_mosquitto)
  foreach(test IN LISTS ARGN)
    set_property(TEST ${test} APPEND PROPERTY FIXTURES_REQUIRED mosquitto)
    set_property(TEST ${test} APPEND PROPERTY ENVIRONMENT
                                              BLEMON_TEST_MOSQUITTO_DIR=${BLEMON_MOSQUITTO_PEER_DIR})
  endforeach()
endfunction()
