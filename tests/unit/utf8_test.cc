#include "blemon/utf8.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace blemon {
namespace {

// Decodes the whole of `text` as one sequence, which the tests below expect it to be.
Utf8Sequence DecodeAll(std::string_view text) { return DecodeUtf8(text, 0); }

TEST(ADecodeUtf8, ReadsAsciiAsOneByte) {
  const Utf8Sequence s = DecodeUtf8("ab", 1);
  EXPECT_EQ(s.code_point, U'b');
  EXPECT_EQ(s.length, 1u);
}

TEST(ADecodeUtf8, ReadsTwoThreeAndFourByteSequences) {
  EXPECT_EQ(DecodeAll("\xC3\xA9").code_point, U'\u00E9');
  EXPECT_EQ(DecodeAll("\xC3\xA9").length, 2u);
  EXPECT_EQ(DecodeAll("\xE2\x82\xAC").code_point, U'\u20AC');
  EXPECT_EQ(DecodeAll("\xE2\x82\xAC").length, 3u);
  EXPECT_EQ(DecodeAll("\xF0\x9F\x98\x80").code_point, U'\U0001F600');
  EXPECT_EQ(DecodeAll("\xF0\x9F\x98\x80").length, 4u);
}

TEST(ADecodeUtf8, ReadsOnlyTheSequenceAtTheGivenPosition) {
  const std::string text = "x\xC3\xA9y";
  const Utf8Sequence s = DecodeUtf8(text, 1);
  EXPECT_EQ(s.code_point, U'\u00E9');
  EXPECT_EQ(s.length, 2u);
}

TEST(ADecodeUtf8, RejectsAStrayContinuationByte) { EXPECT_EQ(DecodeAll("\x80").length, 0u); }

TEST(ADecodeUtf8, RejectsASequenceCutShortByTheEndOfText) {
  EXPECT_EQ(DecodeAll("\xE2\x82").length, 0u);
  EXPECT_EQ(DecodeAll("\xF0\x9F\x98").length, 0u);
}

TEST(ADecodeUtf8, RejectsALeadByteFollowedByANonContinuation) {
  EXPECT_EQ(DecodeAll("\xC3"
                      "A")
                .length,
            0u);
}

TEST(ADecodeUtf8, RejectsOverlongForms) {
  EXPECT_EQ(DecodeAll("\xC0\xAF").length, 0u);          // '/' in two bytes
  EXPECT_EQ(DecodeAll("\xE0\x80\xAF").length, 0u);      // '/' in three bytes
  EXPECT_EQ(DecodeAll("\xF0\x80\x80\xAF").length, 0u);  // '/' in four bytes
}

TEST(ADecodeUtf8, RejectsSurrogatesAndValuesPastTheLastCodePoint) {
  EXPECT_EQ(DecodeAll("\xED\xA0\x80").length, 0u);      // U+D800
  EXPECT_EQ(DecodeAll("\xF4\x90\x80\x80").length, 0u);  // U+110000
  EXPECT_EQ(DecodeAll("\xF8\x88\x80\x80\x80").length, 0u);
}

TEST(ADecodeUtf8, AcceptsTheLastCodePointAndTheEdgesAroundSurrogates) {
  EXPECT_EQ(DecodeAll("\xF4\x8F\xBF\xBF").code_point, U'\U0010FFFF');
  EXPECT_EQ(DecodeAll("\xED\x9F\xBF").code_point, U'\uD7FF');
  EXPECT_EQ(DecodeAll("\xEE\x80\x80").code_point, U'\uE000');
}

}  // namespace
}  // namespace blemon
