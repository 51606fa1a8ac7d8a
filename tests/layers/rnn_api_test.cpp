// Acceptance 7 and 8: typed errors naming the layer and what was found; symbolic specs.
// Also the fused ops' finite-difference gradient checks, the second-order GradientError,
// configs, and weight shapes/initial values.
#include "rnn_test_util.hpp"

namespace {

using namespace rnntest;
using ::testing::HasSubstr;

lm::Tensor seq(int B, int T, int F, lm::DType dt = lm::Float32) {
  std::mt19937_64 rng(2);
  return lm::tensor(rnnref::random_vec(static_cast<std::size_t>(B * T * F), rng), lm::Shape{B, T, F}, dt);
}

TEST(RnnErrors, WrongInputRank) {
  auto layer = LSTM(4, {.name = "encoder"});
  EXPECT_LAMINA_ERROR(layer(lm::zeros({2, 3})), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("'encoder' (LSTM)"));
    EXPECT_THAT(msg, HasSubstr("(2, 3)"));
    EXPECT_THAT(msg, HasSubstr("Embedding"));
  });
}

TEST(RnnErrors, IntegerInputNeedsAnEmbedding) {
  auto layer = GRU(4, {.name = "gru_ids"});
  EXPECT_LAMINA_ERROR(layer(lm::zeros({2, 3, 1}, lm::Int32)), lm::DTypeError, {
    EXPECT_THAT(msg, HasSubstr("'gru_ids' (GRU)"));
    EXPECT_THAT(msg, HasSubstr("int32"));
    EXPECT_THAT(msg, HasSubstr("Embedding"));
  });
}

TEST(RnnErrors, InitialStateOfWrongShape) {
  auto layer = LSTM(4, {.name = "stateful"});
  lm::Tensor x = seq(2, 3, 5);
  EXPECT_LAMINA_ERROR(layer(lm::TensorList{x}, {.initial_state = {lm::zeros({2, 3}), lm::zeros({2, 4})}}),
                      lm::ShapeError, {
                        EXPECT_THAT(msg, HasSubstr("'stateful' (LSTM)"));
                        EXPECT_THAT(msg, HasSubstr("initial state h"));
                        EXPECT_THAT(msg, HasSubstr("(2, 3)"));
                      });
  EXPECT_LAMINA_ERROR(layer(lm::TensorList{x}, {.initial_state = {lm::zeros({2, 4})}}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("2 initial states")); });
}

TEST(RnnErrors, WeightShapeMismatchOnReuse) {
  auto layer = SimpleRNN(4, {.name = "reused"});
  layer(seq(2, 3, 5));
  EXPECT_LAMINA_ERROR(layer(seq(2, 3, 6)), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("'reused' (SimpleRNN)"));
    EXPECT_THAT(msg, HasSubstr("(2, 3, 6)"));
    EXPECT_THAT(msg, HasSubstr("5 features"));
  });
}

TEST(RnnErrors, FeatureMaskIsAMaskError) {
  auto layer = LSTM(3, {.name = "featmask"});
  lm::Tensor x = seq(2, 3, 4);
  lm::Tensor m = lm::tensor(std::vector<bool>(24, true), lm::Shape{2, 3, 4}, lm::Bool);
  EXPECT_LAMINA_ERROR(layer(x.with_mask(m)), lm::MaskError, {
    EXPECT_THAT(msg, HasSubstr("'featmask' (LSTM)"));
    EXPECT_THAT(msg, HasSubstr("(2, 3, 4)"));
    EXPECT_THAT(msg, HasSubstr("hint"));
  });
}

