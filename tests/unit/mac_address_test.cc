#include "blemon/mac_address.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace blemon {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

MacAddress Mac(std::string_view text) {
  auto mac = MacAddress::Parse(text);
  EXPECT_TRUE(mac.has_value()) << text;
  return mac.value_or(MacAddress::FromBytes({}));
}

// --- parsing the forms users and radios write -----------------------------------------------

TEST(AMacAddress, ParsesUpperCaseWithColons) {
  auto mac = MacAddress::Parse("AA:BB:CC:DD:EE:0F");
  ASSERT_TRUE(mac.has_value());
  EXPECT_EQ(mac->bytes(), (std::array<std::uint8_t, 6>{0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0x0F}));
}

TEST(AMacAddress, ParsesLowerCaseWithColons) {
  auto mac = MacAddress::Parse("aa:bb:cc:dd:ee:0f");
  ASSERT_TRUE(mac.has_value());
  EXPECT_EQ(mac->bytes(), (std::array<std::uint8_t, 6>{0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0x0F}));
}

TEST(AMacAddress, ParsesMixedCase) {
  EXPECT_EQ(Mac("aA:Bb:cC:dD:Ee:fF").ToString(), "AA:BB:CC:DD:EE:FF");
}

TEST(AMacAddress, ParsesDashes) {
  EXPECT_EQ(Mac("01-23-45-67-89-ab").ToString(), "01:23:45:67:89:AB");
}

TEST(AMacAddress, ParsesTwelveBareHexDigits) {
  EXPECT_EQ(Mac("0123456789aB").ToString(), "01:23:45:67:89:AB");
}

TEST(AMacAddress, GivesTheSameAddressForEveryAcceptedSpelling) {
  const MacAddress canonical = Mac("DE:AD:BE:EF:00:01");
  for (const char* spelling : {"de:ad:be:ef:00:01", "DE-AD-BE-EF-00-01", "de-ad-be-ef-00-01",
                               "DEADBEEF0001", "deadbeef0001"}) {
    EXPECT_EQ(Mac(spelling), canonical) << spelling;
  }
}

TEST(AMacAddress, FormatsCanonicallyWithUpperCaseAndColons) {
  auto mac = MacAddress::FromBytes({0x00, 0x1a, 0x7d, 0xda, 0x71, 0x13});
  EXPECT_EQ(mac.ToString(), "00:1A:7D:DA:71:13");
}

TEST(AMacAddress, RoundTripsThroughItsCanonicalForm) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 200; ++i) {
    std::array<std::uint8_t, 6> bytes{};
    for (auto& b : bytes) b = static_cast<std::uint8_t>(byte(rng));
    auto mac = MacAddress::FromBytes(bytes);
    auto again = MacAddress::Parse(mac.ToString());
    ASSERT_TRUE(again.has_value()) << mac.ToString();
    EXPECT_EQ(again->bytes(), bytes);
  }
}

TEST(AMacAddress, OrdersByOctetsFromTheMostSignificant) {
  EXPECT_LT(Mac("00:00:00:00:00:FF"), Mac("00:00:00:00:01:00"));
  EXPECT_LT(Mac("0A:FF:FF:FF:FF:FF"), Mac("0B:00:00:00:00:00"));
  EXPECT_EQ(Mac("0a:0b:0c:0d:0e:0f"), Mac("0A0B0C0D0E0F"));
}

// --- rejecting everything else, each with a reason -------------------------------------------

struct Malformed {
  const char* text;
  const char* why_mentions;  // a fragment the reason must contain, so it is specific
};

class AMalformedMacAddress : public ::testing::TestWithParam<Malformed> {};

TEST_P(AMalformedMacAddress, IsRejectedWithAReason) {
  std::string why;
  auto mac = MacAddress::Parse(GetParam().text, &why);
  EXPECT_FALSE(mac.has_value()) << "accepted '" << GetParam().text << "' as " << mac->ToString();
  EXPECT_THAT(why, Not(IsEmpty()));
  EXPECT_THAT(why, HasSubstr(GetParam().why_mentions));
}

TEST_P(AMalformedMacAddress, IsRejectedWithoutAReasonPointer) {
  EXPECT_FALSE(MacAddress::Parse(GetParam().text).has_value());
}

// The reasons must name what is wrong; the fragments below are the offending text, which any
// helpful message quotes (the header's example: "octet 3 'G1' is not hexadecimal").
INSTANTIATE_TEST_SUITE_P(
    Octets, AMalformedMacAddress,
    ::testing::Values(Malformed{"AA:BB:CC:G1:EE:FF", "G1"}, Malformed{"AA:BB:CC:DD:EE:FZ", "FZ"},
                      Malformed{"AA:BB:CC:DD:EE:+F", "+F"},    // sign is not hex
                      Malformed{"AA:BB:CC:DD:EE: F", " F"}));  // blank is not hex

