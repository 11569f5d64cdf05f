#include "blemon/privacy.h"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>

namespace blemon {
namespace {

using std::chrono::days;
using std::chrono::hours;

constexpr char kSecret[] = "0123456789abcdef-fleet";
// 2026-12-01 00:00:00 UTC.
const UtcTime kDay1{std::chrono::sys_days{std::chrono::year{2026} / 12 / 1}};

MacAddress Mac(const char* text) { return *MacAddress::Parse(text); }

Reading ReadingOf(const char* mac, const char* name) {
  return Reading{.mac = Mac(mac),
                 .address_class = AddressClass::kPublic,
                 .rssi = -60,
                 .advert_count = 1,
                 .name = name,
                 .tx_power = std::nullopt,
                 .company_ids = {76},
                 .payload = {}};
}

TEST(PseudonymiserTest, MatchesTheDocumentedHmacConstruction) {
  // Computed independently with Python's hmac module from docs/privacy.md's definition.
  Pseudonymiser pseudonymiser(kSecret);
  EXPECT_EQ(pseudonymiser.Pseudonym(Mac("11:22:33:44:55:66"), kDay1 + hours{13}).ToString(),
            "F4:9B:CB:58:56:79");
}

TEST(PseudonymiserTest, SameWithinADayDifferentTheNextDay) {
  Pseudonymiser pseudonymiser(kSecret);
  const MacAddress device = Mac("11:22:33:44:55:66");
  const MacAddress morning = pseudonymiser.Pseudonym(device, kDay1 + hours{1});
  EXPECT_EQ(pseudonymiser.Pseudonym(device, kDay1 + hours{23}), morning);
  EXPECT_NE(pseudonymiser.Pseudonym(device, kDay1 + days{1}), morning);
  EXPECT_NE(morning, device);
  EXPECT_EQ(morning.bytes()[0] & 0xC0, 0xC0);  // the random static form
}

TEST(PseudonymiserTest, TwoMonitorsWithTheSameSecretAgreeAndAnotherSecretDoesNot) {
  Pseudonymiser first(kSecret);
  Pseudonymiser second(kSecret);
  Pseudonymiser other("another secret of the fleet");
  const MacAddress device = Mac("AA:BB:CC:DD:EE:01");
  EXPECT_EQ(first.Pseudonym(device, kDay1), second.Pseudonym(device, kDay1 + hours{5}));
  EXPECT_NE(first.Pseudonym(device, kDay1), other.Pseudonym(device, kDay1));
}

TEST(PseudonymiserTest, RefusesAShortSecret) {
  EXPECT_THROW(Pseudonymiser("short"), std::invalid_argument);
}

TEST(PseudonymiserTest, ApplyHashesAndDropsNamesOfUnwatchedOnly) {
  Pseudonymiser pseudonymiser(kSecret);
  pseudonymiser.SetWatched({.addresses = {Mac("AA:BB:CC:DD:EE:01")}, .identity_keys = {}});
  std::vector<Reading> readings = {ReadingOf("AA:BB:CC:DD:EE:01", "alice-phone"),
                                   ReadingOf("AA:BB:CC:DD:EE:02", "bob-watch")};
  pseudonymiser.Apply(readings, kDay1);
  ASSERT_EQ(readings.size(), 2U);
  const auto watched = std::find_if(readings.begin(), readings.end(), [](const Reading& r) {
    return r.mac == Mac("AA:BB:CC:DD:EE:01");
  });
  ASSERT_NE(watched, readings.end());
  EXPECT_EQ(watched->name, "alice-phone");
  const Reading& other = watched == readings.begin() ? readings[1] : readings[0];
  EXPECT_EQ(other.mac, pseudonymiser.Pseudonym(Mac("AA:BB:CC:DD:EE:02"), kDay1));
  EXPECT_EQ(other.name, std::nullopt);
  // Everything but address and name is kept: classes and linking read these.
  EXPECT_EQ(other.company_ids, std::vector<std::uint16_t>{76});
  EXPECT_EQ(other.address_class, AddressClass::kPublic);
  EXPECT_LT(readings[0].mac, readings[1].mac);
}

TEST(PseudonymiserTest, AnAddressOfAWatchedIdentityStaysRaw) {
  const Irk watched_key = *Irk::Parse("00112233445566778899aabbccddeeff");
  const Irk unwatched_key = *Irk::Parse("ffeeddccbbaa99887766554433221100");
  const MacAddress watched_rpa = MakeResolvablePrivateAddress(watched_key, 0x5A1234);
  const MacAddress unwatched_rpa = MakeResolvablePrivateAddress(unwatched_key, 0x5A1234);
  Pseudonymiser pseudonymiser(kSecret);
  pseudonymiser.SetWatched({.addresses = {}, .identity_keys = {watched_key}});
  std::vector<Reading> readings = {ReadingOf("00:00:00:00:00:01", "x"),
                                   ReadingOf("00:00:00:00:00:02", "y")};
  readings[0].mac = watched_rpa;
  readings[1].mac = unwatched_rpa;
  pseudonymiser.Apply(readings, kDay1);
  std::vector<MacAddress> macs = {readings[0].mac, readings[1].mac};
  EXPECT_NE(std::find(macs.begin(), macs.end(), watched_rpa), macs.end());
  EXPECT_EQ(std::find(macs.begin(), macs.end(), unwatched_rpa), macs.end());
}

}  // namespace
}  // namespace blemon