TEST(RnnErrors, OpChecksWeightsAndDtypes) {
  lm::Tensor x = seq(2, 3, 4);
  EXPECT_LAMINA_ERROR(lm::lstm_sequence(x, {}, {}, {}, lm::zeros({4, 12}), lm::zeros({3, 12}), lm::zeros({11})),
                      lm::ShapeError, {
                        EXPECT_THAT(msg, HasSubstr("lstm_sequence"));
                        EXPECT_THAT(msg, HasSubstr("(11,)"));
                      });
  EXPECT_LAMINA_ERROR(lm::gru_sequence(x, {}, {}, lm::zeros({4, 9}), lm::zeros({3, 9}), lm::zeros({9})), lm::ShapeError,
                      { EXPECT_THAT(msg, HasSubstr("reset_after")); });
  EXPECT_LAMINA_ERROR(lm::simple_rnn_sequence(x, {}, {}, lm::zeros({4, 3}, lm::Float64), lm::zeros({3, 3}), {}),
                      lm::DTypeError, { EXPECT_THAT(msg, HasSubstr("float64 kernel")); });
  EXPECT_LAMINA_ERROR(lm::simple_rnn_sequence(x, lm::zeros({2, 3}), {}, lm::zeros({4, 3}), lm::zeros({3, 3}), {}),
                      lm::DTypeError, { EXPECT_THAT(msg, HasSubstr("!= 0")); });
  // The fused ops take the activations they fuse; the layers take any (see RnnComposite).
  lm::RecurrentOptions gelu{.activation = "gelu"};
  EXPECT_LAMINA_ERROR(lm::lstm_sequence(x, {}, {}, {}, lm::zeros({4, 12}), lm::zeros({3, 12}), {}, gelu),
                      lm::ValueError, {
                        EXPECT_THAT(msg, HasSubstr("\"gelu\""));
                        EXPECT_THAT(msg, HasSubstr("\"softplus\""));
                        EXPECT_THAT(msg, HasSubstr("accept any activation"));
                      });
  EXPECT_LAMINA_ERROR(LSTM(4, {.activation = "gelu_typo"}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("unknown activation 'gelu_typo'")); });
}

TEST(RnnSymbolic, LstmSpecsWithAndWithoutSequences) {
  auto x = lm::Input({lm::None, 8});
  auto masked = x.with_mask(lm::Input({lm::None}, lm::Bool));
  EXPECT_EQ(LSTM(16, {.return_sequences = true})(masked).spec().str(), "float32 (None, None, 16) mask (None, None)");
  EXPECT_EQ(LSTM(16, {.return_sequences = true})(x).spec().str(), "float32 (None, None, 16)");
  EXPECT_EQ(LSTM(16)(masked).spec().str(), "float32 (None, 16)");
  lm::TensorList outs = GRU(16, {.return_sequences = true, .return_state = true})(lm::TensorList{masked});
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(outs[1].spec().str(), "float32 (None, 16)");
}

TEST(RnnSymbolic, ReplayComputesTheSameValues) {
  auto x = lm::Input({3, 2});
  auto layer = GRU(4, {.return_sequences = true});
  lm::Tensor y = layer(x);
  ASSERT_TRUE(y.node() && y.node()->replay);
  lm::Tensor concrete = seq(2, 3, 2);
  EXPECT_VALUES(y.node()->replay({concrete})[0], layer(concrete).to_vector<double>(), 0.0);
}

