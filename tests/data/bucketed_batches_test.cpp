// BucketedBatches: coverage, per-batch padding, masks, determinism, resuming, statistics.
#include <algorithm>
#include <numeric>
#include <set>

#include "test_util.hpp"

namespace lm = lamina;
using lm::data::BucketedBatches;
using lm::data::Sequences;
using lm::data::Targets;
using ::testing::HasSubstr;
using Indices = std::vector<std::int64_t>;

namespace {

// Ten examples of distinct lengths; example i holds 100 * i + 1, 100 * i + 2, ...
const std::vector<std::int64_t> kLengths = {5, 1, 3, 8, 2, 7, 4, 6, 9, 10};

Sequences examples(const std::vector<std::int64_t>& lengths = kLengths) {
  Sequences s;
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    std::vector<std::int64_t> seq;
    for (std::int64_t k = 1; k <= lengths[i]; ++k) seq.push_back(100 * static_cast<std::int64_t>(i) + k);
    s.push_back(seq);
  }
  return s;
}

std::vector<std::int64_t> identity(std::size_t n) {
  std::vector<std::int64_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

std::vector<Indices> arrangement(const BucketedBatches& b) {
  std::vector<Indices> out;
  for (std::int64_t i = 0; i < b.size(); ++i) out.push_back(b.batch_indices(i));
  return out;
}

}  // namespace

TEST(BucketedBatches, EveryExampleOncePerEpochAndEachBatchPaddedToItsLongest) {
  const Sequences seqs = examples();
  BucketedBatches source(seqs, Targets::labels(identity(10)), {.batch_size = 3, .seed = 11, .chunk_batches = 2});
  for (int epoch = 0; epoch < 3; ++epoch) {
    SCOPED_TRACE("epoch " + std::to_string(epoch));
    ASSERT_EQ(source.size(), 4);  // ceil(10 / 3)
    std::vector<std::int64_t> seen;
    int partial = 0;
    for (std::int64_t b = 0; b < source.size(); ++b) {
      const Indices& ids = source.batch_indices(b);
      seen.insert(seen.end(), ids.begin(), ids.end());
      partial += ids.size() < 3;
      lm::Batch batch = source.get(b);
      ASSERT_EQ(batch.x.size(), 1u);
      ASSERT_EQ(batch.y.size(), 1u);
      const lm::Tensor& x = batch.x[0];
      std::int64_t longest = 0;
      for (auto i : ids) longest = std::max(longest, kLengths[i]);
      EXPECT_EQ(x.dtype(), lm::Int32);
      ASSERT_EQ(x.shape(), (lm::Shape{static_cast<std::int64_t>(ids.size()), longest}));
      // Row r: the example's tokens, then zeros; the mask is true exactly over the tokens.
      std::vector<double> values;
      std::vector<bool> mask;
      std::vector<double> labels;
      for (auto i : ids) {
        for (std::int64_t t = 0; t < longest; ++t) {
          values.push_back(t < kLengths[i] ? 100.0 * i + t + 1 : 0.0);
          mask.push_back(t < kLengths[i]);
        }
        labels.push_back(static_cast<double>(i));
      }
      EXPECT_VALUES(x, values);
      EXPECT_MASK(x, x.shape(), mask);
      EXPECT_EQ(batch.y[0].dtype(), lm::Int32);
      EXPECT_VALUES(batch.y[0], labels);
      EXPECT_FALSE(batch.sample_weight.defined());
    }
    EXPECT_EQ(partial, 1);
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, identity(10));
    source.on_epoch_end();
  }
}

TEST(BucketedBatches, SortsWithinChunksInInputOrderWithoutShuffling) {
  // One batch per chunk: each batch is its three input examples sorted by length.
  BucketedBatches small_chunks(examples(), {.batch_size = 3, .shuffle = false, .chunk_batches = 1});
  EXPECT_EQ(arrangement(small_chunks), (std::vector<Indices>{{1, 2, 0}, {4, 5, 3}, {6, 7, 8}, {9}}));
  // One chunk: a global sort by length (1, 2, 3, ... at examples 1, 4, 2, 6, 0, 7, 5, 3, 8, 9).
  BucketedBatches one_chunk(examples(), {.batch_size = 3, .shuffle = false});
  EXPECT_EQ(arrangement(one_chunk), (std::vector<Indices>{{1, 4, 2}, {6, 0, 7}, {5, 3, 8}, {9}}));
  BucketedBatches plain(examples(), {.batch_size = 3, .shuffle = false, .bucketing = false});
  EXPECT_EQ(arrangement(plain), (std::vector<Indices>{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {9}}));
}

