#include "blemon/reading.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace blemon {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Optional;

// --- helpers: an independent UTF-8 reader, so the checks do not trust the code under test -----

// Decodes strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF). nullopt when invalid.
std::optional<std::vector<char32_t>> DecodeUtf8(std::string_view s) {
  std::vector<char32_t> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    int extra = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if (b0 < 0x80) {
      cp = b0;
    } else if ((b0 & 0xE0) == 0xC0) {
      extra = 1, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      extra = 2, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      extra = 3, cp = b0 & 0x07, min = 0x10000;
    } else {
      return std::nullopt;
    }
    if (i + static_cast<std::size_t>(extra) >= s.size()) return std::nullopt;
    for (int k = 1; k <= extra; ++k) {
      const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      if ((b & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (extra > 0 && cp < min) return std::nullopt;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    out.push_back(cp);
    i += 1 + static_cast<std::size_t>(extra);
  }
  return out;
}

bool IsControl(char32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// --- RSSI ------------------------------------------------------------------------------------

TEST(AnRssi, IsValidAtBothEndsOfTheRange) {
  EXPECT_EQ(CheckRssi(-127), RssiVerdict::kValid);
  EXPECT_EQ(CheckRssi(20), RssiVerdict::kValid);
}

TEST(AnRssi, IsValidInsideTheRange) {
  for (int rssi : {-126, -100, -65, -1, 0, 1, 19}) {
    EXPECT_EQ(CheckRssi(rssi), RssiVerdict::kValid) << rssi;
  }
}

TEST(AnRssi, OfOneHundredTwentySevenMeansUnknown) {
  EXPECT_EQ(CheckRssi(kUnknownRssi), RssiVerdict::kUnknown);
  EXPECT_EQ(kUnknownRssi, 127);
}

TEST(AnRssi, IsOutOfRangeJustBeyondEitherEnd) {
  EXPECT_EQ(CheckRssi(-128), RssiVerdict::kOutOfRange);
  EXPECT_EQ(CheckRssi(21), RssiVerdict::kOutOfRange);
}

TEST(AnRssi, IsOutOfRangeForOtherAbsurdValues) {
  for (int rssi : {126, 128, -255, 255, 1000, INT_MIN, INT_MAX}) {
    EXPECT_EQ(CheckRssi(rssi), RssiVerdict::kOutOfRange) << rssi;
  }
}

TEST(AnRssi, HasExactlyTheDocumentedValidRange) {
  for (int rssi = -1000; rssi <= 1000; ++rssi) {
    const RssiVerdict expected = rssi == 127                    ? RssiVerdict::kUnknown
                                 : (rssi >= -127 && rssi <= 20) ? RssiVerdict::kValid
                                                                : RssiVerdict::kOutOfRange;
    ASSERT_EQ(CheckRssi(rssi), expected) << rssi;
  }
}

// --- device names ----------------------------------------------------------------------------

TEST(ADeviceName, IsKeptWhenClean) {
  EXPECT_THAT(SanitizeDeviceName("Pixel 7"), Optional(std::string("Pixel 7")));
}

TEST(ADeviceName, KeepsValidMultibyteCharacters) {
  const std::string name = "Küche – 温度计 🌡";
  EXPECT_THAT(SanitizeDeviceName(name), Optional(name));
}

TEST(ADeviceName, ThatIsEmptyMeansNoName) { EXPECT_EQ(SanitizeDeviceName(""), std::nullopt); }

TEST(ADeviceName, OfOnlyControlCharactersMeansNoName) {
  EXPECT_EQ(SanitizeDeviceName(std::string("\0\n\t\x7f\r", 5)), std::nullopt);
  EXPECT_EQ(SanitizeDeviceName("\xC2\x80\xC2\x9F"), std::nullopt);  // C1 controls
}

TEST(ADeviceName, LosesC0ControlCharacters) {
  EXPECT_THAT(SanitizeDeviceName("Bed\troom\n"), Optional(std::string("Bedroom")));
  EXPECT_THAT(SanitizeDeviceName(std::string("A\0B\x1b[31mC", 9)),
              Optional(std::string("AB[31mC")));
}

TEST(ADeviceName, LosesDelete) {
  EXPECT_THAT(SanitizeDeviceName("Ta\x7fg"), Optional(std::string("Tag")));
}

TEST(ADeviceName, LosesC1ControlCharacters) {
  EXPECT_THAT(SanitizeDeviceName("Ta\xC2\x85g\xC2\x9F"), Optional(std::string("Tag")));
}

TEST(ADeviceName, KeepsTheCharacterJustAfterC1) {
  // U+00A0 (no-break space) is the first character after the C1 block; it is not a control.
  EXPECT_THAT(SanitizeDeviceName("a\xC2\xA0"
                                 "b"),
              Optional(std::string("a\xC2\xA0"
                                   "b")));
}

TEST(ADeviceName, ReplacesAStrayContinuationByteWithTheReplacementCharacter) {
  EXPECT_THAT(SanitizeDeviceName("ab\x80"
                                 "cd"),
              Optional("ab" + std::string(kReplacement) + "cd"));
}

TEST(ADeviceName, ReplacesAnImpossibleByteWithTheReplacementCharacter) {
  EXPECT_THAT(SanitizeDeviceName("x\xFFy"), Optional("x" + std::string(kReplacement) + "y"));
}

TEST(ADeviceName, ReplacesATruncatedSequenceAtTheEnd) {
  // Unicode recommends one U+FFFD per maximal invalid subpart ("ab\uFFFD"); one per byte is
  // also valid UTF-8 out, and the header does not choose, so both are accepted.
  auto name = SanitizeDeviceName("ab\xE2\x82");
  ASSERT_TRUE(name.has_value());
  const std::string one = "ab" + std::string(kReplacement);
  EXPECT_TRUE(*name == one || *name == one + std::string(kReplacement)) << *name;
}

TEST(ADeviceName, ReplacesATruncatedSequenceBeforeAnAsciiCharacter) {
  // The 'c' after the broken sequence is a character of its own and must survive.
  auto name = SanitizeDeviceName(
      "ab\xC3"
      "c");
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(*name, "ab" + std::string(kReplacement) + "c");
}

class AnInvalidUtf8Name : public ::testing::TestWithParam<std::string> {};

TEST_P(AnInvalidUtf8Name, BecomesValidUtf8WithAReplacementCharacter) {
  auto name = SanitizeDeviceName("<" + GetParam() + ">");
  ASSERT_TRUE(name.has_value());
  EXPECT_TRUE(DecodeUtf8(*name).has_value()) << "still invalid UTF-8";
  EXPECT_NE(name->find(kReplacement), std::string::npos) << *name;
  EXPECT_EQ(name->front(), '<');
  EXPECT_EQ(name->back(), '>');
}

// Overlong forms, UTF-16 surrogates and code points past U+10FFFF are all invalid UTF-8.
INSTANTIATE_TEST_SUITE_P(Sequences, AnInvalidUtf8Name,
                         ::testing::Values(std::string("\xC0\xAF"),          // overlong '/'
                                           std::string("\xE0\x80\xAF"),      // overlong '/'
                                           std::string("\xED\xA0\x80"),      // surrogate
                                           std::string("\xF4\x90\x80\x80"),  // > U+10FFFF
                                           std::string("\xF8\x88\x80\x80\x80"),
                                           std::string("\xFE\xFF"), std::string("\xC2"),
                                           std::string("\xC1\xBF")));

TEST(ADeviceName, IsCutAtTwoHundredCharacters) {
  auto name = SanitizeDeviceName(std::string(250, 'x'));
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(*name, std::string(kMaxNameCharacters, 'x'));
  EXPECT_EQ(kMaxNameCharacters, 200u);
}

TEST(ADeviceName, OfExactlyTwoHundredCharactersIsKept) {
  EXPECT_THAT(SanitizeDeviceName(std::string(200, 'y')), Optional(std::string(200, 'y')));
}

TEST(ADeviceName, IsCutInCharactersNotBytes) {
  // 250 two-byte characters: 200 of them (400 bytes) stay.
  std::string raw;
  for (int i = 0; i < 250; ++i) raw += "é";
  auto name = SanitizeDeviceName(raw);
  ASSERT_TRUE(name.has_value());
  auto decoded = DecodeUtf8(*name);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->size(), 200u);
  EXPECT_EQ(name->size(), 400u);
}

TEST(ADeviceName, IsCutOnACharacterBoundary) {
  // 199 ASCII characters then four-byte emoji: the 200th character is a whole emoji.
  std::string raw(199, 'a');
  for (int i = 0; i < 3; ++i) raw += "🌡";
  auto name = SanitizeDeviceName(raw);
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(*name, std::string(199, 'a') + "🌡");
}

TEST(ADeviceName, CountsTheLimitAfterRemovingControlCharacters) {
  // 200 visible characters with controls sprinkled in: nothing visible may be cut.
  std::string raw;
  for (int i = 0; i < 200; ++i) raw += "\tz";
  EXPECT_THAT(SanitizeDeviceName(raw), Optional(std::string(200, 'z')));
}

TEST(ADeviceName, CountsAReplacementCharacterAsOneCharacter) {
  std::string raw(300, '\xFF');
  auto name = SanitizeDeviceName(raw);
  ASSERT_TRUE(name.has_value());
  auto decoded = DecodeUtf8(*name);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->size(), 200u);
  for (char32_t cp : *decoded) EXPECT_EQ(cp, U'\uFFFD');
}

TEST(ADeviceNameSanitizer, AlwaysReturnsShortValidUtf8WithoutControlsForRandomBytes) {
  std::mt19937 rng(2024);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 700);
  for (int i = 0; i < 3000; ++i) {
    std::string raw;
    for (int n = length(rng); n > 0; --n) raw.push_back(static_cast<char>(byte(rng)));
    auto name = SanitizeDeviceName(raw);
    if (!name) continue;
    auto decoded = DecodeUtf8(*name);
    ASSERT_TRUE(decoded.has_value()) << "invalid UTF-8 out of random input " << i;
    EXPECT_FALSE(decoded->empty()) << "an empty name must be nullopt";
    EXPECT_LE(decoded->size(), kMaxNameCharacters);
    for (char32_t cp : *decoded)
      ASSERT_FALSE(IsControl(cp)) << "control U+" << std::hex << static_cast<std::uint32_t>(cp);
  }
}

