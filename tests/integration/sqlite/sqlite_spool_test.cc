#include "blemon/sqlite/sqlite_spool.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>
#include <thread>

#include "blemon/errors.h"
#include "sqlite_test_support.h"

namespace blemon::sqlite {
namespace {

using namespace std::chrono_literals;
using testing::Fork;
using testing::HostileStrings;
using testing::MakeReading;
using testing::TempDir;
using testing::Wait;

const UtcTime kT0 = UtcTime(Seconds(1'772'000'000));  // 2026-02-25, a multiple of 300

std::vector<Reading> SomeReadings(int first, int count) {
  std::vector<Reading> readings;
  for (int i = first; i < first + count; ++i) {
    readings.push_back(MakeReading(i, -40 - i % 60, "dev " + std::to_string(i)));
  }
  return readings;
}

std::int64_t MicrosNow() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class ASqliteSpool : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string path_ = dir_.File("spool.db");
};

TEST_F(ASqliteSpool, HandsBatchesBackOldestFirstWithEveryField) {
  auto spool = OpenSpool(path_);
  const auto first = spool->Append(kT0, kT0 + 2s, SomeReadings(0, 3));
  const auto second = spool->Append(kT0 + 300s, kT0 + 302s, SomeReadings(10, 5));
  EXPECT_EQ(spool->Pending(), 2);

  auto oldest = spool->Oldest();
  ASSERT_TRUE(oldest);
  EXPECT_EQ(oldest->batch_seq, first);
  EXPECT_EQ(oldest->interval_start, kT0);
  EXPECT_EQ(oldest->scan_time, kT0 + 2s);
  EXPECT_EQ(oldest->readings, SomeReadings(0, 3));

  spool->Remove(first);
  oldest = spool->Oldest();
  ASSERT_TRUE(oldest);
  EXPECT_EQ(oldest->batch_seq, second);
  EXPECT_EQ(oldest->readings, SomeReadings(10, 5));
  spool->Remove(second);
  EXPECT_FALSE(spool->Oldest());
  EXPECT_EQ(spool->Pending(), 0);
}

TEST_F(ASqliteSpool, KeepsAnEmptyScanAsABatch) {
  auto spool = OpenSpool(path_);
  const auto seq = spool->Append(kT0, kT0, {});
  const auto oldest = spool->Oldest();
  ASSERT_TRUE(oldest);
  EXPECT_EQ(oldest->batch_seq, seq);
  EXPECT_TRUE(oldest->readings.empty());
}

TEST_F(ASqliteSpool, RemovesIdempotently) {
  auto spool = OpenSpool(path_);
  const auto a = spool->Append(kT0, kT0, SomeReadings(0, 2));
  const auto b = spool->Append(kT0 + 300s, kT0 + 300s, SomeReadings(0, 2));
  spool->Remove(a);
  spool->Remove(a);
  spool->Remove(a + b);  // never handed out
  EXPECT_EQ(spool->Pending(), 1);
  ASSERT_TRUE(spool->Oldest());
  EXPECT_EQ(spool->Oldest()->batch_seq, b);
}

TEST_F(ASqliteSpool, TrimsBatchesOlderThanTheMaximumAgeAndCountsThem) {
  auto spool = OpenSpool(path_);
  spool->Append(kT0, kT0, SomeReadings(0, 1));
  spool->Append(kT0 + 300s, kT0 + 300s, SomeReadings(1, 1));
  const auto kept = spool->Append(kT0 + 600s, kT0 + 600s, SomeReadings(2, 1));
  // At kT0 + 1000 s with a 500 s limit, batches scanned before kT0 + 500 s are too old.
  EXPECT_EQ(spool->Trim(SpoolLimits{.max_age = 500s, .max_batches = 100}, kT0 + 1000s), 2);
  EXPECT_EQ(spool->Pending(), 1);
  EXPECT_EQ(spool->Oldest()->batch_seq, kept);
  EXPECT_EQ(spool->Trim(SpoolLimits{.max_age = 500s, .max_batches = 100}, kT0 + 1000s), 0);
}

TEST_F(ASqliteSpool, TrimsTheOldestBatchesBeyondTheMaximumCount) {
  auto spool = OpenSpool(path_);
  std::vector<std::int64_t> seqs;
  for (int i = 0; i < 5; ++i) {
    seqs.push_back(spool->Append(kT0 + i * 300s, kT0 + i * 300s, SomeReadings(i, 2)));
  }
  EXPECT_EQ(spool->Trim(SpoolLimits{.max_age = 72h, .max_batches = 2}, kT0 + 1500s), 3);
  EXPECT_EQ(spool->Pending(), 2);
  // The dropped batches' readings go with them: the file does not grow with what was trimmed.
  EXPECT_EQ(testing::QueryScalar(path_, "SELECT count(*) FROM spool_readings"), "4");
  EXPECT_EQ(spool->Oldest()->batch_seq, seqs[3]);
  spool->Remove(seqs[3]);
  EXPECT_EQ(testing::QueryScalar(path_, "SELECT count(*) FROM spool_readings"), "2");
  EXPECT_EQ(spool->Oldest()->batch_seq, seqs[4]);
}

TEST_F(ASqliteSpool, NumbersBatchesFromTheWallClockInMicroseconds) {
  const auto before = MicrosNow();
  auto spool = OpenSpool(path_);
  const auto seq = spool->Append(kT0, kT0, {});
  EXPECT_GE(seq, before);
  EXPECT_LE(seq, MicrosNow());
}

TEST_F(ASqliteSpool, KeepsNumbersIncreasingAfterTheFileIsDeletedAndRecreated) {
  std::int64_t last = 0;
  {
    auto spool = OpenSpool(path_);
    for (int i = 0; i < 20; ++i) {
      const auto seq = spool->Append(kT0, kT0, SomeReadings(i, 1));
      EXPECT_GT(seq, last);
      last = seq;
    }
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  auto spool = OpenSpool(path_);
  EXPECT_EQ(spool->Pending(), 0);
  EXPECT_GT(spool->Append(kT0, kT0, {}), last);
}

TEST_F(ASqliteSpool, KeepsNumbersIncreasingAcrossReopeningWhenAllBatchesWereRemoved) {
  std::int64_t last = 0;
  {
    auto spool = OpenSpool(path_);
    last = spool->Append(kT0, kT0, {});
    spool->Remove(last);
  }
  // Push the stored counter far beyond the clock, as after a clock stepped back: the counter,
  // not the clock, must win.
  testing::QueryScalar(
      path_, "UPDATE spool_state SET last_batch_seq = " + std::to_string(last + 3'600'000'000LL));
  auto spool = OpenSpool(path_);
  EXPECT_EQ(spool->Append(kT0, kT0, {}), last + 3'600'000'001LL);
}

TEST_F(ASqliteSpool, RoundTripsHostileNamesByteForByte) {
  auto spool = OpenSpool(path_);
  std::vector<Reading> readings;
  int i = 0;
  for (const auto& name : HostileStrings()) readings.push_back(MakeReading(i++, -50, name));
  spool->Append(kT0, kT0, readings);
  auto reopened = OpenSpool(path_);
  ASSERT_TRUE(reopened->Oldest());
  EXPECT_EQ(reopened->Oldest()->readings, readings);
}

// A child appends as fast as it can and reports each batch_seq through a pipe only after Append
// returned; the parent kills it with SIGKILL mid-stream. Every reported batch must be in the
// spool, whole, and each exactly once.
TEST_F(ASqliteSpool, KeepsEveryAppendThatReturnedWhenTheWriterIsKilled) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = Fork([&] {
    close(fds[0]);
    auto spool = OpenSpool(path_);
    for (int i = 0;; ++i) {
      const auto seq = spool->Append(kT0 + i * 300s, kT0 + i * 300s, SomeReadings(i, 1 + i % 50));
      if (write(fds[1], &seq, sizeof seq) != sizeof seq) return 2;
    }
  });
  close(fds[1]);
  std::vector<std::int64_t> reported;
  std::int64_t seq = 0;
  while (reported.size() < 40 && read(fds[0], &seq, sizeof seq) == sizeof seq) {
    reported.push_back(seq);
  }
  kill(child, SIGKILL);
  // Whatever arrives after the kill also returned from Append before it was written.
  while (read(fds[0], &seq, sizeof seq) == sizeof seq) reported.push_back(seq);
  close(fds[0]);
  EXPECT_EQ(Wait(child), 128 + SIGKILL);
  ASSERT_GE(reported.size(), 40u);

  auto spool = OpenSpool(path_);
  std::set<std::int64_t> found;
  std::int64_t previous = 0;
  while (auto batch = spool->Oldest()) {
    EXPECT_GT(batch->batch_seq, previous);
    previous = batch->batch_seq;
    EXPECT_TRUE(found.insert(batch->batch_seq).second) << "batch " << batch->batch_seq << " twice";
    const int i = static_cast<int>((batch->scan_time - kT0) / 300s);
    EXPECT_EQ(batch->readings, SomeReadings(i, 1 + i % 50)) << "batch " << i << " incomplete";
    spool->Remove(batch->batch_seq);
  }
  for (auto s : reported) EXPECT_TRUE(found.count(s)) << "batch " << s << " lost";
  // At most the one batch in flight at the kill may be there without having been reported.
  EXPECT_LE(found.size(), reported.size() + 1);
}

TEST_F(ASqliteSpool, RoundTripsEveryPayloadField) {
  auto spool = OpenSpool(path_);
  std::vector<Reading> readings = SomeReadings(0, 12);
  readings[1].payload.manufacturer_data.push_back(
      {.company_id = 0xFFFF, .prefix = {0, 1, 2, 3, 4, 5, 6, 7}});
  spool->Append(kT0, kT0 + 2s, readings);
  const auto oldest = spool->Oldest();
  ASSERT_TRUE(oldest);
  EXPECT_EQ(oldest->readings, readings);
}

// The spool of the blemon before the advert payload (format version 1), verbatim.
constexpr const char* kVersion1Spool = R"sql(
CREATE TABLE spool_batches (
  batch_seq      INTEGER PRIMARY KEY,
  interval_start INTEGER NOT NULL,
  scan_time      INTEGER NOT NULL
);
CREATE TABLE spool_readings (
  batch_seq     INTEGER NOT NULL REFERENCES spool_batches (batch_seq) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  mac_address   TEXT    NOT NULL,
  address_class TEXT    NOT NULL,
  rssi          INTEGER NOT NULL,
  advert_count  INTEGER NOT NULL,
  device_name   TEXT,
  tx_power      INTEGER,
  company_ids   TEXT    NOT NULL,
  PRIMARY KEY (batch_seq, position)
) WITHOUT ROWID;
CREATE TABLE spool_state (
  id             INTEGER PRIMARY KEY CHECK (id = 1),
  last_batch_seq INTEGER NOT NULL
);
INSERT INTO spool_state (id, last_batch_seq) VALUES (1, 1772000002000000);
PRAGMA user_version = 1;
INSERT INTO spool_batches VALUES (1772000002000000, 1772000000, 1772000002);
INSERT INTO spool_readings VALUES
  (1772000002000000, 0, 'AA:BB:CC:DD:EE:01', 'public', -60, 3, 'Phone', -8, '6,76'),
  (1772000002000000, 1, 'AA:BB:CC:DD:EE:02', 'random-static', -70, 1, NULL, NULL, '');
)sql";

TEST_F(ASqliteSpool, ReplaysTheBatchesOfAVersionOneSpoolAfterTheUpgrade) {
  testing::ExecScript(path_, kVersion1Spool);
  auto spool = OpenSpool(path_);
  EXPECT_EQ(testing::QueryScalar(path_, "PRAGMA user_version"), "2");
  const auto oldest = spool->Oldest();
  ASSERT_TRUE(oldest);
  EXPECT_EQ(oldest->batch_seq, 1772000002000000);
  EXPECT_EQ(oldest->interval_start, kT0);
  const std::vector<Reading> expected = {Reading{.mac = *MacAddress::Parse("AA:BB:CC:DD:EE:01"),
                                                 .address_class = AddressClass::kPublic,
                                                 .rssi = -60,
                                                 .advert_count = 3,
                                                 .name = "Phone",
                                                 .tx_power = -8,
                                                 .company_ids = {6, 76},
                                                 .payload = {}},
                                         Reading{.mac = *MacAddress::Parse("AA:BB:CC:DD:EE:02"),
                                                 .address_class = AddressClass::kRandomStatic,
                                                 .rssi = -70,
                                                 .advert_count = 1,
                                                 .name = std::nullopt,
                                                 .tx_power = std::nullopt,
                                                 .company_ids = {},
                                                 .payload = {}}};
  EXPECT_EQ(oldest->readings, expected);

  // The upgraded file takes payloads, numbers on after the old batches, and opens again.
  const auto next = spool->Append(kT0 + 300s, kT0 + 302s, SomeReadings(1, 4));
  EXPECT_GT(next, oldest->batch_seq);
  spool.reset();
  spool = OpenSpool(path_);
  spool->Remove(oldest->batch_seq);
  ASSERT_TRUE(spool->Oldest());
  EXPECT_EQ(spool->Oldest()->readings, SomeReadings(1, 4));
}

TEST_F(ASqliteSpool, RefusesAFileThatIsNotADatabase) {
  FILE* f = std::fopen(path_.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(
      "this is a text file, long enough to have a header page of its own.............\n"
      "................................................................................\n",
      f);
  std::fclose(f);
  EXPECT_THROW(OpenSpool(path_), Refused);
}

TEST_F(ASqliteSpool, IsUnavailableWhenItsDirectoryIsMissing) {
  EXPECT_THROW(OpenSpool(dir_.File("missing/spool.db")), Unavailable);
}

}  // namespace
}  // namespace blemon::sqlite