TEST(BucketedBatches, PaddingStatisticsBucketedAndPlain) {
  // Bucketed: batch widths 3, 6, 9, 10 -> 3*3 + 3*6 + 3*9 + 10 = 64 positions for 55 tokens.
  BucketedBatches bucketed(examples(), {.batch_size = 3, .shuffle = false});
  auto s = bucketed.padding_stats();
  EXPECT_EQ(s.tokens, 55);
  EXPECT_EQ(s.positions, 64);
  EXPECT_DOUBLE_EQ(s.padding_fraction(), 9.0 / 64.0);
  // Plain: widths 5, 8, 9, 10 -> 15 + 24 + 27 + 10 = 76 positions.
  BucketedBatches plain(examples(), {.batch_size = 3, .shuffle = false, .bucketing = false});
  EXPECT_EQ(plain.padding_stats().positions, 76);
  EXPECT_DOUBLE_EQ(plain.padding_stats().padding_fraction(), 21.0 / 76.0);
  // Shuffled with one chunk: lengths are distinct, so the batches are the same sets in another order.
  BucketedBatches shuffled(examples(), {.batch_size = 3, .seed = 5});
  std::set<Indices> sets;
  for (auto ids : arrangement(shuffled)) {
    std::sort(ids.begin(), ids.end());
    sets.insert(ids);
  }
  EXPECT_EQ(sets, (std::set<Indices>{{1, 2, 4}, {0, 6, 7}, {3, 5, 8}, {9}}));
  EXPECT_EQ(shuffled.padding_stats().positions, 64);
}

TEST(BucketedBatches, SameSeedSameBatchesAndSetEpochResumes) {
  const auto lengths = std::vector<std::int64_t>(40, 3);  // equal lengths: only shuffling decides
  BucketedBatches a(examples(lengths), {.batch_size = 4, .seed = 42});
  BucketedBatches b(examples(lengths), {.batch_size = 4, .seed = 42});
  BucketedBatches other(examples(lengths), {.batch_size = 4, .seed = 43});
  std::vector<std::vector<Indices>> epochs;
  for (int e = 0; e < 3; ++e) {
    EXPECT_EQ(arrangement(a), arrangement(b));
    epochs.push_back(arrangement(a));
    a.on_epoch_end();
    b.on_epoch_end();
  }
  EXPECT_NE(epochs[0], epochs[1]);
  EXPECT_NE(epochs[1], epochs[2]);
  EXPECT_NE(arrangement(other), epochs[0]);
  EXPECT_EQ(a.epoch(), 3);
  BucketedBatches resumed(examples(lengths), {.batch_size = 4, .seed = 42});
  resumed.set_epoch(2);
  EXPECT_EQ(resumed.epoch(), 2);
  EXPECT_EQ(arrangement(resumed), epochs[2]);
  resumed.set_epoch(0);
  EXPECT_EQ(arrangement(resumed), epochs[0]);
  // The batch contents follow the arrangement, so the tensors are identical too.
  BucketedBatches again(examples(lengths), {.batch_size = 4, .seed = 42});
  EXPECT_EQ(again.get(3).x[0].to_vector<std::int32_t>(), resumed.get(3).x[0].to_vector<std::int32_t>());
}

TEST(BucketedBatches, PerTimestepLabelsArePaddedLikeTheInputs) {
  // A language model's data: inputs s[0..n-2], labels s[1..n-1].
  Sequences text = {{5, 6, 7, 8}, {9, 10}, {11, 12, 13}};
  Sequences inputs, next;
  for (const auto& s : text) {
    inputs.emplace_back(s.begin(), s.end() - 1);
    next.emplace_back(s.begin() + 1, s.end());
  }
  BucketedBatches source(inputs, Targets::per_timestep(next), {.batch_size = 3, .shuffle = false, .bucketing = false});
  auto batch = source.get(0);
  const auto& x = batch.x[0];
  const auto& y = batch.y[0];
  EXPECT_SHAPE(x, lm::Shape{3, 3});
  EXPECT_VALUES(x, {5, 6, 7, 9, 0, 0, 11, 12, 0});
  EXPECT_VALUES(y, {6, 7, 8, 10, 0, 0, 12, 13, 0});
  EXPECT_EQ(y.dtype(), lm::Int32);
  const std::vector<bool> mask = {true, true, true, true, false, false, true, true, false};
  EXPECT_MASK(x, (lm::Shape{3, 3}), mask);
  EXPECT_MASK(y, (lm::Shape{3, 3}), mask);
}