TEST(AMalformedMacAddressReason, SaysWhichOctetIsNotHexadecimal) {
  std::string why;
  ASSERT_FALSE(MacAddress::Parse("AA:BB:CC:G1:EE:FF", &why));
  EXPECT_THAT(why, HasSubstr("'G1'"));
  EXPECT_THAT(why, HasSubstr("hex"));
}

class AMisshapenMacAddress : public ::testing::TestWithParam<const char*> {};

TEST_P(AMisshapenMacAddress, IsRejectedWithAReason) {
  std::string why;
  auto mac = MacAddress::Parse(GetParam(), &why);
  EXPECT_FALSE(mac.has_value()) << "accepted '" << GetParam() << "' as " << mac->ToString();
  EXPECT_THAT(why, Not(IsEmpty())) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, AMisshapenMacAddress,
    ::testing::Values("",                      // nothing
                      "AA:BB:CC:DD:EE",        // five octets
                      "AA:BB:CC:DD:EE:FF:00",  // seven octets
                      "AABBCCDDEE",            // ten bare digits
                      "AABBCCDDEEFF00",        // fourteen bare digits
                      "AA:BB:CC:DD:EE:F",      // short last octet
                      "A:BB:CC:DD:EE:FF",      // short first octet
                      "AAA:BB:CC:DD:EE:FF",    // long octet
                      "AA:BBB:CC:DD:EE:F",     // right length, octets misplaced
                      "AA:BB-CC:DD:EE:FF",     // mixed separators
                      "AA-BB-CC-DD-EE:FF",     // mixed separators, late
                      "AA.BB.CC.DD.EE.FF",     // dots are not a separator we accept
                      "AA BB CC DD EE FF",     // nor blanks
                      "AABB.CCDD.EEFF",        // Cisco style
                      "AA:BB:CC:DD:EE:FF:",    // trailing separator
                      ":AA:BB:CC:DD:EE:FF",    // leading separator
                      "AA::BB:CC:DD:EE:FF",    // doubled separator
                      " AA:BB:CC:DD:EE:FF",    // leading blank
                      "AA:BB:CC:DD:EE:FF ",    // trailing blank
                      "AA:BB:CC:DD:EE:FF\n",   // trailing newline
                      "0xAA:BB:CC:DD:EE:FF",   // C prefix
                      "ÄA:BB:CC:DD:EE:FF",     // non-ASCII
                      "::::::::::::::::::"));  // separators only

TEST(AMisshapenMacAddressReason, DiffersBetweenKindsOfMistake) {
  // One generic "invalid MAC" for everything would not tell the user what to fix.
  std::set<std::string> reasons;
  for (const char* text : {"AA:BB:CC:DD:EE", "AA:BB:CC:G1:EE:FF", "AA:BB-CC:DD:EE:FF", ""}) {
    std::string why;
    ASSERT_FALSE(MacAddress::Parse(text, &why)) << text;
    reasons.insert(why);
  }
  EXPECT_EQ(reasons.size(), 4u);
}

TEST(AMacAddressParser, AcceptsExactlyTheDocumentedGrammar) {
  // An independent oracle for "six hex octets, one separator (':' or '-') used throughout, or
  // none", checked against strings made by mutating valid addresses, so that most are near
  // misses. Nothing may crash, and whatever is accepted must round-trip to the same bytes.
  const std::regex grammar(
      "[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\\1[0-9A-Fa-f]{2}){4}|[0-9A-Fa-f]{12}");
  static constexpr char kAlphabet[] = "0123456789abcdefABCDEFgG:-. \0\xff";
  const std::string alphabet(kAlphabet, sizeof kAlphabet - 1);  // keeps the NUL, drops the end
  const std::vector<std::string> seeds = {"AA:BB:CC:DD:EE:FF", "01-23-45-67-89-ab", "0123456789ab"};
  std::mt19937 rng(42);
  auto below = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  int accepted = 0;
  int rejected = 0;
  for (int i = 0; i < 20'000; ++i) {
    std::string text = seeds[below(seeds.size())];
    for (std::size_t edits = below(3) + (i % 5 == 0 ? 0 : 1); edits > 0; --edits) {
      const char c = alphabet[below(alphabet.size())];
      switch (below(3)) {
        case 0:
          if (!text.empty()) text[below(text.size())] = c;
          break;
        case 1:
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(below(text.size() + 1)), c);
          break;
        default:
          if (!text.empty()) text.erase(below(text.size()), 1);
      }
    }
    std::string why;
    auto mac = MacAddress::Parse(text, &why);
    const bool valid = std::regex_match(text, grammar);
    ASSERT_EQ(mac.has_value(), valid) << "'" << text << "' " << why;
    if (mac) {
      ++accepted;
      EXPECT_EQ(MacAddress::Parse(mac->ToString()), mac) << text;
    } else {
      ++rejected;
      EXPECT_THAT(why, Not(IsEmpty())) << text;
    }
  }
  // The generator must exercise both sides, or the oracle proved nothing.
  EXPECT_GT(accepted, 1000);
  EXPECT_GT(rejected, 1000);
}