TEST(ADeviceNameSanitizer, LeavesCleanNamesUnchanged) {
  // Sanitizing is idempotent: a sanitized name passes through again untouched.
  std::mt19937 rng(99);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 1000; ++i) {
    std::string raw;
    for (int n = 0; n < 300; ++n) raw.push_back(static_cast<char>(byte(rng)));
    auto once = SanitizeDeviceName(raw);
    if (!once) continue;
    EXPECT_EQ(SanitizeDeviceName(*once), once);
  }
}

// --- aggregating one scan ---------------------------------------------------------------------

Advert MakeAdvert(std::string address, std::optional<int> rssi,
                  std::optional<std::string> name = std::nullopt, std::string type = "public") {
  Advert advert;
  advert.address = std::move(address);
  advert.address_type = std::move(type);
  advert.rssi = rssi;
  advert.name = std::move(name);
  return advert;
}

MacAddress Mac(std::string_view text) { return MacAddress::Parse(text).value(); }

TEST(AScanAggregator, WithoutAdvertsHasNoReadings) {
  ScanAggregator aggregator;
  EXPECT_THAT(aggregator.Readings(), IsEmpty());
  EXPECT_EQ(aggregator.stats(), ScanStats{});
}

TEST(AScanAggregator, FoldsManyAdvertsOfOneDeviceIntoOneReading) {
  ScanAggregator aggregator;
  aggregator.Add(MakeAdvert("AA:BB:CC:DD:EE:01", -80));
  aggregator.Add(MakeAdvert("AA:BB:CC:DD:EE:01", -62));
  aggregator.Add(MakeAdvert("AA:BB:CC:DD:EE:01", -71));
  auto readings = aggregator.Readings();
  ASSERT_EQ(readings.size(), 1u);
  EXPECT_EQ(readings[0].mac, Mac("AA:BB:CC:DD:EE:01"));
  EXPECT_EQ(readings[0].rssi, -62);
  EXPECT_EQ(readings[0].advert_count, 3);
}