TEST(RnnOps, GradcheckEachCell) {
  std::mt19937_64 rng(8);
  const int B = 3, T = 4, F = 2, U = 3;
  auto r = [&](std::vector<std::int64_t> dims) {
    lm::Shape s(dims);
    return lm::tensor(rnnref::random_vec(static_cast<std::size_t>(s.numel()), rng), s, lm::Float64);
  };
  lm::Tensor mask =
      lm::tensor(std::vector<bool>{true, true, false, false, false, true, true, true, true, false, true, true},
                 lm::Shape{B, T}, lm::Bool);
  lm::Tensor x = r({B, T, F}), h0 = r({B, U}), c0 = r({B, U});
  for (bool back : {false, true}) {
    lm::RecurrentOptions o{.go_backwards = back, .return_sequences = true};
    EXPECT_GRADCHECK(
        [&](const lm::TensorList& in) {
          return lm::lstm_sequence(in[0], mask, in[1], in[2], in[3], in[4], in[5], o)[0];
        },
        {x, h0, c0, r({F, 4 * U}), r({U, 4 * U}), r({4 * U})});
    EXPECT_GRADCHECK(
        [&](const lm::TensorList& in) {
          return lm::lstm_sequence(in[0], mask, in[1], in[2], in[3], in[4], in[5], o)[2];
        },
        {x, h0, c0, r({F, 4 * U}), r({U, 4 * U}), r({4 * U})});
    EXPECT_GRADCHECK(
        [&](const lm::TensorList& in) { return lm::gru_sequence(in[0], mask, in[1], in[2], in[3], in[4], o)[0]; },
        {x, h0, r({F, 3 * U}), r({U, 3 * U}), r({2, 3 * U})});
    lm::RecurrentOptions before = o;
    before.reset_after = false;
    before.return_sequences = false;
    EXPECT_GRADCHECK(
        [&](const lm::TensorList& in) { return lm::gru_sequence(in[0], mask, in[1], in[2], in[3], in[4], before)[0]; },
        {x, h0, r({F, 3 * U}), r({U, 3 * U}), r({3 * U})});
    EXPECT_GRADCHECK(
        [&](const lm::TensorList& in) {
          return lm::simple_rnn_sequence(in[0], mask, in[1], in[2], in[3], in[4], o)[1];
        },
        {x, h0, r({F, U}), r({U, U}), r({U})});
  }
}

TEST(RnnOps, RecurrentDropoutAndOtherActivationsGradcheck) {
  std::mt19937_64 rng(12);
  const int B = 2, T = 3, F = 2, U = 3;
  auto r = [&](std::vector<std::int64_t> dims) {
    lm::Shape s(dims);
    return lm::tensor(rnnref::random_vec(static_cast<std::size_t>(s.numel()), rng), s, lm::Float64);
  };
  lm::Tensor drop = lm::tensor(std::vector<double>{2, 0, 2, 2, 2, 0}, lm::Shape{B, U}, lm::Float64);
  lm::RecurrentOptions o{
      .activation = "softsign", .recurrent_activation = "sigmoid", .return_sequences = true, .recurrent_dropout = drop};
  EXPECT_GRADCHECK(
      [&](const lm::TensorList& in) { return lm::lstm_sequence(in[0], {}, in[1], in[2], in[3], in[4], in[5], o)[0]; },
      {r({B, T, F}), r({B, U}), r({B, U}), r({F, 4 * U}), r({U, 4 * U}), r({4 * U})});
  for (bool ra : {true, false}) {
    o.reset_after = ra;
    EXPECT_GRADCHECK(
        [&](const lm::TensorList& in) { return lm::gru_sequence(in[0], {}, in[1], in[2], in[3], {}, o)[0]; },
        {r({B, T, F}), r({B, U}), r({F, 3 * U}), r({U, 3 * U})});
  }
}

