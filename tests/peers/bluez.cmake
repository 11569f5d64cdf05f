# The `bluez_mock` test fixture: a private dbus-daemon (own config allowing everything, socket in
# the build tree) with python3-dbusmock serving org.bluez from bluez5_blemon.py (its bluez5
# template plus LEAdvertisingManager1, whose controls that file's docstring lists). Started before
# the first test that needs it, stopped after the last. See bluez-peer.sh.
#
# Use it from any tests/*/CMakeLists.txt:
#
#   blemon_use_bluez_mock(my_test other_test)
#
# That adds FIXTURES_REQUIRED bluez_mock and RESOURCE_LOCK bluez_mock (there is one mock and tests
# reset and reshape it, so its users run one at a time), and sets in the tests' environment:
#   DBUS_SYSTEM_BUS_ADDRESS   the private bus; blemon's BlueZ scanner and dbus-send find it there
#   BLEMON_TEST_BLUEZ_DIR     the peer's directory (bus socket, mock.log, pids)
#   BLEMON_TEST_BLUEZ_PEER    the peer script: `$BLEMON_TEST_BLUEZ_PEER kill-mock|start-mock
#                             $BLEMON_TEST_BLUEZ_DIR` simulates bluetoothd crashing and restarting
# A test drives the mock over the bus: org.freedesktop.DBus.Mock.Reset on / (no adapters), then
# org.bluez.Mock.AddAdapter("hci0", "name") / AddDevice("hci0", "AA:BB:...", "alias"), and
# org.freedesktop.DBus.Mock.UpdateProperties on a device to make it "advertise". A test that
# kills the mock must start it again before it ends.
#
# Tests found by gtest_discover_tests() exist only after the build; they can take
# BLEMON_BLUEZ_TEST_PROPERTIES (only DBUS_SYSTEM_BUS_ADDRESS in the environment, since a list of
# environment entries does not survive gtest_discover_tests).
find_program(BLEMON_DBUS_DAEMON dbus-daemon)

set(_blemon_bluez_dir ${CMAKE_BINARY_DIR}/tests/peers/bluez)
# A unix socket path must stay under 108 bytes; deep build trees get a short one in /tmp instead.
string(LENGTH "${_blemon_bluez_dir}/bus" _blemon_bluez_len)
if(_blemon_bluez_len GREATER 100)
  string(MD5 _blemon_bluez_hash "${CMAKE_BINARY_DIR}")
  string(SUBSTRING "${_blemon_bluez_hash}" 0 12 _blemon_bluez_hash)
  set(_blemon_bluez_dir /tmp/blemon-bluez-${_blemon_bluez_hash})
endif()

# Cached so sibling test directories see them (this file is included from tests/peers/).
set(BLEMON_BLUEZ_PEER_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/bluez-peer.sh
    CACHE INTERNAL "Starts and stops the private bus with the BlueZ mock")
set(BLEMON_BLUEZ_PEER_DIR ${_blemon_bluez_dir} CACHE INTERNAL "Where the BlueZ mock's bus lives")
set(BLEMON_BLUEZ_BUS_ADDRESS unix:path=${_blemon_bluez_dir}/bus
    CACHE INTERNAL "DBUS_SYSTEM_BUS_ADDRESS of the BlueZ mock")
set(BLEMON_BLUEZ_TEST_PROPERTIES
    FIXTURES_REQUIRED bluez_mock RESOURCE_LOCK bluez_mock
    ENVIRONMENT DBUS_SYSTEM_BUS_ADDRESS=${BLEMON_BLUEZ_BUS_ADDRESS}
    CACHE INTERNAL "Test properties of tests that use the BlueZ mock")

if(BLEMON_DBUS_DAEMON)
  add_test(NAME bluez_mock_start COMMAND ${BLEMON_BLUEZ_PEER_SCRIPT} start ${BLEMON_BLUEZ_PEER_DIR})
  add_test(NAME bluez_mock_stop COMMAND ${BLEMON_BLUEZ_PEER_SCRIPT} stop ${BLEMON_BLUEZ_PEER_DIR})
  set_tests_properties(bluez_mock_start PROPERTIES FIXTURES_SETUP bluez_mock LABELS peer TIMEOUT 30)
  set_tests_properties(bluez_mock_stop PROPERTIES FIXTURES_CLEANUP bluez_mock LABELS peer TIMEOUT 30)
else()
  message(WARNING "dbus-daemon not found: tests that need the BlueZ mock will fail "
                  "(install dbus and python3-dbusmock)")
endif()

function(blemon_use_bluez_mock)
  foreach(test IN LISTS ARGN)
    set_property(TEST ${test} APPEND PROPERTY FIXTURES_REQUIRED bluez_mock)
    set_property(TEST ${test} APPEND PROPERTY RESOURCE_LOCK bluez_mock)
    set_property(
      TEST ${test} APPEND
      PROPERTY ENVIRONMENT DBUS_SYSTEM_BUS_ADDRESS=${BLEMON_BLUEZ_BUS_ADDRESS}
               BLEMON_TEST_BLUEZ_DIR=${BLEMON_BLUEZ_PEER_DIR}
               BLEMON_TEST_BLUEZ_PEER=${BLEMON_BLUEZ_PEER_SCRIPT})
  endforeach()
endfunction()