TEST(AScanAggregator, TreatsDifferentSpellingsOfOneAddressAsOneDevice) {
  ScanAggregator aggregator;
  aggregator.Add(MakeAdvert("aa:bb:cc:dd:ee:01", -80));
  aggregator.Add(MakeAdvert("AA-BB-CC-DD-EE-01", -70));
  aggregator.Add(MakeAdvert("AABBCCDDEE01", -75));
  auto readings = aggregator.Readings();
  ASSERT_EQ(readings.size(), 1u);
  EXPECT_EQ(readings[0].advert_count, 3);
  EXPECT_EQ(readings[0].rssi, -70);
}

TEST(AScanAggregator, KeepsTheStrongestRssiWhateverTheOrder) {
  std::vector<int> rssis = {-90, -45, -127, 20, -3, -100};
  std::mt19937 rng(5);
  for (int round = 0; round < 20; ++round) {
    std::shuffle(rssis.begin(), rssis.end(), rng);
    ScanAggregator aggregator;
    for (int rssi : rssis) aggregator.Add(MakeAdvert("00:11:22:33:44:55", rssi));
    auto readings = aggregator.Readings();
    ASSERT_EQ(readings.size(), 1u);
    EXPECT_EQ(readings[0].rssi, 20);
  }
}

TEST(AScanAggregator, KeepsTheLatestNonEmptyName) {
  ScanAggregator aggregator;
  aggregator.Add(MakeAdvert("00:11:22:33:44:55", -60, "Old name"));
  aggregator.Add(MakeAdvert("00:11:22:33:44:55", -60, "New name"));
  aggregator.Add(MakeAdvert("00:11:22:33:44:55", -60, std::nullopt));
  aggregator.Add(MakeAdvert("00:11:22:33:44:55", -60, ""));
  aggregator.Add(MakeAdvert("00:11:22:33:44:55", -60, "\n\t"));  // empty once sanitized
  auto readings = aggregator.Readings();
  ASSERT_EQ(readings.size(), 1u);
  EXPECT_THAT(readings[0].name, Optional(std::string("New name")));
}