TEST(RnnOps, OutputDerivedActivationsMatchAPlainLoopAndGradcheck) {
  // elu, selu, exponential, softplus: values of a SimpleRNN against h_t = act(x_t W + h R + b)
  // written out here (float64 exactly, float32 to its precision), and gradients by finite
  // differences through SimpleRNN and through LSTM's cell activation.
  const double alpha = 1.6732632423543772848170429916717, scale = 1.0507009873554804934193349852946;
  const std::pair<const char*, std::function<double(double)>> acts[] = {
      {"elu", [](double v) { return v > 0 ? v : std::exp(v) - 1; }},
      {"selu", [&](double v) { return scale * (v > 0 ? v : alpha * (std::exp(v) - 1)); }},
      {"exponential", [](double v) { return std::exp(v); }},
      {"softplus", [](double v) { return std::log(1 + std::exp(v)); }}};
  std::mt19937_64 rng(21);
  const int B = 2, T = 3, F = 2, U = 3;
  auto raw = [&](int n) { return rnnref::random_vec(static_cast<std::size_t>(n), rng, 0.8); };
  const rnnref::Vec xv = raw(B * T * F), Wv = raw(F * U), Rv = raw(U * U), bv = raw(U);
  for (const auto& [name, act] : acts) {
    rnnref::Vec want;
    for (int b = 0; b < B; ++b) {
      rnnref::Vec h(U, 0.0);
      for (int t = 0; t < T; ++t) {
        rnnref::Vec next(U);
        for (int j = 0; j < U; ++j) {
          double z = bv[j];
          for (int f = 0; f < F; ++f) z += xv[(b * T + t) * F + f] * Wv[f * U + j];
          for (int q = 0; q < U; ++q) z += h[q] * Rv[q * U + j];
          next[j] = act(z);
        }
        h = next;
        want.insert(want.end(), h.begin(), h.end());
      }
    }
    lm::RecurrentOptions o{.activation = name, .return_sequences = true};
    for (lm::DType dt : {lm::Float64, lm::Float32}) {
      auto t = [&](const rnnref::Vec& v, lm::Shape s) { return lm::cast(lm::tensor(v, s, lm::Float64), dt); };
      lm::Tensor y = lm::simple_rnn_sequence(t(xv, {B, T, F}), {}, {}, t(Wv, {F, U}), t(Rv, {U, U}), t(bv, {U}), o)[0];
      EXPECT_VALUES(y, want, dt == lm::Float64 ? 1e-12 : 3e-6) << name << " " << lm::dtype_name(dt);
    }
    auto r = [&](std::vector<std::int64_t> dims) {
      lm::Shape s(dims);
      return lm::tensor(raw(static_cast<int>(s.numel())), s, lm::Float64);
    };
    EXPECT_GRADCHECK(
        [&](const lm::TensorList& in) { return lm::simple_rnn_sequence(in[0], {}, {}, in[1], in[2], in[3], o)[0]; },
        {r({B, T, F}), r({F, U}), r({U, U}), r({U})});
    EXPECT_GRADCHECK(
        [&](const lm::TensorList& in) { return lm::lstm_sequence(in[0], {}, {}, {}, in[1], in[2], in[3], o)[0]; },
        {r({B, T, F}), r({F, 4 * U}), r({U, 4 * U}), r({4 * U})});
  }
}

// ---- the composite path (activations the kernels do not fuse) ----------------------------

TEST(RnnComposite, GeluSimpleRnnMatchesAPlainLoop) {
  // h_t = gelu(x_t W + h_{t-1} R + b), gelu(z) = z Phi(z) = z (1 + erf(z / sqrt 2)) / 2, with
  // row 1's last step masked (the state carries over, the output repeats).
  const int B = 2, T = 3, F = 2, U = 3;
  std::mt19937_64 rng(5);
  const rnnref::Vec xv = rnnref::random_vec(B * T * F, rng, 1.0), Wv = rnnref::random_vec(F * U, rng, 0.8),
                    Rv = rnnref::random_vec(U * U, rng, 0.8), bv = rnnref::random_vec(U, rng, 0.8);
  const std::vector<char> valid{1, 1, 1, 1, 1, 0};
  rnnref::Vec want;
  for (int b = 0; b < B; ++b) {
    rnnref::Vec h(U, 0.0);
    for (int t = 0; t < T; ++t) {
      if (valid[b * T + t]) {
        rnnref::Vec next(U);
        for (int j = 0; j < U; ++j) {
          double z = bv[j];
          for (int f = 0; f < F; ++f) z += xv[(b * T + t) * F + f] * Wv[f * U + j];
          for (int q = 0; q < U; ++q) z += h[q] * Rv[q * U + j];
          next[j] = z * (1 + std::erf(z / std::sqrt(2.0))) / 2;
        }
        h = next;
      }
      want.insert(want.end(), h.begin(), h.end());
    }
  }
  auto layer = SimpleRNN(U, {.activation = "gelu", .return_sequences = true});
  EXPECT_FALSE(layer->fused());
  lm::Tensor mask = mask_tensor(valid, B, T);
  lm::Tensor x = lm::tensor(xv, lm::Shape{B, T, F}, lm::Float64).with_mask(mask);
  layer(x);
  layer->kernel().assign(lm::tensor(Wv, lm::Shape{F, U}, lm::Float64));
  layer->recurrent_kernel().assign(lm::tensor(Rv, lm::Shape{U, U}, lm::Float64));
  layer->bias().assign(lm::tensor(bv, lm::Shape{U}, lm::Float64));
  lm::Tensor y = layer(x);
  EXPECT_VALUES(y, want, 1e-12);
  EXPECT_MASK(y, (lm::Shape{B, T}), {true, true, true, true, true, false});
  EXPECT_EQ(layer->get_config()["activation"], "gelu");
  EXPECT_EQ(layer_from_config(layer->get_config())->get_config(), layer->get_config());
}