// --- address classes -------------------------------------------------------------------------

TEST(AMacAddressClass, IsPublicForAPublicAddressWhateverItsBits) {
  for (const char* text :
       {"C0:00:00:00:00:01", "40:00:00:00:00:01", "00:00:00:00:00:01", "80:00:00:00:00:01"}) {
    EXPECT_EQ(Mac(text).Classify(AddressType::kPublic), AddressClass::kPublic) << text;
  }
}

TEST(AMacAddressClass, IsRandomStaticWhenTheTopBitsAre11) {
  EXPECT_EQ(Mac("C0:00:00:00:00:01").Classify(AddressType::kRandom), AddressClass::kRandomStatic);
  EXPECT_EQ(Mac("FF:FF:FF:FF:FF:FF").Classify(AddressType::kRandom), AddressClass::kRandomStatic);
  EXPECT_EQ(Mac("D3:12:34:56:78:9A").Classify(AddressType::kRandom), AddressClass::kRandomStatic);
}

TEST(AMacAddressClass, IsResolvablePrivateWhenTheTopBitsAre01) {
  EXPECT_EQ(Mac("40:00:00:00:00:01").Classify(AddressType::kRandom),
            AddressClass::kResolvablePrivate);
  EXPECT_EQ(Mac("7F:FF:FF:FF:FF:FF").Classify(AddressType::kRandom),
            AddressClass::kResolvablePrivate);
  EXPECT_EQ(Mac("5A:12:34:56:78:9A").Classify(AddressType::kRandom),
            AddressClass::kResolvablePrivate);
}

TEST(AMacAddressClass, IsNonResolvableWhenTheTopBitsAre00) {
  EXPECT_EQ(Mac("00:00:00:00:00:01").Classify(AddressType::kRandom), AddressClass::kNonResolvable);
  EXPECT_EQ(Mac("3F:FF:FF:FF:FF:FF").Classify(AddressType::kRandom), AddressClass::kNonResolvable);
}

TEST(AMacAddressClass, IsReservedWhenTheTopBitsAre10) {
  EXPECT_EQ(Mac("80:00:00:00:00:01").Classify(AddressType::kRandom), AddressClass::kReserved);
  EXPECT_EQ(Mac("BF:FF:FF:FF:FF:FF").Classify(AddressType::kRandom), AddressClass::kReserved);
}

TEST(AMacAddressClass, DependsOnlyOnTheFirstOctetsTopBits) {
  // The low six bits of the first octet and every other octet are irrelevant.
  for (int first = 0; first < 256; ++first) {
    const auto top = static_cast<std::uint8_t>(first & 0xC0);
    auto mac =
        MacAddress::FromBytes({static_cast<std::uint8_t>(first), 0x12, 0x34, 0x56, 0x78, 0x9A});
    auto reference = MacAddress::FromBytes({top, 0, 0, 0, 0, 0});
    EXPECT_EQ(mac.Classify(AddressType::kRandom), reference.Classify(AddressType::kRandom))
        << first;
  }
}

TEST(AnAddressClassName, RoundTripsForEveryClass) {
  std::set<std::string_view> names;
  for (auto c :
       {AddressClass::kPublic, AddressClass::kRandomStatic, AddressClass::kResolvablePrivate,
        AddressClass::kNonResolvable, AddressClass::kReserved}) {
    std::string_view name = ToString(c);
    EXPECT_THAT(std::string(name), Not(IsEmpty()));
    names.insert(name);
    EXPECT_EQ(AddressClassFromString(name), c) << name;
  }
  EXPECT_EQ(names.size(), 5u) << "two classes share a name";
}

TEST(AnAddressClassName, IsNulloptWhenUnknown) {
  EXPECT_EQ(AddressClassFromString(""), std::nullopt);
  EXPECT_EQ(AddressClassFromString("martian"), std::nullopt);
}

TEST(AnAddressType, ParsesBlueZsWords) {
  EXPECT_EQ(AddressTypeFromString("public"), AddressType::kPublic);
  EXPECT_EQ(AddressTypeFromString("random"), AddressType::kRandom);
}

TEST(AnAddressType, IsNulloptForAnythingElse) {
  for (const char* text : {"", "static", "publics", "rand", " public"}) {
    EXPECT_EQ(AddressTypeFromString(text), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace blemon