TEST(AScanAggregator, SanitizesNames) {
  ScanAggregator aggregator;
  aggregator.Add(MakeAdvert("00:11:22:33:44:55", -60, "Wat\tch\xFF"));
  auto readings = aggregator.Readings();
  ASSERT_EQ(readings.size(), 1u);
  EXPECT_THAT(readings[0].name, Optional("Watch" + std::string(kReplacement)));
}

TEST(AScanAggregator, LeavesANamelessDeviceWithoutName) {
  ScanAggregator aggregator;
  aggregator.Add(MakeAdvert("00:11:22:33:44:55", -60));
  auto readings = aggregator.Readings();
  ASSERT_EQ(readings.size(), 1u);
  EXPECT_EQ(readings[0].name, std::nullopt);
}

TEST(AScanAggregator, ClassifiesTheAddressFromItsTypeAndBits) {
  ScanAggregator aggregator;
  aggregator.Add(MakeAdvert("C1:00:00:00:00:01", -60, std::nullopt, "random"));
  aggregator.Add(MakeAdvert("41:00:00:00:00:02", -60, std::nullopt, "random"));
  aggregator.Add(MakeAdvert("01:00:00:00:00:03", -60, std::nullopt, "random"));
  aggregator.Add(MakeAdvert("C1:00:00:00:00:04", -60, std::nullopt, "public"));
  aggregator.Add(MakeAdvert("C1:00:00:00:00:05", -60, std::nullopt, ""));  // unknown → public
  auto readings = aggregator.Readings();
  ASSERT_EQ(readings.size(), 5u);
  std::map<MacAddress, AddressClass> classes;
  for (const auto& r : readings) classes[r.mac] = r.address_class;
  EXPECT_EQ(classes[Mac("C1:00:00:00:00:01")], AddressClass::kRandomStatic);
  EXPECT_EQ(classes[Mac("41:00:00:00:00:02")], AddressClass::kResolvablePrivate);
  EXPECT_EQ(classes[Mac("01:00:00:00:00:03")], AddressClass::kNonResolvable);
  EXPECT_EQ(classes[Mac("C1:00:00:00:00:04")], AddressClass::kPublic);
  EXPECT_EQ(classes[Mac("C1:00:00:00:00:05")], AddressClass::kPublic);
}

TEST(AScanAggregator, OrdersReadingsByMacAddress) {
  ScanAggregator aggregator;
  for (const char* mac :
       {"FF:00:00:00:00:00", "00:00:00:00:00:02", "80:00:00:00:00:00", "00:00:00:00:00:01"}) {
    aggregator.Add(MakeAdvert(mac, -50));
  }
  std::vector<std::string> order;
  for (const auto& r : aggregator.Readings()) order.push_back(r.mac.ToString());
  EXPECT_THAT(order, ElementsAre("00:00:00:00:00:01", "00:00:00:00:00:02", "80:00:00:00:00:00",
                                 "FF:00:00:00:00:00"));
}