TEST(RnnComposite, SwishLstmAndGruGradcheckWithMask) {
  const int B = 3, T = 4, F = 2, U = 3;
  std::mt19937_64 rng(8);
  lm::Tensor mask = mask_tensor({1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 1}, B, T);
  lm::Tensor x = lm::tensor(rnnref::random_vec(B * T * F, rng, 1.0), lm::Shape{B, T, F}, lm::Float64).with_mask(mask);
  auto lstm = LSTM(U, {.activation = "swish", .recurrent_activation = "hard_silu", .return_sequences = true});
  auto gru = GRU(U, {.activation = "gelu", .go_backwards = true});
  auto gru_before = GRU(U, {.activation = "mish", .reset_after = false});
  for (auto layer :
       {lm::LayerHandle<RNNLayer>(lstm), lm::LayerHandle<RNNLayer>(gru), lm::LayerHandle<RNNLayer>(gru_before)}) {
    SCOPED_TRACE(layer->name());
    EXPECT_FALSE(layer->fused());
    layer(x);
    EXPECT_GRADCHECK([&](const lm::TensorList& in) { return layer(in[0].with_mask(mask)); }, {x.without_mask()});
  }
}

TEST(RnnComposite, CallableActivationThatChangesTheShapeFailsAtBuild) {
  // A "softmax over the batch" style mistake: the callable reduces its input. It is caught
  // when the layer is built on the symbolic input, before any data.
  auto bad = lm::ActivationSpec([](const lm::Tensor& t) { return lm::sum(t, 1); }, "row_sum");
  EXPECT_LAMINA_ERROR(LSTM(4, {.recurrent_activation = bad, .name = "bad_act"})(lm::Input({lm::None, 3})),
                      lm::ShapeError, {
                        EXPECT_THAT(msg, HasSubstr("'bad_act' (LSTM)"));
                        EXPECT_THAT(msg, HasSubstr("recurrent_activation 'row_sum'"));
                        EXPECT_THAT(msg, HasSubstr("float32 (None, 4)"));
                        EXPECT_THAT(msg, HasSubstr("found:    float32 (None,)"));
                      });
  auto to_int = lm::ActivationSpec([](const lm::Tensor& t) { return lm::cast(t, lm::Int32); }, "to_int");
  EXPECT_LAMINA_ERROR(GRU(2, {.activation = to_int})(lm::ones({1, 2, 3})), lm::ShapeError,
                      { EXPECT_THAT(msg, HasSubstr("int32 (None, 2)")); });
}

TEST(RnnComposite, SymbolicSpecsAreTheFusedOnes) {
  auto x = lm::Input({lm::None, 8}).with_mask(lm::Input({lm::None}, lm::Bool));
  EXPECT_EQ(LSTM(16, {.activation = "gelu", .return_sequences = true})(x).spec().str(),
            LSTM(16, {.return_sequences = true})(x).spec().str());
  lm::TensorList outs = GRU(5, {.activation = "swish", .return_state = true})(lm::TensorList{x});
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(outs[0].spec().str(), "float32 (None, 5)");
  EXPECT_EQ(outs[1].spec().str(), "float32 (None, 5)");
}

