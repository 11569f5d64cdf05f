# Install rules: the library and its adapters as the find_package(blemon) package (component
# "development"), the executables, schema and docs (component "runtime"), and — only when
# BLEMON_INSTALL_SYSTEM_FILES is on, as the .deb build sets it — the systemd unit, the sysusers
# file and /etc/blemon/blemon.toml. Modelled on fmt's CMakeLists.txt and fmt-config.cmake.in.
#
# Adapters and applications are picked up if their targets exist, so the rules stay valid while
# parts of the tree are missing or switched off (BLEMON_WITH_BLUEZ, BLEMON_WITH_MARIADB).

# As fmt does: a project that adds blemon with add_subdirectory() does not install it unless asked.
option(BLEMON_INSTALL "Generate blemon's install rules" ${PROJECT_IS_TOP_LEVEL})
if(NOT BLEMON_INSTALL)
  return()
endif()

include(CMakePackageConfigHelpers)

option(BLEMON_INSTALL_SYSTEM_FILES
       "Install the systemd unit, the sysusers file and the default /etc/blemon/blemon.toml" OFF)
set(BLEMON_INSTALL_CMAKEDIR
    ${CMAKE_INSTALL_LIBDIR}/cmake/blemon
    CACHE STRING "Where blemonConfig.cmake is installed, relative to the prefix")
set(BLEMON_INSTALL_SYSTEMD_UNITDIR
    lib/systemd/system
    CACHE STRING "Where the systemd unit is installed, relative to the prefix")

set(blemon_packaging_dir ${CMAKE_CURRENT_LIST_DIR}/..)

# --- Library: blemon::core and every adapter that is built ---------------------------------------

set(blemon_export_targets blemon_core)
set(blemon_components)
foreach(adapter IN ITEMS simulated sqlite mariadb bluez)
  if(TARGET blemon_${adapter})
    list(APPEND blemon_export_targets blemon_${adapter})
    list(APPEND blemon_components ${adapter})
  endif()
endforeach()

# blemon_warnings carries only compile options and is meant to be linked as
# $<BUILD_INTERFACE:blemon_warnings>. A static library that links it plainly still names it in
# its (link-only) interface, and install(EXPORT) would then fail; export it as an inert target
# in that case rather than break the install. Its options never reach consumers: a static
# library's private links are exported as $<LINK_ONLY:…>, which carries no compile options.
set(blemon_export_warnings OFF)
foreach(target IN LISTS blemon_export_targets)
  get_target_property(links ${target} LINK_LIBRARIES)
  if(links AND "blemon_warnings" IN_LIST links)
    set(blemon_export_warnings ON)
  endif()
endforeach()
if(blemon_export_warnings)
  set_target_properties(blemon_warnings PROPERTIES EXPORT_NAME warnings)
  list(APPEND blemon_export_targets blemon_warnings)
endif()