TEST(AScanAggregator, CollectsCompanyIdsSortedAndUnique) {
  ScanAggregator aggregator;
  Advert first = MakeAdvert("00:11:22:33:44:55", -60);
  first.company_ids = {0x004C, 0x0006, 0x004C};
  Advert second = MakeAdvert("00:11:22:33:44:55", -61);
  second.company_ids = {0x0075, 0x0006};
  aggregator.Add(first);
  aggregator.Add(second);
  auto readings = aggregator.Readings();
  ASSERT_EQ(readings.size(), 1u);
  EXPECT_THAT(readings[0].company_ids, ElementsAre(0x0006, 0x004C, 0x0075));
}

TEST(AScanAggregator, KeepsBoundedPayloadLatestPerCompany) {
  ScanAggregator aggregator;
  Advert first = MakeAdvert("00:11:22:33:44:55", -60);
  first.payload.manufacturer_data = {
      {.company_id = 0x004C, .prefix = {0x10, 0x05}},
      {.company_id = 0x0006, .prefix = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}};
  first.payload.service_uuids = {0xFE9F, 0x180F};
  first.payload.appearance = 0x0040;
  Advert second = MakeAdvert("00:11:22:33:44:55", -61);
  second.payload.manufacturer_data = {{.company_id = 0x004C, .prefix = {0x12, 0x19}}};
  second.payload.service_uuids = {0x180F, 0xFD5A};
  second.payload.monitor_beacon = MonitorBeacon{.monitor_id = 7, .tx_power = 4};
  aggregator.Add(first);
  aggregator.Add(second);
  const auto readings = aggregator.Readings();
  ASSERT_EQ(readings.size(), 1u);
  EXPECT_THAT(
      readings[0].payload.manufacturer_data,
      ElementsAre(ManufacturerPrefix{.company_id = 0x0006, .prefix = {1, 2, 3, 4, 5, 6, 7, 8}},
                  ManufacturerPrefix{.company_id = 0x004C, .prefix = {0x12, 0x19}}));
  EXPECT_THAT(readings[0].payload.service_uuids, ElementsAre(0x180F, 0xFD5A, 0xFE9F));
  EXPECT_EQ(readings[0].payload.appearance, 0x0040);
  EXPECT_EQ(readings[0].payload.monitor_beacon, (MonitorBeacon{.monitor_id = 7, .tx_power = 4}));
}

TEST(AScanAggregator, KeepsAtMostEightServiceUuids) {
  ScanAggregator aggregator;
  Advert advert = MakeAdvert("00:11:22:33:44:55", -60);
  for (std::uint16_t uuid = 1; uuid <= 12; ++uuid) advert.payload.service_uuids.push_back(uuid);
  aggregator.Add(advert);
  EXPECT_EQ(aggregator.Readings()[0].payload.service_uuids.size(), kMaxServiceUuids);
}

TEST(AScanAggregator, DropsAndCountsUnknownRssi) {
  ScanAggregator aggregator;
  aggregator.Add(MakeAdvert("00:11:22:33:44:55", 127));
  aggregator.Add(MakeAdvert("00:11:22:33:44:56", -60));
  auto readings = aggregator.Readings();
  ASSERT_EQ(readings.size(), 1u);
  EXPECT_EQ(readings[0].mac, Mac("00:11:22:33:44:56"));
  EXPECT_EQ(aggregator.stats().dropped_unknown_rssi, 1);
  EXPECT_EQ(aggregator.stats().dropped_invalid_rssi, 0);
}

TEST(AScanAggregator, DropsAndCountsOutOfRangeRssi) {
  ScanAggregator aggregator;
  aggregator.Add(MakeAdvert("00:11:22:33:44:55", 21));
  aggregator.Add(MakeAdvert("00:11:22:33:44:55", -128));
  aggregator.Add(MakeAdvert("00:11:22:33:44:55", INT_MAX));
  EXPECT_THAT(aggregator.Readings(), IsEmpty());
  EXPECT_EQ(aggregator.stats().dropped_invalid_rssi, 3);
  EXPECT_EQ(aggregator.stats().dropped_unknown_rssi, 0);
}