TEST(RnnComposite, RecurrentDropoutAgreesWithTheFusedPath) {
  // Same seed, same dropout masks: tanh by name (fused) and as a callable (composite) give
  // the same training outputs.
  lm::Tensor x = seq(3, 5, 4, lm::Float64);
  auto run = [&](lm::ActivationSpec act, bool training) {
    lm::set_seed(77);
    auto layer = GRU(3, {.activation = act, .return_sequences = true, .dropout = 0.3, .recurrent_dropout = 0.4});
    return layer(x, {.training = training}).to_vector<double>();
  };
  std::vector<double> fused = run("tanh", true), composite = run(tanh_callable(), true);
  EXPECT_VALUES(lm::tensor(composite), fused, 1e-12);
  EXPECT_VALUES(lm::tensor(run(tanh_callable(), false)), run("tanh", false), 1e-12);
  EXPECT_NE(fused, run("tanh", false));  // the dropout did act
}

TEST(RnnComposite, SecondOrderGradientsMatchFiniteDifferences) {
  // d/dx of sum(dL/dW) for L = sum(SimpleRNN_gelu(x)): the outer gradient against central
  // differences of the inner one (the fused path refuses this with a GradientError).
  lm::set_seed(3);
  auto layer = SimpleRNN(2, {.activation = "gelu"});
  const rnnref::Vec xv{0.3, -0.7, 1.1, 0.2, -0.4, 0.9};
  auto x_of = [](const rnnref::Vec& v) { return lm::tensor(v, lm::Shape{1, 3, 2}, lm::Float64); };
  layer(x_of(xv));
  auto inner = [&](const lm::Tensor& x) {
    lm::GradientTape tape;
    return lm::sum(*tape.gradient(lm::sum(layer(x)), std::vector<lm::Variable>{layer->kernel()})[0]);
  };
  lm::Tensor x = x_of(xv);
  lm::GradientTape outer;
  outer.watch(x);
  lm::Tensor g;
  {
    lm::GradientTape tape;
    g = lm::sum(*tape.gradient(lm::sum(layer(x)), std::vector<lm::Variable>{layer->kernel()})[0]);
  }
  auto second = outer.gradient(g, x);
  ASSERT_TRUE(second.has_value());
  rnnref::Vec v = xv;
  rnnref::Vec want = rnnref::numeric_grad(v, [&] { return inner(x_of(v)).item<double>(); });
  EXPECT_VALUES(*second, want, 1e-6);
}

TEST(RnnOps, SecondOrderGradientIsAGradientError) {
  lm::Tensor x = seq(1, 2, 2, lm::Float64);
  lm::Tensor W = lm::zeros({2, 3}, lm::Float64) + 0.1, R = lm::zeros({3, 3}, lm::Float64) + 0.2;
  lm::GradientTape outer;
  outer.watch(W);
  lm::GradientTape inner;
  inner.watch(W);
  lm::Tensor loss = lm::sum(lm::simple_rnn_sequence(x, {}, {}, W, R, {})[0]);
  EXPECT_LAMINA_ERROR(inner.gradient(loss, W), lm::GradientError, {
    EXPECT_THAT(msg, HasSubstr("second-order"));
    EXPECT_THAT(msg, HasSubstr("simple_rnn_sequence"));
  });
}

TEST(RnnOps, Float32ActivationsSaturateWithoutNaN) {
  // Huge pre-activations: the fast float32 exp must clamp, not overflow into inf/NaN.
  lm::Tensor x = lm::tensor(std::vector<float>{1e4f, -1e4f, 90.f, -90.f, 1e-3f, 0.f}, lm::Shape{1, 6, 1});
  for (const char* act : {"tanh", "sigmoid"}) {
    lm::RecurrentOptions o{.activation = act, .return_sequences = true};
    lm::Tensor y = lm::simple_rnn_sequence(x, {}, {}, lm::ones({1, 1}), lm::zeros({1, 1}), {}, o)[0];
    std::vector<double> want;
    for (double e : {1e4, -1e4, 90.0, -90.0, 1e-3, 0.0})
      want.push_back(std::string(act) == "tanh" ? std::tanh(e) : 1 / (1 + std::exp(-e)));
    EXPECT_VALUES(y, want, 2e-7) << act;
  }
}

