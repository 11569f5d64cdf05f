# Installs the browser tests' npm packages (exactly package-lock.json's) into TARGET, skipping the
# work when the lock file has not changed since the last install.
file(MAKE_DIRECTORY ${TARGET})
file(SHA256 ${SOURCE}/package-lock.json wanted)
set(stamp ${TARGET}/node_modules/.blemon-lock-sha256)
if(EXISTS ${stamp})
  file(READ ${stamp} installed)
  if(installed STREQUAL wanted)
    message(STATUS "npm packages are current")
    return()
  endif()
endif()
file(COPY ${SOURCE}/package.json ${SOURCE}/package-lock.json DESTINATION ${TARGET})
execute_process(COMMAND ${NPM} ci --no-audit --no-fund WORKING_DIRECTORY ${TARGET}
                RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "npm ci failed (${result}): is the npm registry reachable?")
endif()
file(WRITE ${stamp} ${wanted})