TEST(AScanAggregator, DoesNotLetADroppedAdvertCountOrWin) {
  ScanAggregator aggregator;
  aggregator.Add(MakeAdvert("00:11:22:33:44:55", -70, "Kept"));
  aggregator.Add(MakeAdvert("00:11:22:33:44:55", 127, "Unknown rssi"));
  aggregator.Add(MakeAdvert("00:11:22:33:44:55", 50, "Absurd rssi"));
  auto readings = aggregator.Readings();
  ASSERT_EQ(readings.size(), 1u);
  EXPECT_EQ(readings[0].rssi, -70);
  EXPECT_EQ(readings[0].advert_count, 1);
  EXPECT_THAT(readings[0].name, Optional(std::string("Kept")));
}

TEST(AScanAggregator, DropsAndCountsAdvertsWithoutRssi) {
  ScanAggregator aggregator;
  aggregator.Add(MakeAdvert("00:11:22:33:44:55", std::nullopt));
  EXPECT_THAT(aggregator.Readings(), IsEmpty());
  EXPECT_EQ(aggregator.stats().dropped_no_rssi, 1);
}

TEST(AScanAggregator, DropsAndCountsUnparsableAddresses) {
  ScanAggregator aggregator;
  for (const char* bad : {"", "not a mac", "AA:BB:CC:DD:EE", "AA:BB:CC:DD:EE:GG"}) {
    aggregator.Add(MakeAdvert(bad, -60));
  }
  EXPECT_THAT(aggregator.Readings(), IsEmpty());
  EXPECT_EQ(aggregator.stats().dropped_invalid_address, 4);
}

TEST(AScanAggregator, CountsEveryAdvertItWasGiven) {
  ScanAggregator aggregator;
  aggregator.Add(MakeAdvert("00:11:22:33:44:55", -60));
  aggregator.Add(MakeAdvert("00:11:22:33:44:55", 127));
  aggregator.Add(MakeAdvert("00:11:22:33:44:55", 99));
  aggregator.Add(MakeAdvert("00:11:22:33:44:55", std::nullopt));
  aggregator.Add(MakeAdvert("nonsense", -60));
  aggregator.Add(MakeAdvert("00:11:22:33:44:66", -61));
  const ScanStats& stats = aggregator.stats();
  EXPECT_EQ(stats.adverts, 6);
  EXPECT_EQ(stats.dropped_unknown_rssi + stats.dropped_invalid_rssi + stats.dropped_no_rssi +
                stats.dropped_invalid_address,
            4);
  int kept = 0;
  for (const auto& r : aggregator.Readings()) kept += r.advert_count;
  EXPECT_EQ(kept, 2);
}

TEST(AScanAggregator, AccountsForEveryAdvertUnderRandomInput) {
  // Conservation: every advert is either in some reading's advert_count or in a drop counter,
  // and each reading's RSSI is the maximum of the valid RSSIs heard from its device.
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> device(0, 9);
  std::uniform_int_distribution<int> rssi(-140, 130);
  std::uniform_int_distribution<int> kind(0, 19);
  for (int round = 0; round < 50; ++round) {
    ScanAggregator aggregator;
    std::map<MacAddress, int> strongest;
    const int adverts = 200;
    for (int i = 0; i < adverts; ++i) {
      const auto d = static_cast<std::uint8_t>(device(rng));
      const MacAddress mac = MacAddress::FromBytes({0x10, 0x20, 0x30, 0x40, 0x50, d});
      Advert advert = MakeAdvert(mac.ToString(), rssi(rng));
      const int k = kind(rng);
      if (k == 0) advert.rssi.reset();
      if (k == 1) advert.rssi = 127;
      if (k == 2) advert.address = "XX" + advert.address.substr(2);
      if (advert.rssi && k != 2 && CheckRssi(*advert.rssi) == RssiVerdict::kValid) {
        auto [it, inserted] = strongest.try_emplace(mac, *advert.rssi);
        if (!inserted) it->second = std::max(it->second, *advert.rssi);
      }
      aggregator.Add(advert);
    }
    const ScanStats& stats = aggregator.stats();
    int counted = 0;
    std::map<MacAddress, int> seen;
    for (const auto& r : aggregator.Readings()) {
      counted += r.advert_count;
      seen[r.mac] = r.rssi;
    }
    EXPECT_EQ(stats.adverts, adverts);
    EXPECT_EQ(counted + stats.dropped_unknown_rssi + stats.dropped_invalid_rssi +
                  stats.dropped_no_rssi + stats.dropped_invalid_address,
              adverts);
    EXPECT_EQ(seen, strongest);
  }
}

}  // namespace
}  // namespace blemon