TEST(RnnOps, ZeroSizedInputs) {
  // Empty batch, no steps, no features, everything masked: shapes right, no crash, and
  // gradients of the right shapes (zeros where nothing flowed).
  struct Case {
    std::int64_t B, T, F;
    bool all_masked;
  };
  for (Case c : {Case{0, 3, 2, false}, Case{2, 0, 2, false}, Case{2, 3, 0, false}, Case{2, 3, 2, true}}) {
    lm::Tensor x = lm::ones({c.B, c.T, c.F}, lm::Float64);
    if (c.all_masked) x = x.with_mask(lm::zeros({c.B, c.T}, lm::Bool));
    lm::Tensor W = lm::ones({c.F, 8}, lm::Float64), R = lm::ones({2, 8}, lm::Float64), b = lm::ones({8}, lm::Float64);
    lm::Tensor h0 = lm::ones({c.B, 2}, lm::Float64);
    lm::GradientTape tape;
    for (const auto& t : {x, W, R, b, h0}) tape.watch(t);
    lm::TensorList outs = lm::lstm_sequence(x, {}, h0, {}, W, R, b, {.return_sequences = true});
    EXPECT_SHAPE(outs[0], (lm::Shape{c.B, c.T, 2}));
    EXPECT_SHAPE(outs[1], (lm::Shape{c.B, 2}));
    if (c.T == 0 || c.all_masked) {
      EXPECT_VALUES(outs[1], h0.to_vector<double>(), 0.0);  // no valid step: the initial state
    }
    auto g = tape.gradient(lm::sum(outs[0].without_mask()) + lm::sum(outs[1]), lm::TensorList{x, W, R, b, h0},
                           {.unconnected = lm::Unconnected::Zero});
    EXPECT_SHAPE(*g[0], x.shape());
    EXPECT_SHAPE(*g[1], W.shape());
    EXPECT_SHAPE(*g[4], h0.shape());
  }
}

TEST(RnnLayers, WeightsConfigAndInitialValues) {
  auto lstm = LSTM(3, {.return_sequences = true, .name = "enc"});
  lstm(seq(1, 2, 5));
  EXPECT_EQ(lstm->kernel().name(), "enc/kernel");
  EXPECT_SHAPE(lstm->kernel().value(), (lm::Shape{5, 12}));
  EXPECT_SHAPE(lstm->recurrent_kernel().value(), (lm::Shape{3, 12}));
  EXPECT_VALUES(lstm->bias().value(), {0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0}, 0.0);  // unit_forget_bias
  EXPECT_EQ(lstm->count_params(), 5 * 12 + 3 * 12 + 12);
  lm::Json c = lstm->get_config();
  EXPECT_EQ(c["units"], 3);
  EXPECT_EQ(c["return_sequences"], true);
  EXPECT_EQ(c["recurrent_initializer"], "orthogonal");
  EXPECT_EQ(c["unit_forget_bias"], true);
  auto gru = GRU(2);
  gru(seq(1, 2, 5));
  EXPECT_SHAPE(gru->bias().value(), (lm::Shape{2, 6}));
  EXPECT_EQ(gru->get_config()["reset_after"], true);
  auto gru_b = GRU(2, {.use_bias = true, .reset_after = false});
  gru_b(seq(1, 2, 5));
  EXPECT_SHAPE(gru_b->bias().value(), (lm::Shape{6}));
  auto no_bias = SimpleRNN(2, {.use_bias = false});
  no_bias(seq(1, 2, 5));
  EXPECT_FALSE(no_bias->bias().defined());
  EXPECT_EQ(no_bias->weights().size(), 2u);
  EXPECT_EQ(no_bias->name().rfind("simple_rnn", 0), 0u);
}

}  // namespace
