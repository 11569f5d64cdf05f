# The `mariadb` test fixture: a throwaway mariadbd (own datadir under the build tree, 127.0.0.1 on
# a free port, its own socket, a test CA and server/client certificates), started before the first
# test that needs it and stopped after the last one. See mariadb-peer.sh for what it sets up.
#
# Use it from any tests/*/CMakeLists.txt:
#
#   blemon_use_mariadb(my_test other_test)
#
# That adds FIXTURES_REQUIRED mariadb and sets BLEMON_TEST_MARIADB_DIR in the tests' environment.
# The directory holds peer.env, KEY=value lines: host, port, socket, admin_user/admin_password (may
# create and drop databases), user/password (rights on `blemon%` databases only), tls_user (REQUIRE
# SSL; its password is in password_file), x509_user (REQUIRE X509, password as user's), ca_cert,
# client_cert, client_key, bad_ca_cert, peer_script. Each test should create its own database
# (named `blemon_<something unique>`) since tests run in parallel against the one server.
# Never stop or kill the shared server: a test that needs an outage starts a private one with
# `<peer_script> setup <its own dir>`, then `kill`/`start`/`teardown` on that dir.
# tests/contract/mariadb_test_env.h reads peer.env for C++ tests.
#
# Tests found by gtest_discover_tests() exist only after the build, so pass the same properties
# there instead: gtest_discover_tests(my_tests PROPERTIES ${BLEMON_MARIADB_TEST_PROPERTIES}).
find_program(BLEMON_MARIADBD NAMES mariadbd mysqld PATHS /usr/sbin /usr/local/sbin)
set(BLEMON_MARIADB_PEER_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/mariadb-peer.sh
    CACHE INTERNAL "Starts and stops a throwaway mariadbd")
set(BLEMON_MARIADB_PEER_DIR ${CMAKE_BINARY_DIR}/tests/peers/mariadb
    CACHE INTERNAL "Where the shared test mariadbd lives")

if(BLEMON_MARIADBD)
  add_test(NAME mariadb_peer_setup COMMAND ${BLEMON_MARIADB_PEER_SCRIPT} setup
                                           ${BLEMON_MARIADB_PEER_DIR})
  add_test(NAME mariadb_peer_teardown COMMAND ${BLEMON_MARIADB_PEER_SCRIPT} teardown
                                              ${BLEMON_MARIADB_PEER_DIR})
  set_tests_properties(mariadb_peer_setup PROPERTIES FIXTURES_SETUP mariadb LABELS peer TIMEOUT 60)
  set_tests_properties(mariadb_peer_teardown PROPERTIES FIXTURES_CLEANUP mariadb LABELS peer
                                                        TIMEOUT 60)
else()
  message(WARNING "mariadbd not found: tests that need MariaDB will fail (install mariadb-server)")
endif()

# Cached so sibling test directories see it (this file is included from tests/peers/).
set(BLEMON_MARIADB_TEST_PROPERTIES
    FIXTURES_REQUIRED mariadb ENVIRONMENT BLEMON_TEST_MARIADB_DIR=${BLEMON_MARIADB_PEER_DIR}
    CACHE INTERNAL "Test properties of tests that use the shared mariadbd")

function(blemon_use_mariadb)
  foreach(test IN LISTS ARGN)
    set_property(TEST ${test} APPEND PROPERTY FIXTURES_REQUIRED mariadb)
    set_property(TEST ${test} APPEND PROPERTY ENVIRONMENT
                                              BLEMON_TEST_MARIADB_DIR=${BLEMON_MARIADB_PEER_DIR})
  endforeach()
endfunction()
