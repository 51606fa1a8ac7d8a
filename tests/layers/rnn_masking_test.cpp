// Acceptance 2, 4 and 6: masked batches equal unpadded sequences row by row; go_backwards
// returns outputs in processing order with the mask reversed; stacked recurrent layers
// keep the mask between them. Also float32 against the reference, (B,) masks, and dropout.
#include "rnn_test_util.hpp"

namespace {

using namespace rnntest;

// Runs `layer` on row b of x alone (its valid steps only, no mask): {output, h[, c]}.
lm::TensorList run_unpadded(lm::LayerHandle<RNNLayer>& layer, const Vec& x, const std::vector<int>& lengths, int b,
                            int T, int F) {
  const int L = lengths[static_cast<std::size_t>(b)];
  Vec row(x.begin() + b * T * F, x.begin() + (b * T + L) * F);  // right padding: the first L steps
  return layer(lm::TensorList{t64(row, lm::Shape{1, L, F})});
}

class MaskedEqualsUnpadded : public ::testing::TestWithParam<Kind> {};

TEST_P(MaskedEqualsUnpadded, EachRowMatchesItsOwnUnpaddedRun) {
  const Kind kind = GetParam();
  const int B = 4, T = 7, F = 3, U = 5;
  std::vector<int> lengths{7, 3, 1, 5};
  std::mt19937_64 rng(7);
  Vec x = rnnref::random_vec(static_cast<std::size_t>(B * T * F), rng, 1.0);
  std::vector<bool> m(static_cast<std::size_t>(B * T));
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t) m[static_cast<std::size_t>(b * T + t)] = t < lengths[static_cast<std::size_t>(b)];
  auto layer = make_rnn(kind, U, {.return_state = true});
  lm::TensorList padded =
      layer(lm::TensorList{t64(x, lm::Shape{B, T, F}).with_mask(lm::tensor(m, lm::Shape{B, T}, lm::Bool))});
  std::vector<double> y = padded[0].to_vector<double>(), h = padded[1].to_vector<double>();
  for (int b = 0; b < B; ++b) {
    lm::TensorList alone = run_unpadded(layer, x, lengths, b, T, F);
    Vec want_y = alone[0].to_vector<double>(), want_h = alone[1].to_vector<double>();
    for (int j = 0; j < U; ++j) {
      EXPECT_NEAR(y[static_cast<std::size_t>(b * U + j)], want_y[static_cast<std::size_t>(j)], 1e-12) << "row " << b;
      EXPECT_NEAR(h[static_cast<std::size_t>(b * U + j)], want_h[static_cast<std::size_t>(j)], 1e-12) << "row " << b;
    }
    if (kind == Kind::LSTM) {
      std::vector<double> c = padded[2].to_vector<double>(), want_c = alone[2].to_vector<double>();
      for (int j = 0; j < U; ++j)
        EXPECT_NEAR(c[static_cast<std::size_t>(b * U + j)], want_c[static_cast<std::size_t>(j)], 1e-12);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllCells, MaskedEqualsUnpadded,
                         ::testing::Values(Kind::Simple, Kind::LSTM, Kind::GRU, Kind::GRUBefore),
                         [](const auto& info) { return std::string(kind_name(info.param)); });

TEST(RnnMasking, GoBackwardsOutputsInProcessingOrderWithReversedMask) {
  const int B = 2, T = 4, F = 2, U = 3;
  std::mt19937_64 rng(3);
  Vec x = rnnref::random_vec(static_cast<std::size_t>(B * T * F), rng, 1.0);
  std::vector<bool> m{true, true, true, false, false, true, true, true};  // right and left padding
  auto back = make_rnn(Kind::LSTM, U, {.return_sequences = true, .go_backwards = true});
  lm::Tensor y = back(t64(x, lm::Shape{B, T, F}).with_mask(lm::tensor(m, lm::Shape{B, T}, lm::Bool)));
  EXPECT_MASK(y, (lm::Shape{B, T}), {false, true, true, true, true, true, true, false});
  // Processing order: step 0 of the backward run is time T-1. Row 0's first valid step in
  // that order is time 2, so output 0 (time 3, padding, before any valid step) is zero,
  // and output 1 equals a forward run over the reversed valid steps [x2] alone.
  std::vector<double> v = y.to_vector<double>();
  for (int j = 0; j < U; ++j) EXPECT_EQ(v[static_cast<std::size_t>(j)], 0.0);
  auto fwd = make_rnn(Kind::LSTM, U, {.return_sequences = true});
  fwd(lm::TensorList{t64(x, lm::Shape{B, T, F})});
  lm::Variable(fwd->kernel()).assign(back->kernel().value());
  lm::Variable(fwd->recurrent_kernel()).assign(back->recurrent_kernel().value());
  lm::Variable(fwd->bias()).assign(back->bias().value());
  Vec rev;  // row 0 reversed over its valid steps: x2, x1, x0
  for (int t : {2, 1, 0}) rev.insert(rev.end(), x.begin() + t * F, x.begin() + (t + 1) * F);
  std::vector<double> f = fwd(t64(rev, lm::Shape{1, 3, F})).to_vector<double>();
  for (int s = 0; s < 3; ++s)
    for (int j = 0; j < U; ++j)
      EXPECT_NEAR(v[static_cast<std::size_t>((1 + s) * U + j)], f[static_cast<std::size_t>(s * U + j)], 1e-12);
}

TEST(RnnMasking, StackedLstmThenGruKeepsTheMaskAndMatchesUnpadded) {
  const int B = 3, T = 6, F = 4;
  std::vector<int> lengths{6, 2, 4};
  std::mt19937_64 rng(11);
  Vec x = rnnref::random_vec(static_cast<std::size_t>(B * T * F), rng, 1.0);
  std::vector<bool> m(static_cast<std::size_t>(B * T));
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t) m[static_cast<std::size_t>(b * T + t)] = t < lengths[static_cast<std::size_t>(b)];
  auto lstm = LSTM(5, {.return_sequences = true});
  auto gru = GRU(3);
  lm::Tensor mid = lstm(t64(x, lm::Shape{B, T, F}).with_mask(lm::tensor(m, lm::Shape{B, T}, lm::Bool)));
  EXPECT_MASK(mid, (lm::Shape{B, T}), m);
  lm::Tensor y = gru(mid);
  EXPECT_FALSE(y.has_mask());
  std::vector<double> got = y.to_vector<double>();
  for (int b = 0; b < B; ++b) {
    const int L = lengths[static_cast<std::size_t>(b)];
    Vec row(x.begin() + b * T * F, x.begin() + (b * T + L) * F);
    std::vector<double> want = gru(lstm(t64(row, lm::Shape{1, L, F}))).to_vector<double>();
    for (int j = 0; j < 3; ++j)
      EXPECT_NEAR(got[static_cast<std::size_t>(b * 3 + j)], want[static_cast<std::size_t>(j)], 1e-12);
  }
}

TEST(RnnMasking, Float32MatchesTheFloat64Reference) {
  const rnnref::Sizes s{5, 6, 3, 4};
  for (Kind kind : {Kind::Simple, Kind::LSTM, Kind::GRU, Kind::GRUBefore}) {
    std::mt19937_64 rng(5);
    rnnref::Params p = random_params(kind, s, rng);
    Vec x = rnnref::random_vec(static_cast<std::size_t>(s.B * s.T * s.F), rng, 1.0);
    std::vector<char> mask = standard_mask(s.T);
    auto layer = make_rnn(kind, s.U, {.return_sequences = true});
    lm::Tensor xt = lm::tensor(x, lm::Shape{s.B, s.T, s.F}, lm::Float32).with_mask(mask_tensor(mask, s.B, s.T));
    layer(xt);
    EXPECT_EQ(layer->kernel().dtype(), lm::Float32);
    assign_weights(*layer, p);
    lm::Tensor y = layer(xt);
    EXPECT_EQ(y.dtype(), lm::Float32);
    EXPECT_VALUES(y, rnnref::run(kind, s, p, x, mask, {.return_sequences = true}).y, 2e-6) << kind_name(kind);
  }
}

TEST(RnnMasking, BatchMaskMarksWholeSequences) {
  const rnnref::Sizes s{2, 3, 2, 3};
  std::mt19937_64 rng(9);
  rnnref::Params p = random_params(Kind::GRU, s, rng);
  Vec x = rnnref::random_vec(static_cast<std::size_t>(s.B * s.T * s.F), rng, 1.0);
  auto layer = make_rnn(Kind::GRU, s.U, {.return_sequences = true});
  lm::Tensor xt = t64(x, lm::Shape{s.B, s.T, s.F});
  layer(xt);
  assign_weights(*layer, p);
  lm::Tensor y = layer(xt, {.mask = lm::tensor({true, false})});
  EXPECT_MASK(y, (lm::Shape{2, 3}), {true, true, true, false, false, false});
  EXPECT_VALUES(y, rnnref::run(Kind::GRU, s, p, x, {1, 1, 1, 0, 0, 0}, {.return_sequences = true}).y, 1e-12);
}

TEST(RnnMasking, OneAndTwoThreadsAgree) {
  // With several threads the batch rows are split between them (each runs all its steps);
  // values and gradients must not depend on it.
  const int B = 9, T = 12, F = 5, U = 6;
  std::mt19937_64 rng(31);
  lm::Tensor x = t64(rnnref::random_vec(static_cast<std::size_t>(B * T * F), rng, 1.0), lm::Shape{B, T, F});
  std::vector<bool> m(static_cast<std::size_t>(B * T));
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t) m[static_cast<std::size_t>(b * T + t)] = t < 1 + (b * 5) % T;
  x = x.with_mask(lm::tensor(m, lm::Shape{B, T}, lm::Bool));
  const int saved_threads = lm::num_threads();
  for (Kind kind : {Kind::LSTM, Kind::GRU, Kind::GRUBefore, Kind::Simple}) {
    auto layer = make_rnn(kind, U, {.return_sequences = true});
    std::vector<std::vector<double>> runs;
    for (int threads : {1, 2}) {
      lm::set_num_threads(threads);
      lm::GradientTape tape;
      tape.watch(x);
      lm::Tensor y = layer(x);
      auto g = tape.gradient(lm::sum(y.without_mask() * y.without_mask()), lm::TensorList{x});
      std::vector<double> v = y.to_vector<double>(), gv = g[0]->to_vector<double>();
      v.insert(v.end(), gv.begin(), gv.end());
      runs.push_back(v);
    }
    ASSERT_EQ(runs[0].size(), runs[1].size());
    for (std::size_t i = 0; i < runs[0].size(); ++i) ASSERT_NEAR(runs[0][i], runs[1][i], 1e-12) << kind_name(kind);
  }
  lm::set_num_threads(saved_threads);
}

TEST(RnnMasking, DropoutOnlyWhenTrainingAndDeterministicPerSeed) {
  const int B = 2, T = 3, F = 4, U = 3;
  std::mt19937_64 rng(1);
  lm::Tensor x = t64(rnnref::random_vec(static_cast<std::size_t>(B * T * F), rng, 1.0), lm::Shape{B, T, F});
  lm::set_seed(3);
  auto layer = LSTM(U, {.dropout = 0.5, .recurrent_dropout = 0.5});
  auto plain = LSTM(U);
  lm::Tensor inference = layer(x);
  plain(x);
  for (std::size_t i = 0; i < 3; ++i) lm::Variable(plain->weights()[i]).assign(layer->weights()[i].value());
  EXPECT_VALUES(inference, plain(x).to_vector<double>(), 0.0);
  lm::Tensor t1 = layer(x, {.training = true});
  lm::Tensor t2 = layer(x, {.training = true});
  EXPECT_FALSE(lamina::testing::values_near(t1, inference.to_vector<double>(), 1e-9));
  EXPECT_FALSE(lamina::testing::values_near(t1, t2.to_vector<double>(), 1e-12));  // a new mask per call
}

}  // namespace
