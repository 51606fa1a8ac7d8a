// Acceptance 1 and 5 for Bidirectional: every merge mode against the two directions
// computed separately by the plain-loop reference (forward over time, backward over the
// reversed time, reversed back), zeros at padded steps, the order of the states, the
// output mask, and gradients against central differences of the reference.
#include "rnn_test_util.hpp"

namespace {

using namespace rnntest;

struct BiRef {
  Vec fwd, bwd;  // per-direction outputs, input time order for sequences
  rnnref::Result rf, rb;
};

// `gb`: the wrapped layer has go_backwards (then the "backward" copy runs forward), as Keras.
BiRef reference(Kind kind, const rnnref::Sizes& s, const rnnref::Params& pf, const rnnref::Params& pb, const Vec& x,
                const std::vector<char>& mask, bool seq, bool gb) {
  BiRef r;
  r.rf = rnnref::run(kind, s, pf, x, mask, {.go_backwards = gb, .return_sequences = seq, .zero_output_for_mask = seq});
  r.rb = rnnref::run(kind, s, pb, x, mask, {.go_backwards = !gb, .return_sequences = seq, .zero_output_for_mask = seq});
  r.fwd = r.rf.y;
  r.bwd = r.rb.y;
  if (seq)  // the second run's outputs are in its processing order: flip them (as Keras)
    for (int b = 0; b < s.B; ++b)
      for (int t = 0; t < s.T; ++t)
        for (int j = 0; j < s.U; ++j)
          r.bwd[static_cast<std::size_t>((b * s.T + t) * s.U + j)] =
              r.rb.y[static_cast<std::size_t>((b * s.T + s.T - 1 - t) * s.U + j)];
  return r;
}

Vec merge(const std::string& mode, const Vec& f, const Vec& b, int U) {
  Vec out;
  if (mode == "concat") {
    for (std::size_t r = 0; r < f.size() / static_cast<std::size_t>(U); ++r) {
      out.insert(out.end(), f.begin() + static_cast<std::ptrdiff_t>(r * U),
                 f.begin() + static_cast<std::ptrdiff_t>((r + 1) * U));
      out.insert(out.end(), b.begin() + static_cast<std::ptrdiff_t>(r * U),
                 b.begin() + static_cast<std::ptrdiff_t>((r + 1) * U));
    }
    return out;
  }
  for (std::size_t i = 0; i < f.size(); ++i)
    out.push_back(mode == "sum" ? f[i] + b[i] : mode == "mul" ? f[i] * b[i] : (f[i] + b[i]) / 2);
  return out;
}

class BidirectionalMerge : public ::testing::TestWithParam<std::tuple<std::string, bool, bool>> {};

TEST_P(BidirectionalMerge, MatchesBothDirectionsComputedSeparately) {
  auto [mode, seq, gb] = GetParam();
  const rnnref::Sizes s{5, 6, 3, 4};
  const Kind kind = Kind::LSTM;
  std::mt19937_64 rng(21);
  rnnref::Params pf = random_params(kind, s, rng, true, true), pb = random_params(kind, s, rng, true, true);
  Vec x = rnnref::random_vec(static_cast<std::size_t>(s.B * s.T * s.F), rng, 1.0);
  std::vector<char> mask = standard_mask(s.T);
  lm::Tensor xt = t64(x, lm::Shape{s.B, s.T, s.F}).with_mask(mask_tensor(mask, s.B, s.T));

  auto bi = Bidirectional(
      LSTM(s.U, {.return_sequences = seq, .return_state = true, .go_backwards = gb, .name = "lstm_bi_" + mode}),
      {.merge_mode = mode});
  bi(lm::TensorList{xt});
  EXPECT_EQ(bi->backward_layer()->name(), "backward_lstm_bi_" + mode);
  EXPECT_EQ(bi->backward_layer()->config().go_backwards, !gb);
  EXPECT_EQ(bi->weights().size(), 6u);
  assign_weights(*bi->forward_layer(), pf);
  assign_weights(*bi->backward_layer(), pb);
  lm::TensorList states{t64(pf.h0, lm::Shape{s.B, s.U}), t64(pf.c0, lm::Shape{s.B, s.U}),
                        t64(pb.h0, lm::Shape{s.B, s.U}), t64(pb.c0, lm::Shape{s.B, s.U})};

  lm::GradientTape tape;
  tape.watch(xt);
  for (const auto& st : states) tape.watch(st);
  lm::TensorList outs = bi(lm::TensorList{xt}, {.initial_state = states});
  BiRef ref = reference(kind, s, pf, pb, x, mask, seq, gb);
  ASSERT_EQ(outs.size(), 5u);  // output, forward h, c, backward h, c
  Vec want = merge(mode, ref.fwd, ref.bwd, s.U);
  EXPECT_VALUES(outs[0], want, 1e-10);
  EXPECT_VALUES(outs[1], ref.rf.h, 1e-10);
  EXPECT_VALUES(outs[2], ref.rf.c, 1e-10);
  EXPECT_VALUES(outs[3], ref.rb.h, 1e-10);
  EXPECT_VALUES(outs[4], ref.rb.c, 1e-10);
  if (seq) {
    // The input's mask -- reversed when the wrapped layer runs backwards, like its outputs.
    std::vector<bool> want_mask(mask.size());
    for (int b = 0; b < s.B; ++b)
      for (int t = 0; t < s.T; ++t) want_mask[b * s.T + t] = mask[b * s.T + (gb ? s.T - 1 - t : t)];
    EXPECT_MASK(outs[0], (lm::Shape{s.B, s.T}), want_mask);
    std::vector<double> y = outs[0].to_vector<double>();  // padded steps are zero
    const int width = mode == "concat" ? 2 * s.U : s.U;
    for (int b = 0; b < s.B; ++b)
      for (int t = 0; t < s.T; ++t)
        for (int j = 0; j < width && !want_mask[b * s.T + t]; ++j)
          EXPECT_EQ(y[static_cast<std::size_t>((b * s.T + t) * width + j)], 0.0);
  } else {
    EXPECT_FALSE(outs[0].has_mask());
  }

  // Gradients of a random projection of every output, against the reference.
  std::vector<Vec> r;
  for (const auto& o : outs) r.push_back(rnnref::random_vec(static_cast<std::size_t>(o.numel()), rng, 1.0));
  lm::Tensor loss = lm::sum(outs[0].without_mask() * t64(r[0], outs[0].shape()));
  for (std::size_t i = 1; i < outs.size(); ++i) loss = loss + lm::sum(outs[i] * t64(r[i], outs[i].shape()));
  auto ref_loss = [&] {
    BiRef b = reference(kind, s, pf, pb, x, mask, seq, gb);
    return rnnref::dot(merge(mode, b.fwd, b.bwd, s.U), r[0]) + rnnref::dot(b.rf.h, r[1]) + rnnref::dot(b.rf.c, r[2]) +
           rnnref::dot(b.rb.h, r[3]) + rnnref::dot(b.rb.c, r[4]);
  };
  auto gx = tape.gradient(loss, lm::TensorList{xt, states[0], states[3]});
  auto gw = tape.gradient(loss, bi->weights());
  EXPECT_VALUES(*gx[0], rnnref::numeric_grad(x, ref_loss), 1e-6);
  EXPECT_VALUES(*gx[1], rnnref::numeric_grad(pf.h0, ref_loss), 1e-6);
  EXPECT_VALUES(*gx[2], rnnref::numeric_grad(pb.c0, ref_loss), 1e-6);
  EXPECT_VALUES(*gw[0], rnnref::numeric_grad(pf.W, ref_loss), 1e-6);
  EXPECT_VALUES(*gw[2], rnnref::numeric_grad(pf.b, ref_loss), 1e-6);
  EXPECT_VALUES(*gw[4], rnnref::numeric_grad(pb.R, ref_loss), 1e-6);
}

INSTANTIATE_TEST_SUITE_P(MergeModes, BidirectionalMerge,
                         ::testing::Combine(::testing::Values("concat", "sum", "mul", "ave"), ::testing::Bool(),
                                            ::testing::Bool()),
                         [](const auto& info) {
                           return std::get<0>(info.param) + (std::get<1>(info.param) ? "_sequences" : "_last") +
                                  (std::get<2>(info.param) ? "_wrapped_backwards" : "");
                         });

TEST(Bidirectional, MergeNoneReturnsBothOutputs) {
  const rnnref::Sizes s{2, 3, 2, 3};
  std::mt19937_64 rng(4);
  Vec x = rnnref::random_vec(static_cast<std::size_t>(s.B * s.T * s.F), rng, 1.0);
  auto bi = Bidirectional(GRU(s.U, {.return_sequences = true}), {.merge_mode = "none"});
  lm::TensorList outs = bi(lm::TensorList{t64(x, lm::Shape{s.B, s.T, s.F})});
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_SHAPE(outs[0], (lm::Shape{2, 3, 3}));
  EXPECT_SHAPE(outs[1], (lm::Shape{2, 3, 3}));
  EXPECT_EQ(bi->get_config()["merge_mode"], "none");
  EXPECT_EQ(bi->get_config()["layer"]["type"], "GRU");
}

TEST(Bidirectional, GivenBackwardLayerOfAnotherKindAndSize) {
  // Keras's backward_layer: an LSTM (3 units) forward and a GRU (2 units) backward, concat.
  // Each direction against the plain-loop reference with its own sizes and weights; the
  // initial states are the LSTM's two, then the GRU's one.
  const int B = 5, T = 6, F = 3, Uf = 3, Ub = 2;  // B: the standard mask's five rows
  const rnnref::Sizes sf{B, T, F, Uf}, sb{B, T, F, Ub};
  std::mt19937_64 rng(33);
  rnnref::Params pf = random_params(Kind::LSTM, sf, rng, true, true);
  rnnref::Params pb = random_params(Kind::GRU, sb, rng, true, true);
  Vec x = rnnref::random_vec(static_cast<std::size_t>(B * T * F), rng, 1.0);
  std::vector<char> mask = standard_mask(T);
  lm::Tensor xt = t64(x, lm::Shape{B, T, F}).with_mask(mask_tensor(mask, B, T));
  auto backward = GRU(Ub, {.return_sequences = true, .return_state = true, .go_backwards = true, .name = "back_gru"});
  auto bi = Bidirectional(LSTM(Uf, {.return_sequences = true, .return_state = true}), {.backward_layer = backward});
  EXPECT_EQ(bi->backward_layer().ptr(), backward.ptr());
  lm::TensorList states{t64(pf.h0, lm::Shape{B, Uf}), t64(pf.c0, lm::Shape{B, Uf}), t64(pb.h0, lm::Shape{B, Ub})};
  bi(lm::TensorList{xt}, {.initial_state = states});  // build, then set the reference weights
  EXPECT_EQ(bi->weights().size(), 6u);
  assign_weights(*bi->forward_layer(), pf);
  assign_weights(*bi->backward_layer(), pb);
  lm::TensorList outs = bi(lm::TensorList{xt}, {.initial_state = states});
  ASSERT_EQ(outs.size(), 4u);  // output, forward h, c, backward h
  auto rf = rnnref::run(Kind::LSTM, sf, pf, x, mask, {.return_sequences = true, .zero_output_for_mask = true});
  auto rb = rnnref::run(Kind::GRU, sb, pb, x, mask,
                        {.go_backwards = true, .return_sequences = true, .zero_output_for_mask = true});
  Vec want;  // per (b, t): forward's 3 units, then backward's 2 at the same input step
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t) {
      for (int j = 0; j < Uf; ++j) want.push_back(rf.y[static_cast<std::size_t>((b * T + t) * Uf + j)]);
      for (int j = 0; j < Ub; ++j) want.push_back(rb.y[static_cast<std::size_t>((b * T + T - 1 - t) * Ub + j)]);
    }
  EXPECT_SHAPE(outs[0], (lm::Shape{B, T, Uf + Ub}));
  EXPECT_VALUES(outs[0], want, 1e-10);
  EXPECT_VALUES(outs[1], rf.h, 1e-10);
  EXPECT_VALUES(outs[2], rf.c, 1e-10);
  EXPECT_VALUES(outs[3], rb.h, 1e-10);
  EXPECT_LAMINA_ERROR(bi(lm::TensorList{xt}, {.initial_state = {states[0], states[1]}}), lm::ValueError,
                      { EXPECT_THAT(msg, ::testing::HasSubstr("2 forward states, then 1 backward ones")); });
}