TEST(BucketedBatches, PrePaddingTruncationAndRowTargets) {
  Sequences s = {{1, 2, 3, 4}, {5}};
  auto one_hot = lm::tensor({{1.f, 0.f}, {0.f, 1.f}});
  BucketedBatches pre(
      s, Targets::rows(one_hot),
      {.batch_size = 2, .shuffle = false, .padding = "pre", .max_length = 3, .truncating = "pre", .bucketing = false});
  auto b = pre.get(0);
  EXPECT_VALUES(b.x[0], {2, 3, 4, 0, 0, 5});  // the end kept, padding before
  EXPECT_MASK(b.x[0], (lm::Shape{2, 3}), {true, true, true, false, false, true});
  EXPECT_VALUES(b.y[0], {1, 0, 0, 1});
  // Default truncating "post" keeps the start.
  BucketedBatches post(s, {.batch_size = 2, .shuffle = false, .max_length = 3, .bucketing = false});
  EXPECT_VALUES(post.get(0).x[0], {1, 2, 3, 5, 0, 0});
  EXPECT_TRUE(post.get(0).y.empty());  // no targets
  EXPECT_EQ(post.padding_stats().tokens, 4);
}

TEST(BucketedBatches, EmptySequencesGetOneMaskedStep) {
  BucketedBatches source({{}, {}, {3}}, {.batch_size = 2, .shuffle = false, .bucketing = false});
  auto first = source.get(0).x[0];
  EXPECT_SHAPE(first, lm::Shape{2, 1});
  EXPECT_VALUES(first, {0, 0});
  EXPECT_MASK(first, (lm::Shape{2, 1}), {false, false});
  EXPECT_SHAPE(source.get(1).x[0], lm::Shape{1, 1});
  EXPECT_EQ(BucketedBatches(Sequences{}).size(), 0);
  // A batch size beyond the data: one batch of everything (batch_size * chunk_batches must not overflow).
  BucketedBatches huge(examples(), {.batch_size = std::int64_t{1} << 62, .seed = 3});
  ASSERT_EQ(huge.size(), 1);
  EXPECT_EQ(huge.batch_indices(0).size(), 10u);
}

TEST(BucketedBatches, BadInputsAreValueErrors) {
  EXPECT_LAMINA_ERROR(BucketedBatches(examples(), {.batch_size = 0}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("batch_size = 0")); });
  EXPECT_LAMINA_ERROR(BucketedBatches(examples(), {.padding = "middle"}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("padding = \"middle\""));
    EXPECT_THAT(msg, HasSubstr("BucketedBatches"));
  });
  EXPECT_LAMINA_ERROR(BucketedBatches(examples(), {.truncating = "x"}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("truncating")); });
  EXPECT_LAMINA_ERROR(BucketedBatches(examples(), {.max_length = 0}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("max_length = 0")); });
  EXPECT_LAMINA_ERROR(BucketedBatches(examples(), {.chunk_batches = 0}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("chunk_batches = 0")); });
  EXPECT_LAMINA_ERROR(BucketedBatches(examples(), Targets::labels({1, 2})), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("one per sequence: 10"));
    EXPECT_THAT(msg, HasSubstr("2 labels"));
  });
  EXPECT_LAMINA_ERROR(BucketedBatches({{1}}, Targets::labels({std::int64_t{1} << 32})), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("label 0")); });
  EXPECT_LAMINA_ERROR(BucketedBatches(examples(), Targets::rows(lm::zeros({9, 2}))), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("9 target rows")); });
  EXPECT_LAMINA_ERROR(BucketedBatches(examples(), Targets::rows(lm::Tensor())), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("concrete tensor")); });
  EXPECT_LAMINA_ERROR(BucketedBatches({{1, 2}, {3}}, Targets::per_timestep({{1, 2}, {3, 4}})), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("label sequence 1"));
    EXPECT_THAT(msg, HasSubstr("1 labels"));
    EXPECT_THAT(msg, HasSubstr("2 labels"));
  });
  EXPECT_LAMINA_ERROR(BucketedBatches(Sequences{{1}, {2, -(std::int64_t{1} << 40)}}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("sequence 1"));
    EXPECT_THAT(msg, HasSubstr("at position 1"));
  });
  BucketedBatches ok(examples(), {.batch_size = 4});
  EXPECT_LAMINA_ERROR(ok.get(3), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("0 <= batch < 3")); });
  EXPECT_LAMINA_ERROR(ok.get(-1), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("out of range")); });
  EXPECT_LAMINA_ERROR(ok.set_epoch(-1), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("epoch >= 0")); });
}
