#pragma once

// The hourly rollups' contract suite (hourly_rollups_contract.cc), instantiated per backend:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, HourlyRollups, ::testing::Values(&MakeSqliteHarness));

#include <fmt/format.h>

#include <random>
#include <string>
#include <vector>

#include "report_store_contract.h"

namespace blemon::testing {

// Field by field, with the hour and monitor in every message.
void ExpectSameRows(const std::vector<HourlyRow>& rolled_up, const std::vector<HourlyRow>& unrolled,
                    const std::string& when);

class HourlyRollups : public AReportStore {
 protected:
  // The hourly report over [from, to) both ways: on whole UTC hours (from the rollups, once none
  // is stale) and from one second earlier, which no interval starts in (intervals start on
  // multiples of 300 s), so the rows are the same but the span is not on whole hours and the
  // store reads device_sightings.
  void ExpectRollupsEqualUnrolled(UtcTime from, UtcTime to, const std::string& when) {
    ReportFilter rolled = Span(from, to);
    ReportFilter unrolled = Span(from - Seconds(1), to);
    ExpectSameRows(reports_->Hourly(rolled), reports_->Hourly(unrolled), when);
    rolled.monitor = unrolled.monitor = "m1";
    ExpectSameRows(reports_->Hourly(rolled), reports_->Hourly(unrolled), when + ", monitor m1");
  }

  std::int64_t Count(const std::string& table) {
    return std::stoll(harness_->QueryScalar("SELECT COUNT(*) FROM " + table));
  }

  // One random reading: one of `devices` addresses, sometimes another address class than before
  // (the device's class changes, which changes past hours' class counts).
  static Reading RandomReading(std::mt19937& random, int devices) {
    std::uniform_int_distribution<int> device(1, devices), rssi(-95, -40), odd(0, 9);
    Reading reading =
        MakeReading(fmt::format("AA:BB:CC:DD:00:{:02X}", device(random)), rssi(random));
    if (odd(random) == 0) reading.address_class = AddressClass::kRandomStatic;
    if (odd(random) == 1) reading.address_class = AddressClass::kResolvablePrivate;
    return reading;
  }
};

}  // namespace blemon::testing
