// TextVectorization: vocabularies and ids derived by hand, Keras's docstring examples,
// Unicode lowercasing and punctuation, character level, invalid UTF-8.
#include "test_util.hpp"

namespace lm = lamina;
using lm::data::TextVectorization;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Strings = std::vector<std::string>;

// keras.layers.TextVectorization's docstring: adapt(["foo bar", "bar baz", "baz bada boom"])
// then ["foo qux bar", "qux baz"] -> [[4, 1, 3, 0], [1, 2, 0, 0]].
TEST(TextVectorization, KerasDocstringAdaptExample) {
  TextVectorization v({.max_tokens = 5000, .output_sequence_length = 4});
  v.adapt({"foo bar", "bar baz", "baz bada boom"});
  // bar and baz twice, then foo, boom, bada once; ties: the token that sorts later first.
  EXPECT_EQ(v.vocabulary(), (Strings{"", "[UNK]", "baz", "bar", "foo", "boom", "bada"}));
  EXPECT_EQ(v.vocabulary_size(), 7);
  auto x = v.vectorize({"foo qux bar", "qux baz"});
  EXPECT_EQ(x.dtype(), lm::Int32);
  EXPECT_SHAPE(x, lm::Shape{2, 4});
  EXPECT_VALUES(x, {4, 1, 3, 0, 1, 2, 0, 0});
  EXPECT_MASK(x, (lm::Shape{2, 4}), {true, true, true, false, true, true, false, false});
}

// The docstring's second example: a vocabulary given directly.
TEST(TextVectorization, KerasDocstringVocabularyExample) {
  TextVectorization v({.output_sequence_length = 4});
  v.set_vocabulary({"earth", "wind", "and", "fire"});
  EXPECT_EQ(v.vocabulary(), (Strings{"", "[UNK]", "earth", "wind", "and", "fire"}));
  // "&" is stripped and the two spaces around it split as one.
  EXPECT_VALUES(v.vectorize({"Earth, wind & FIRE!"}), {2, 3, 5, 0});
  // The reserved tokens may also be given, in their place.
  TextVectorization w;
  w.set_vocabulary({"", "[UNK]", "earth"});
  EXPECT_EQ(w.vocabulary(), (Strings{"", "[UNK]", "earth"}));
}

TEST(TextVectorization, FrequencyOrderTiesAndMaxTokens) {
  TextVectorization v;
  v.adapt({"b a c", "c", "d d d"});
  EXPECT_EQ(v.vocabulary(), (Strings{"", "[UNK]", "d", "c", "b", "a"}));
  TextVectorization capped({.max_tokens = 4});  // 2 learned tokens
  capped.adapt({"b a c", "c", "d d d"});
  EXPECT_EQ(capped.vocabulary(), (Strings{"", "[UNK]", "d", "c"}));
  EXPECT_EQ(capped.vectorize_one("a b c d"), (std::vector<std::int64_t>{1, 1, 3, 2}));
  TextVectorization reserved_only({.max_tokens = 2});
  reserved_only.adapt({"x y"});
  EXPECT_EQ(reserved_only.vocabulary(), (Strings{"", "[UNK]"}));
  // Ties compare UTF-8 bytes: "é" (C3 A9) sorts after "z" (7A), so it comes first.
  TextVectorization bytes;
  bytes.adapt({"z é"});
  EXPECT_EQ(bytes.vocabulary(), (Strings{"", "[UNK]", "é", "z"}));
}

TEST(TextVectorization, AdaptReplacesTheVocabularyAndDropsReservedTokens) {
  TextVectorization v({.standardize = "none"});
  v.adapt({"[UNK] [UNK] [UNK] x"});
  EXPECT_EQ(v.vocabulary(), (Strings{"", "[UNK]", "x"}));
  EXPECT_EQ(v.vectorize_one("[UNK] x y"), (std::vector<std::int64_t>{1, 2, 1}));
  v.adapt({"y"});
  EXPECT_EQ(v.vocabulary(), (Strings{"", "[UNK]", "y"}));
  EXPECT_EQ(v.token_id("y"), 2);
  EXPECT_EQ(v.token_id("x"), 1);
  EXPECT_EQ(v.token_id(""), 0);
}

TEST(TextVectorization, VectorizePadsToTheLongestLineAndTruncatesAtTheEnd) {
  TextVectorization v;
  v.adapt({"a b c d e"});  // all once: e=2, d=3, c=4, b=5, a=6
  auto x = v.vectorize({"a b", "", "e d c"});
  EXPECT_SHAPE(x, lm::Shape{3, 3});
  EXPECT_VALUES(x, {6, 5, 0, 0, 0, 0, 2, 3, 4});
  EXPECT_MASK(x, (lm::Shape{3, 3}), {true, true, false, false, false, false, true, true, true});
  EXPECT_SHAPE(v.vectorize({"", "!?"}), lm::Shape{2, 0});
  EXPECT_SHAPE(v.vectorize({}), lm::Shape{0, 0});
  TextVectorization t({.output_sequence_length = 2});
  t.adapt({"a b c d e"});
  EXPECT_VALUES(t.vectorize({"a b c", "z"}), {6, 5, 1, 0});
  EXPECT_EQ(t.vectorize_one("a b c"), (std::vector<std::int64_t>{6, 5}));
  EXPECT_EQ(t.vectorize_ragged({"a b c", "", "q"}), (std::vector<std::vector<std::int64_t>>{{6, 5}, {}, {1}}));
}

