// pad_sequences against Keras's documented examples and hand-derived cases.
#include "test_util.hpp"

namespace lm = lamina;
using lm::data::pad_sequences;
using ::testing::HasSubstr;

namespace {
const std::vector<std::vector<std::int64_t>> kKeras = {{1}, {2, 3}, {4, 5, 6}};
}

// The four examples of keras.utils.pad_sequences's docstring.
TEST(PadSequences, KerasDocstringDefaultPadsBefore) {
  auto x = pad_sequences(kKeras);
  EXPECT_EQ(x.dtype(), lm::Int32);
  EXPECT_SHAPE(x, lm::Shape{3, 3});
  EXPECT_VALUES(x, {0, 0, 1, 0, 2, 3, 4, 5, 6});
  EXPECT_MASK(x, (lm::Shape{3, 3}), {false, false, true, false, true, true, true, true, true});
}

TEST(PadSequences, KerasDocstringValue) {
  auto x = pad_sequences(kKeras, {.value = -1});
  EXPECT_VALUES(x, {-1, -1, 1, -1, 2, 3, 4, 5, 6});
  EXPECT_MASK(x, (lm::Shape{3, 3}), {false, false, true, false, true, true, true, true, true});
}

TEST(PadSequences, KerasDocstringPaddingPost) {
  auto x = pad_sequences(kKeras, {.padding = "post"});
  EXPECT_VALUES(x, {1, 0, 0, 2, 3, 0, 4, 5, 6});
  EXPECT_MASK(x, (lm::Shape{3, 3}), {true, false, false, true, true, false, true, true, true});
}

TEST(PadSequences, KerasDocstringMaxlenTruncatesTheStart) {
  auto x = pad_sequences(kKeras, {.maxlen = 2});
  EXPECT_SHAPE(x, lm::Shape{3, 2});
  EXPECT_VALUES(x, {0, 1, 2, 3, 5, 6});
  EXPECT_MASK(x, (lm::Shape{3, 2}), {false, true, true, true, true, true});
}

// The remaining padding x truncating combinations, derived by hand from Keras's code
// (trunc = s[-maxlen:] or s[:maxlen]; x[i, -len:] or x[i, :len] = trunc).
TEST(PadSequences, EveryPaddingTruncatingCombination) {
  const std::vector<std::vector<std::int64_t>> s = {{1}, {2, 3}, {4, 5, 6}, {}};
  struct Case {
    const char* padding;
    const char* truncating;
    std::vector<double> values;
    std::vector<bool> mask;
  };
  const Case cases[] = {
      {"pre", "pre", {0, 1, 2, 3, 5, 6, 0, 0}, {false, true, true, true, true, true, false, false}},
      {"pre", "post", {0, 1, 2, 3, 4, 5, 0, 0}, {false, true, true, true, true, true, false, false}},
      {"post", "pre", {1, 0, 2, 3, 5, 6, 0, 0}, {true, false, true, true, true, true, false, false}},
      {"post", "post", {1, 0, 2, 3, 4, 5, 0, 0}, {true, false, true, true, true, true, false, false}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.padding) + "/" + c.truncating);
    auto x = pad_sequences(s, {.maxlen = 2, .padding = c.padding, .truncating = c.truncating});
    EXPECT_SHAPE(x, lm::Shape{4, 2});
    EXPECT_VALUES(x, c.values);
    EXPECT_MASK(x, (lm::Shape{4, 2}), c.mask);
  }
}

TEST(PadSequences, LongerMaxlenPadsEverySequence) {
  auto x = pad_sequences({{7, 8}}, {.maxlen = 4, .padding = "post", .value = 9});
  EXPECT_VALUES(x, {7, 8, 9, 9});
  EXPECT_MASK(x, (lm::Shape{1, 4}), {true, true, false, false});
}

TEST(PadSequences, MaskMarksValuesEvenWhenTheyEqualThePaddingValue) {
  auto x = pad_sequences({{0, 5}, {0}}, {.maxlen = 3});
  EXPECT_VALUES(x, {0, 0, 5, 0, 0, 0});
  EXPECT_MASK(x, (lm::Shape{2, 3}), {false, true, true, false, false, true});
}