install(
  TARGETS ${blemon_export_targets}
  EXPORT blemonTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
  INCLUDES
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

install(
  DIRECTORY ${PROJECT_SOURCE_DIR}/libblemon/include/
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT development
  FILES_MATCHING
  PATTERN "*.h")
foreach(adapter IN LISTS blemon_components)
  install(
    DIRECTORY ${PROJECT_SOURCE_DIR}/adapters/${adapter}/include/
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
    COMPONENT development
    FILES_MATCHING
    PATTERN "*.h")
endforeach()

install(
  EXPORT blemonTargets
  NAMESPACE blemon::
  FILE blemonTargets.cmake
  DESTINATION ${BLEMON_INSTALL_CMAKEDIR}
  COMPONENT development)

# The libraries are static, so what they link privately is still needed by whoever links them:
# the exported targets name those packages' imported targets ($<LINK_ONLY:…>), which the package
# config must recreate with find_dependency before it reads blemonTargets.cmake. Derive the list
# from what the exported targets actually link, so an adapter's new dependency cannot be
# forgotten here.
set(blemon_dependencies "")
set(blemon_seen "")
foreach(target IN LISTS blemon_export_targets)
  get_target_property(links ${target} LINK_LIBRARIES)
  if(NOT links)
    continue()
  endif()
  foreach(item IN LISTS links)
    if(item MATCHES "^\\$<BUILD_INTERFACE:")
      continue()
    endif()
    string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" item "${item}")
    if(item IN_LIST blemon_seen OR item MATCHES "^blemon" OR NOT item MATCHES "::")
      continue()
    endif()
    list(APPEND blemon_seen ${item})
    if(item MATCHES "^fmt::")
      string(APPEND blemon_dependencies "find_dependency(fmt 9)\n")
    elseif(item MATCHES "^tomlplusplus::")
      string(APPEND blemon_dependencies "find_dependency(tomlplusplus 3)\n")
    elseif(item MATCHES "^SQLite::")
      string(APPEND blemon_dependencies "find_dependency(SQLite3)\n")
    elseif(item MATCHES "^SDBusCpp::")
      string(APPEND blemon_dependencies "find_dependency(sdbus-c++)\n")
    elseif(item MATCHES "^OpenSSL::")
      string(APPEND blemon_dependencies "find_dependency(OpenSSL 3 COMPONENTS Crypto)\n")
    elseif(item MATCHES "^Threads::")
      string(APPEND blemon_dependencies "find_dependency(Threads)\n")
    elseif(item MATCHES "^PkgConfig::(.+)$")
      # pkg_check_modules(<prefix> … IMPORTED_TARGET) made it; recreate it under the same prefix.
      # <prefix>_LIBRARIES names the library (mariadb, systemd), whose module is lib<name> or
      # <name>. GLOBAL, so that it is visible wherever the consumer links the adapter.
      set(prefix ${CMAKE_MATCH_1})
      if(${prefix}_LIBRARIES)
        list(GET ${prefix}_LIBRARIES 0 library)
      else()
        string(TOLOWER ${prefix} library)
      endif()
      if(NOT blemon_dependencies MATCHES "find_dependency\\(PkgConfig\\)")
        string(APPEND blemon_dependencies "find_dependency(PkgConfig)\n")
      endif()
      string(APPEND blemon_dependencies
             "if(NOT TARGET ${item})\n"
             "  pkg_search_module(${prefix} REQUIRED QUIET IMPORTED_TARGET GLOBAL lib${library} "
             "${library})\n"
             "endif()\n")
    else()
      message(WARNING "packaging/cmake/install.cmake: ${target} links ${item}, and blemonConfig.cmake "
                      "does not know how to find it for consumers; add it to install.cmake")
    endif()
  endforeach()
endforeach()
set(BLEMON_DEPENDENCIES "${blemon_dependencies}")

# The config file needs to know which adapters this build exported, to answer COMPONENTS.
set(BLEMON_EXPORTED_COMPONENTS ${blemon_components})
string(REPLACE ";" " " BLEMON_EXPORTED_COMPONENTS_TEXT "${blemon_components}")
configure_package_config_file(
  ${blemon_packaging_dir}/cmake/blemonConfig.cmake.in
  ${PROJECT_BINARY_DIR}/packaging/blemonConfig.cmake
  INSTALL_DESTINATION ${BLEMON_INSTALL_CMAKEDIR}
  NO_SET_AND_CHECK_MACRO)
# 0.x releases promise nothing across minor versions; from 1.0 on, the major version is the
# compatibility line.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(blemon_compatibility SameMinorVersion)
else()
  set(blemon_compatibility SameMajorVersion)
endif()
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/packaging/blemonConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY ${blemon_compatibility})
install(FILES ${PROJECT_BINARY_DIR}/packaging/blemonConfig.cmake
              ${PROJECT_BINARY_DIR}/packaging/blemonConfigVersion.cmake
        DESTINATION ${BLEMON_INSTALL_CMAKEDIR}
        COMPONENT development)

# --- Programs, schema and documentation ---------------------------------------------------------

foreach(app IN ITEMS blemon-monitor blemon-report blemon-dashboard blemon-admin blemon-web)
  if(TARGET ${app})
    install(TARGETS ${app} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
    install(FILES ${blemon_packaging_dir}/man/${app}.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
            COMPONENT runtime)
  endif()
endforeach()

# The SQL files are what an operator reads or feeds to the mysql client by hand; the programs
# carry their own copy of the migrations.
if(EXISTS ${PROJECT_SOURCE_DIR}/schema)
  install(
    DIRECTORY ${PROJECT_SOURCE_DIR}/schema/
    DESTINATION ${CMAKE_INSTALL_DATADIR}/blemon/schema
    COMPONENT runtime
    FILES_MATCHING
    PATTERN "*.sql")
endif()

# blemon-web's example configuration (copied to /etc/blemon/web.toml by the operator).
if(TARGET blemon-web)
  install(FILES ${blemon_packaging_dir}/config/web.toml.example
          DESTINATION ${CMAKE_INSTALL_DATADIR}/blemon COMPONENT runtime)
endif()

file(GLOB blemon_docs ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${blemon_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR}
        COMPONENT runtime)
# The admin role's configuration on the database server, as an example to copy (not a conffile:
# on a monitor it would point blemon-admin at a local server that is not there).
install(FILES ${PROJECT_SOURCE_DIR}/packaging/config/admin.toml
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples COMPONENT runtime)

# --- System integration (the .deb) --------------------------------------------------------------

if(BLEMON_INSTALL_SYSTEM_FILES)
  install(FILES ${blemon_packaging_dir}/systemd/blemon-monitor.service
          DESTINATION ${BLEMON_INSTALL_SYSTEMD_UNITDIR} COMPONENT runtime)
  if(TARGET blemon-web)
    install(FILES ${blemon_packaging_dir}/systemd/blemon-web.service
            DESTINATION ${BLEMON_INSTALL_SYSTEMD_UNITDIR} COMPONENT runtime)
  endif()
  install(
    FILES ${blemon_packaging_dir}/systemd/blemon.sysusers
    DESTINATION lib/sysusers.d
    RENAME blemon.conf
    COMPONENT runtime)
  # Mode 0640: the file may hold the database password. The .deb gives it to root:_blemon in
  # postinst (dpkg-statoverride), since the user does not exist at build time.
  install(
    FILES ${blemon_packaging_dir}/config/blemon.toml
    DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/blemon
    PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ
    COMPONENT runtime)
endif()