TEST(TextVectorization, StandardizeModes) {
  const std::string line = "Hello, World";
  EXPECT_THAT(TextVectorization().tokenize(line), ElementsAre("hello", "world"));
  EXPECT_THAT(TextVectorization({.standardize = "lower"}).tokenize(line), ElementsAre("hello,", "world"));
  EXPECT_THAT(TextVectorization({.standardize = "strip_punctuation"}).tokenize(line), ElementsAre("Hello", "World"));
  EXPECT_THAT(TextVectorization({.standardize = "none"}).tokenize(line), ElementsAre("Hello,", "World"));
}

TEST(TextVectorization, StripsKerasPunctuationAndGeneralPunctuation) {
  TextVectorization v;
  // All 32 ASCII punctuation characters (Keras's regex) vanish, letters stay.
  EXPECT_THAT(v.tokenize("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~x"), ElementsAre("x"));
  // Curly quotes U+201C/U+201D/U+2019, em dash U+2014, ellipsis U+2026 (Austen's text has them);
  // stripping joins what they separated, as Keras does for "-".
  EXPECT_THAT(v.tokenize("It's \u201cquoted\u201d \u2014 well\u2026 (ok) a-b don\u2019t 100% c#"),
              ElementsAre("its", "quoted", "well", "ok", "ab", "dont", "100", "c"));
  EXPECT_THAT(v.tokenize("x\u2010y\u2027z"), ElementsAre("xyz"));  // both ends of U+2010..U+2027
  // Outside the class: guillemets U+00AB/U+00BB, inverted question mark U+00BF, U+2030 per mille.
  EXPECT_THAT(v.tokenize("\u00abhi\u00bb \u00bfqu\u00e9? 5\u2030"),
              ElementsAre("\u00abhi\u00bb", "\u00bfqu\u00e9", "5\u2030"));
}

TEST(TextVectorization, LowercasesLatinGreekCyrillicAndMore) {
  TextVectorization v({.standardize = "lower"});
  EXPECT_THAT(v.tokenize("ABC123 \u00c0\u00c9\u00ce\u00d5\u00dc\u00d7 \u0141\u0104\u017b\u0178 \u0130"),
              ElementsAre("abc123", "\u00e0\u00e9\u00ee\u00f5\u00fc\u00d7", "\u0142\u0105\u017c\u00ff", "i"));
  // Greek with simple mappings (no final-sigma rule: both sigmas become U+03C3).
  EXPECT_THAT(v.tokenize("\u03a3\u0391\u03a3 \u0386\u03a9 \u03c2"),
              ElementsAre("\u03c3\u03b1\u03c3", "\u03ac\u03c9", "\u03c2"));
  // Cyrillic: ПРИВЕТ, Ёж, Ѣ (U+0462), Ӂ (U+04C1).
  EXPECT_THAT(v.tokenize("\u041f\u0420\u0418\u0412\u0415\u0422 \u0401\u0436 \u0462\u04c1"),
              ElementsAre("\u043f\u0440\u0438\u0432\u0435\u0442", "\u0451\u0436", "\u0463\u04c2"));
  // Vietnamese Ạ (U+1EA0), capital sharp s U+1E9E, Armenian Ա (U+0531), fullwidth Ａ (U+FF21).
  EXPECT_THAT(v.tokenize("\u1ea0\u1e9e\u0531\uff21"), ElementsAre("\u1ea1\u00df\u0561\uff41"));
  // Not covered (docs/data.md): Latin Extended-B, e.g. U+01C4, stays as it is.
  EXPECT_THAT(v.tokenize("\u01c4"), ElementsAre("\u01c4"));
}

TEST(TextVectorization, WhitespaceSplitting) {
  TextVectorization v({.standardize = "none"});
  EXPECT_THAT(v.tokenize("  a\tb\nc \r\n d\u00a0e\u3000f\u2009g  "), ElementsAre("a", "b", "c", "d", "e", "f", "g"));
  EXPECT_TRUE(v.tokenize(" \t ").empty());
}

TEST(TextVectorization, CharacterSplitKeepsSpacesAndMultiByteCharacters) {
  TextVectorization v({.split = "character"});
  EXPECT_THAT(v.tokenize("\u00c7a va?"), ElementsAre("\u00e7", "a", " ", "v", "a"));
  TextVectorization raw({.standardize = "none", .split = "character"});
  EXPECT_THAT(raw.tokenize("\u65e5\u672c \U0001F600!"), ElementsAre("\u65e5", "\u672c", " ", "\U0001F600", "!"));
  raw.adapt({"abba", "\U0001F600"});
  // a and b twice (b sorts later, so first), the emoji once.
  EXPECT_EQ(raw.vocabulary(), (Strings{"", "[UNK]", "b", "a", "\U0001F600"}));
  EXPECT_EQ(raw.vectorize_one("ab \U0001F600c"), (std::vector<std::int64_t>{3, 2, 1, 4, 1}));
}