TEST(PadSequences, EmptySequencesAreAllPadding) {
  auto x = pad_sequences({{}, {7}, {}});
  EXPECT_SHAPE(x, lm::Shape{3, 1});
  EXPECT_VALUES(x, {0, 7, 0});
  EXPECT_MASK(x, (lm::Shape{3, 1}), {false, true, false});
  auto all_empty = pad_sequences({{}, {}});
  EXPECT_SHAPE(all_empty, lm::Shape{2, 0});
  EXPECT_MASK(all_empty, (lm::Shape{2, 0}), {});
}

TEST(PadSequences, MaxlenZeroGivesNoColumnsWhereKerasFails) {
  // Keras: truncating "pre" takes s[-0:] == s and fails to broadcast it into 0 columns.
  for (const char* t : {"pre", "post"}) {
    auto x = pad_sequences(kKeras, {.maxlen = 0, .truncating = t});
    EXPECT_SHAPE(x, lm::Shape{3, 0});
    EXPECT_TRUE(x.has_mask());
  }
}

TEST(PadSequences, NoSequences) {
  EXPECT_SHAPE(pad_sequences({}), lm::Shape{0, 0});
  EXPECT_SHAPE(pad_sequences({}, {.maxlen = 5}), lm::Shape{0, 5});
}

TEST(PadSequences, OtherDtypes) {
  auto f = pad_sequences({{1, 2}, {3}}, {.padding = "post", .value = 0.5, .dtype = lm::Float32});
  EXPECT_EQ(f.dtype(), lm::Float32);
  EXPECT_VALUES(f, {1, 2, 3, 0.5});
  const std::int64_t big = std::int64_t{1} << 40;
  auto l = pad_sequences({{big}, {}}, {.dtype = lm::Int64});
  EXPECT_EQ(l.dtype(), lm::Int64);
  EXPECT_EQ(l.to_vector<std::int64_t>(), (std::vector<std::int64_t>{big, 0}));
  auto d = pad_sequences({{1}}, {.maxlen = 2, .value = -0.25, .dtype = lm::Float64});
  EXPECT_VALUES(d, {-0.25, 1});
}

TEST(PadSequences, BadOptionsNameTheOption) {
  EXPECT_LAMINA_ERROR(pad_sequences(kKeras, {.padding = "middle"}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("padding"));
    EXPECT_THAT(msg, HasSubstr("\"middle\""));
    EXPECT_THAT(msg, HasSubstr("pad_sequences"));
  });
  EXPECT_LAMINA_ERROR(pad_sequences(kKeras, {.truncating = "both"}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("truncating = \"both\"")); });
  // Checked even when no sequence needs padding (Keras checks only while filling rows).
  EXPECT_LAMINA_ERROR(pad_sequences({}, {.padding = "x"}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("padding")); });
  EXPECT_LAMINA_ERROR(pad_sequences(kKeras, {.maxlen = -1}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("maxlen = -1")); });
  EXPECT_LAMINA_ERROR(pad_sequences(kKeras, {.dtype = lm::Bool}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("dtype")); });
  EXPECT_LAMINA_ERROR(pad_sequences(kKeras, {.value = 1.5}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("value = 1.5"));
    EXPECT_THAT(msg, HasSubstr("int32"));
  });
  EXPECT_LAMINA_ERROR(pad_sequences(kKeras, {.value = 3e9}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("value")); });
}

TEST(PadSequences, AHugeMaxlenIsAnErrorNotACrash) {
  EXPECT_LAMINA_ERROR(pad_sequences({{1}, {2}}, {.maxlen = std::int64_t{1} << 62}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("memory")); });
}

TEST(PadSequences, ValuesBeyondInt32NameTheSequenceAndPosition) {
  EXPECT_LAMINA_ERROR(pad_sequences({{1}, {2, std::int64_t{1} << 31}}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("sequence 1"));
    EXPECT_THAT(msg, HasSubstr("2147483648 at position 1"));
    EXPECT_THAT(msg, HasSubstr("lm::Int64"));
  });
  // A value that is truncated away is never converted.
  auto x = pad_sequences({{std::int64_t{1} << 31, 5}}, {.maxlen = 1});
  EXPECT_VALUES(x, {5});
}
