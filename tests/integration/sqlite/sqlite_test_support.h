#pragma once

// Helpers for the SQLite integration tests: a private temporary directory, direct SQL on a file
// (for arranging what no port method does), and readings that exercise every field.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "blemon/reading.h"

namespace blemon::sqlite::testing {

// A fresh directory, removed with everything in it when the object goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Runs `sql` on the file through a connection of its own; returns the first column of the first
// row as text ("" when there is none). Fails the test on an error.
std::string QueryScalar(const std::string& db_path, const std::string& sql);

// Runs a script of statements on the file, creating it if missing. Fails the test on an error.
void ExecScript(const std::string& db_path, const std::string& sql);

// A reading with every field set, varied by `i`.
Reading MakeReading(int i, int rssi, std::optional<std::string> name = std::nullopt);
MacAddress MakeMac(int i);
// An advert payload varied by `i`: none for every fifth, else manufacturer prefixes of 0 to 8
// bytes, service UUIDs, and for some an appearance and a monitor beacon.
AdvertPayload MakePayload(int i);

// Forks a child that runs `body` and exits with its return value (exit code 99 when it throws).
pid_t Fork(const std::function<int()>& body);
// Waits for the child; returns its exit code, or 128 + signal when it was killed.
int Wait(pid_t pid);

// Names no database or spool should ever mangle: quotes, format and LIKE characters, 4-byte
// emoji, and a 10 KB string without NUL.
std::vector<std::string> HostileStrings();

}  // namespace blemon::sqlite::testing