TEST(Bidirectional, RejectsABackwardLayerThatDoesNotFit) {
  using ::testing::HasSubstr;
  auto fwd = [] { return LSTM(4, {.return_sequences = true, .name = "fwd"}); };
  EXPECT_LAMINA_ERROR(Bidirectional(fwd(), {.backward_layer = GRU(4, {.return_sequences = true, .name = "same_way"})}),
                      lm::ValueError, {
                        EXPECT_THAT(msg, HasSubstr("runs in the same direction"));
                        EXPECT_THAT(msg, HasSubstr("'same_way'"));
                        EXPECT_THAT(msg, HasSubstr("go_backwards = true"));
                      });
  EXPECT_LAMINA_ERROR(Bidirectional(fwd(), {.backward_layer = GRU(4, {.go_backwards = true})}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("returns other outputs"));
    EXPECT_THAT(msg, HasSubstr("return_sequences = true, return_state = false (as layer 'fwd')"));
  });
  EXPECT_LAMINA_ERROR(
      Bidirectional(fwd(),
                    {.merge_mode = "sum", .backward_layer = GRU(3, {.return_sequences = true, .go_backwards = true})}),
      lm::ValueError, {
        EXPECT_THAT(msg, HasSubstr("merge_mode \"sum\""));
        EXPECT_THAT(msg, HasSubstr("4 units"));
        EXPECT_THAT(msg, HasSubstr("found:    3 units"));
      });
  auto used = GRU(4, {.return_sequences = true, .go_backwards = true});
  used(lm::zeros({1, 2, 3}));
  EXPECT_LAMINA_ERROR(Bidirectional(fwd(), {.backward_layer = used}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("already been called")); });
  auto same = fwd();
  EXPECT_LAMINA_ERROR(Bidirectional(same, {.backward_layer = same}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("is the forward layer itself")); });
}

TEST(Bidirectional, SymbolicSpecKeepsTheMask) {
  auto x = lm::Input({lm::None, 8}).with_mask(lm::Input({lm::None}, lm::Bool));
  auto y = Bidirectional(LSTM(16, {.return_sequences = true}))(x);
  EXPECT_EQ(y.spec().str(), "float32 (None, None, 32) mask (None, None)");
  auto z = Bidirectional(LSTM(16), {.merge_mode = "sum"})(x);
  EXPECT_EQ(z.spec().str(), "float32 (None, 16)");
}

TEST(Bidirectional, RejectsUnknownMergeModeAndBuiltLayers) {
  EXPECT_LAMINA_ERROR(Bidirectional(LSTM(4), {.merge_mode = "max"}), lm::ValueError,
                      { EXPECT_THAT(msg, ::testing::HasSubstr("max")); });
  auto used = LSTM(4);
  used(lm::zeros({1, 2, 3}));
  EXPECT_LAMINA_ERROR(Bidirectional{used}, lm::ValueError,
                      { EXPECT_THAT(msg, ::testing::HasSubstr("already built")); });
}

}  // namespace