TEST(TextVectorization, InvalidUtf8IsAnErrorNamingLineAndByte) {
  TextVectorization v;
  EXPECT_LAMINA_ERROR(v.adapt({"fine", "caf\xE9 au lait"}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("invalid UTF-8 in line 2"));
    EXPECT_THAT(msg, HasSubstr("byte 0xE9 at byte offset 3"));
    EXPECT_THAT(msg, HasSubstr("caf\\xE9 au lait"));
    EXPECT_THAT(msg, HasSubstr("invalid_utf8 = \"replace\""));
  });
  v.adapt({"ok"});
  EXPECT_LAMINA_ERROR(v.vectorize({"ok", "ok", "\xC0\xAF"}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("line 3"));
    EXPECT_THAT(msg, HasSubstr("byte offset 0"));
  });
  EXPECT_LAMINA_ERROR(v.vectorize_one("ok \xED\xA0\x80"), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("byte offset 3"));
    EXPECT_THAT(msg, HasSubstr("surrogate"));
  });
}

TEST(TextVectorization, InvalidUtf8ReplacedByOption) {
  TextVectorization v({.standardize = "none", .invalid_utf8 = "replace"});
  // One U+FFFD per maximal invalid subpart: E9 alone; E2 82 (a cut 3-byte sequence) as one.
  EXPECT_THAT(v.tokenize("caf\xE9 \xE2\x82x"), ElementsAre("caf\uFFFD", "\uFFFDx"));
  TextVectorization chars({.standardize = "none", .split = "character", .invalid_utf8 = "replace"});
  EXPECT_THAT(chars.tokenize("a\xF0\x80\x80"), ElementsAre("a", "\uFFFD", "\uFFFD", "\uFFFD"));
}

TEST(TextVectorization, VectorizingBeforeAdaptIsAnError) {
  TextVectorization v;
  EXPECT_EQ(v.vocabulary(), (Strings{"", "[UNK]"}));
  EXPECT_FALSE(v.adapted());
  EXPECT_LAMINA_ERROR(v.vectorize({"hello"}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("no vocabulary yet"));
    EXPECT_THAT(msg, HasSubstr("adapt"));
  });
}

TEST(TextVectorization, BadOptionsNameTheOption) {
  auto make = [](lm::data::TextVectorizationOptions o) { TextVectorization v(std::move(o)); };
  EXPECT_LAMINA_ERROR(make({.max_tokens = 1}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("max_tokens = 1")); });
  EXPECT_LAMINA_ERROR(make({.standardize = "upper"}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("standardize = \"upper\""));
    EXPECT_THAT(msg, HasSubstr("\"lower_and_strip_punctuation\""));
  });
  EXPECT_LAMINA_ERROR(make({.split = "words"}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("split = \"words\"")); });
  EXPECT_LAMINA_ERROR(make({.output_sequence_length = 0}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("output_sequence_length = 0")); });
  EXPECT_LAMINA_ERROR(make({.invalid_utf8 = "ignore"}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("invalid_utf8 = \"ignore\"")); });
}

TEST(TextVectorization, SetVocabularyChecks) {
  TextVectorization v({.max_tokens = 4});
  EXPECT_LAMINA_ERROR(v.set_vocabulary({}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("empty vocabulary")); });
  EXPECT_LAMINA_ERROR(v.set_vocabulary({"a", "a"}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("vocabulary[1] = \"a\"")); });
  EXPECT_LAMINA_ERROR(v.set_vocabulary({"a", "[UNK]"}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("reserved")); });
  EXPECT_LAMINA_ERROR(v.set_vocabulary({"a", ""}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("reserved")); });
  EXPECT_LAMINA_ERROR(v.set_vocabulary({"a", "b", "c"}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("max_tokens"));
    EXPECT_THAT(msg, HasSubstr("5 tokens"));
  });
  EXPECT_LAMINA_ERROR(v.set_vocabulary({"Cat"}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("never be produced"));
    EXPECT_THAT(msg, HasSubstr("\"cat\""));
  });
  EXPECT_LAMINA_ERROR(v.set_vocabulary({"a b"}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("2 token(s)")); });
  EXPECT_LAMINA_ERROR(v.set_vocabulary({"\xFF"}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("not valid UTF-8"));
    EXPECT_THAT(msg, HasSubstr("\\xFF"));
  });
  TextVectorization chars({.split = "character"});
  EXPECT_LAMINA_ERROR(chars.set_vocabulary({"ab"}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("never be produced")); });
  chars.set_vocabulary({" ", "\u00e9"});  // a space is a character token
  EXPECT_EQ(chars.vectorize_one("\u00c9 "), (std::vector<std::int64_t>{3, 2}));
}
