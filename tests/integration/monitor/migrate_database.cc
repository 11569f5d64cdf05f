// Test helper: creates the blemon schema in the database a monitor config names, with the
// shipped migrations (mariadb::Migrate), so the integration tests start from what `blemon-admin
// migrate` would leave.

#include <cstdio>
#include <exception>

#include "blemon/app/config_file.h"
#include "blemon/mariadb/mariadb_store.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CONFIG.toml\n", argv[0]);
    return 64;
  }
  try {
    const blemon::app::LoadedConfig loaded = blemon::app::LoadConfig(argv[1]);
    const blemon::mariadb::MigrationResult result =
        blemon::mariadb::Migrate(loaded.config.database);
    std::printf("schema %d -> %d\n", result.from_version, result.to_version);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "migrate: %s\n", e.what());
    return 1;
  }
}
