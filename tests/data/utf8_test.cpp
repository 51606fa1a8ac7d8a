// UTF-8 decoding against the Unicode Standard's examples.
#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::data;

// Unicode 15, section 3.9, Table 3-8 (U+FFFD for maximal subparts):
// 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64 -> a FFFD FFFD FFFD b FFFD c FFFD FFFD d.
TEST(Utf8, ReplacementFollowsUnicodeTable3_8) {
  const std::string bytes = "\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64";
  EXPECT_EQ(decode_utf8(bytes),
            (std::vector<char32_t>{'a', 0xFFFD, 0xFFFD, 0xFFFD, 'b', 0xFFFD, 'c', 0xFFFD, 0xFFFD, 'd'}));
  EXPECT_EQ(replace_invalid_utf8(bytes), "a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd");
  EXPECT_EQ(find_invalid_utf8(bytes), std::optional<std::size_t>(1));
}

TEST(Utf8, WellFormedBoundaries) {
  // First and last code points of each length, from Table 3-7.
  EXPECT_EQ(decode_utf8("\x7F\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF"),
            (std::vector<char32_t>{0x7F, 0x80, 0x7FF, 0x800, 0xFFFF, 0x10000, 0x10FFFF}));
  EXPECT_EQ(find_invalid_utf8("h\u00e9llo \u4e16\u754c \U0001F600"), std::nullopt);
  EXPECT_EQ(find_invalid_utf8(std::string("a\0b", 3)), std::nullopt);  // NUL is a character
}

TEST(Utf8, IllFormedSequences) {
  // Overlong (C0 AF, E0 80 AF, F0 80 80 AF), surrogate (ED A0 80), above U+10FFFF (F4 90 80 80),
  // never-used bytes (F5..FF), lone continuation, truncated at the end.
  for (const char* bad : {"\xC0\xAF", "\xE0\x80\xAF", "\xF0\x80\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xF5",
                          "\xFF", "\x80", "\xE2\x82"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(find_invalid_utf8(std::string("ok") + bad), std::optional<std::size_t>(2));
  }
  EXPECT_EQ(decode_utf8("\xED\xA0\x80").size(), 3u);  // ED, A0, 80 each replaced
  EXPECT_EQ(decode_utf8("\xE2\x82").size(), 1u);      // one maximal subpart
}

TEST(Utf8, EncodeAndOrigins) {
  EXPECT_EQ(encode_utf8({'A', 0xE9, 0x20AC, 0x1F600}), "A\u00e9\u20ac\U0001F600");
  EXPECT_EQ(encode_utf8({0xD800, 0x110000}), "\uFFFD\uFFFD");
  EXPECT_EQ(checked_utf8("fine", "error", {}), "fine");
  EXPECT_EQ(checked_utf8("a\xFF", "replace", {}), "a\uFFFD");
  EXPECT_LAMINA_ERROR(checked_utf8("text\xC3", "error", {.source = "in.txt", .line = 7}), lm::ValueError, {
    EXPECT_THAT(msg, ::testing::HasSubstr("invalid UTF-8 in line 7 of 'in.txt'"));
    EXPECT_THAT(msg, ::testing::HasSubstr("cut off by the end"));
  });
  EXPECT_LAMINA_ERROR(checked_utf8("\xF4\x90\x80\x80", "error", {}), lm::ValueError, {
    EXPECT_THAT(msg, ::testing::HasSubstr("above U+10FFFF"));
    EXPECT_THAT(msg, ::testing::HasSubstr("\\xF4\\x90\\x80\\x80"));
  });
}
