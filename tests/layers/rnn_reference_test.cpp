// Acceptance 1 and 3: SimpleRNN, LSTM and GRU (both reset_after values) against the
// plain-loop float64 reference, on a batch with right padding, left padding, a hole and
// an all-masked row, for every combination of go_backwards, return_sequences,
// zero_output_for_mask and given initial states: outputs, final states, and gradients
// w.r.t. x, the initial states, kernel, recurrent kernel and bias. The same for the
// composite path (activations given as callables, run step by step with ordinary ops).
#include "rnn_test_util.hpp"

namespace {

using namespace rnntest;
using ::testing::Combine;
using ::testing::Values;

class RnnReference : public ::testing::TestWithParam<std::tuple<Kind, bool, bool, bool, bool, bool>> {};

TEST_P(RnnReference, OutputsStatesAndGradientsMatchPlainLoops) {
  auto [kind, go_backwards, return_sequences, zero_output, initial_state, callables] = GetParam();
  const rnnref::Sizes s{5, 6, 3, 4};
  const bool lstm = kind == Kind::LSTM;
  std::mt19937_64 rng(42 + static_cast<int>(kind));
  rnnref::Params p = random_params(kind, s, rng, true, initial_state);
  Vec x = rnnref::random_vec(static_cast<std::size_t>(s.B * s.T * s.F), rng, 1.0);
  std::vector<char> mask = standard_mask(s.T);
  rnnref::Options o{go_backwards, return_sequences, zero_output};

  auto layer = make_rnn(kind, s.U,
                        {.return_sequences = return_sequences,
                         .return_state = true,
                         .go_backwards = go_backwards,
                         .zero_output_for_mask = zero_output,
                         .callables = callables});
  EXPECT_EQ(layer->fused(), !callables);
  lm::Tensor xt = t64(x, lm::Shape{s.B, s.T, s.F}).with_mask(mask_tensor(mask, s.B, s.T));
  layer(lm::TensorList{xt});  // builds float64 weights
  assign_weights(*layer, p);
  lm::TensorList states;
  if (initial_state) {
    states.push_back(t64(p.h0, lm::Shape{s.B, s.U}));
    if (lstm) states.push_back(t64(p.c0, lm::Shape{s.B, s.U}));
  }

  // Random weights for every output entry make one scalar that exercises every gradient path.
  const std::size_t ny = static_cast<std::size_t>(return_sequences ? s.B * s.T * s.U : s.B * s.U);
  const std::size_t ns = static_cast<std::size_t>(s.B * s.U);
  Vec ry = rnnref::random_vec(ny, rng, 1.0), rh = rnnref::random_vec(ns, rng, 1.0),
      rc = rnnref::random_vec(ns, rng, 1.0);

  lm::GradientTape tape;
  tape.watch(xt);
  for (auto& st : states) tape.watch(st);
  lm::TensorList outs = layer(lm::TensorList{xt}, {.initial_state = states});
  ASSERT_EQ(outs.size(), lstm ? 3u : 2u);
  lm::Tensor loss =
      lm::sum(outs[0].without_mask() * t64(ry, outs[0].shape())) + lm::sum(outs[1] * t64(rh, outs[1].shape()));
  if (lstm) loss = loss + lm::sum(outs[2] * t64(rc, outs[2].shape()));

  rnnref::Result ref = rnnref::run(kind, s, p, x, mask, o);
  EXPECT_VALUES(outs[0], ref.y, 1e-10);
  EXPECT_VALUES(outs[1], ref.h, 1e-10);
  if (lstm) {
    EXPECT_VALUES(outs[2], ref.c, 1e-10);
  }
  if (return_sequences) {
    std::vector<bool> out_mask(mask.size());
    for (int b = 0; b < s.B; ++b)
      for (int t = 0; t < s.T; ++t) out_mask[b * s.T + t] = mask[b * s.T + (go_backwards ? s.T - 1 - t : t)];
    EXPECT_MASK(outs[0], (lm::Shape{s.B, s.T}), out_mask);
  } else {
    EXPECT_FALSE(outs[0].has_mask());
  }
  EXPECT_FALSE(outs[1].has_mask());

  auto ref_loss = [&] {
    rnnref::Result r = rnnref::run(kind, s, p, x, mask, o);
    return rnnref::dot(r.y, ry) + rnnref::dot(r.h, rh) + (lstm ? rnnref::dot(r.c, rc) : 0.0);
  };
  lm::TensorList sources{xt};
  sources.insert(sources.end(), states.begin(), states.end());
  auto g_in = tape.gradient(loss, sources, {.unconnected = lm::Unconnected::Zero});
  std::vector<lm::Variable> weights{layer->kernel(), layer->recurrent_kernel(), layer->bias()};
  auto g_w = tape.gradient(loss, weights, {.unconnected = lm::Unconnected::Zero});

  EXPECT_VALUES(*g_in[0], rnnref::numeric_grad(x, ref_loss), 1e-6);
  if (initial_state) {
    EXPECT_VALUES(*g_in[1], rnnref::numeric_grad(p.h0, ref_loss), 1e-6);
    if (lstm) {
      EXPECT_VALUES(*g_in[2], rnnref::numeric_grad(p.c0, ref_loss), 1e-6);
    }
  }
  EXPECT_VALUES(*g_w[0], rnnref::numeric_grad(p.W, ref_loss), 1e-6);
  EXPECT_VALUES(*g_w[1], rnnref::numeric_grad(p.R, ref_loss), 1e-6);
  EXPECT_VALUES(*g_w[2], rnnref::numeric_grad(p.b, ref_loss), 1e-6);

  // Acceptance 3: the gradient w.r.t. the input at a masked step is exactly zero.
  std::vector<double> gx = g_in[0]->to_vector<double>();
  for (int b = 0; b < s.B; ++b) {
    for (int t = 0; t < s.T; ++t) {
      if (mask[b * s.T + t]) continue;
      for (int f = 0; f < s.F; ++f) EXPECT_EQ(gx[static_cast<std::size_t>((b * s.T + t) * s.F + f)], 0.0);
    }
  }
}

std::string case_name(const ::testing::TestParamInfo<RnnReference::ParamType>& info) {
  auto [kind, back, seq, zero, init, callables] = info.param;
  return std::string(kind_name(kind)) + (back ? "_backwards" : "_forwards") + (seq ? "_sequences" : "_last") +
         (zero ? "_zero_output" : "") + (init ? "_initial_state" : "") + (callables ? "_composite" : "");
}

INSTANTIATE_TEST_SUITE_P(AllCells, RnnReference,
                         Combine(Values(Kind::Simple, Kind::LSTM, Kind::GRU, Kind::GRUBefore), Values(false, true),
                                 Values(false, true), Values(false, true), Values(false, true), Values(false)),
                         case_name);
// The composite path: every cell, direction and output mode, with initial states.
INSTANTIATE_TEST_SUITE_P(Composite, RnnReference,
                         Combine(Values(Kind::Simple, Kind::LSTM, Kind::GRU, Kind::GRUBefore), Values(false, true),
                                 Values(false, true), Values(false, true), Values(true), Values(true)),
                         case_name);

}  // namespace
