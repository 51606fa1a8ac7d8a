// Conv1D: values against a plain loop written here (every padding, stride, dilation and
// group count), a hand-computed example, masks (a padded batch gives the unpadded values
// at every valid step), symbolic specs, gradients of input, kernel and bias.
#include <fmt/format.h>

#include <cmath>

#include "lamina/layers/convolutional.hpp"
#include "masked_garbage.hpp"
#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;
using ::testing::HasSubstr;

namespace {

lm::Tensor bools(const std::vector<bool>& v, const lm::Shape& s) { return lm::tensor(v, s, lm::Bool); }

std::vector<double> irregular(std::size_t n, double phase) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = std::sin(1.3 * static_cast<double>(i) + phase) + 0.1 * phase;
  return v;
}

struct Geometry {
  std::int64_t k, stride, dilation, groups;
  std::string padding;
};

// The textbook definition, one output at a time: out[b, t, f] = bias[f] + sum over taps i
// and the group's channels c of x[b, start + i * dilation, c] * kernel[i, c - c0, f], with
// zeros outside [0, T). start and the output length follow Keras/TF.
std::vector<double> reference(const std::vector<double>& x, std::int64_t B, std::int64_t T, std::int64_t C,
                              const std::vector<double>& kernel, const std::vector<double>& bias, std::int64_t F,
                              const Geometry& g, std::int64_t* out_len) {
  const std::int64_t span = (g.k - 1) * g.dilation + 1;
  std::int64_t out = 0, left = 0;
  if (g.padding == "valid") {
    out = T >= span ? (T - span) / g.stride + 1 : 0;
  } else if (g.padding == "causal") {
    out = (T + g.stride - 1) / g.stride;
    left = span - 1;
  } else {
    out = (T + g.stride - 1) / g.stride;
    left = std::max<std::int64_t>((out - 1) * g.stride + span - T, 0) / 2;
  }
  *out_len = out;
  const std::int64_t cg = C / g.groups, fg = F / g.groups;
  std::vector<double> y;
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < out; ++t)
      for (std::int64_t f = 0; f < F; ++f) {
        double acc = bias.empty() ? 0.0 : bias[static_cast<std::size_t>(f)];
        const std::int64_t group = f / fg;
        for (std::int64_t i = 0; i < g.k; ++i) {
          const std::int64_t step = t * g.stride - left + i * g.dilation;
          if (step < 0 || step >= T) continue;
          for (std::int64_t c = 0; c < cg; ++c)
            acc += x[static_cast<std::size_t>((b * T + step) * C + group * cg + c)] *
                   kernel[static_cast<std::size_t>((i * cg + c) * F + f)];
        }
        y.push_back(acc);
      }
  return y;
}

// A built Conv1D with the given kernel and bias.
Conv1D conv(std::int64_t filters, const Geometry& g, const std::vector<double>& kernel, const std::vector<double>& bias,
            std::int64_t channels, lm::DType dt = lm::Float32) {
  Conv1D layer(filters, g.k,
               {.strides = g.stride, .padding = g.padding, .dilation_rate = g.dilation, .groups = g.groups,
                .use_bias = !bias.empty()});
  layer->build({lm::TensorSpec{lm::Shape{lm::None, lm::None, channels}, dt}});
  layer->kernel().assign(lm::tensor(kernel, layer->kernel().shape(), dt));
  if (!bias.empty()) layer->bias().assign(lm::tensor(bias, lm::Shape{filters}, dt));
  return layer;
}

}  // namespace

TEST(Conv1D, HandComputedExample) {
  // x = 1, 2, 3, 4 (one channel), kernel taps (1, 0, -1): out = x[t] - x[t + 2] on windows.
  const auto x = lm::tensor({{{1.f}, {2.f}, {3.f}, {4.f}}});
  const std::vector<double> kernel{1, 0, -1};
  // valid: windows (1,2,3), (2,3,4).
  EXPECT_VALUES(conv(1, {3, 1, 1, 1, "valid"}, kernel, {}, 1)(x), {-2, -2});
  // causal: two zeros on the left: (0,0,1) (0,1,2) (1,2,3) (2,3,4).
  EXPECT_VALUES(conv(1, {3, 1, 1, 1, "causal"}, kernel, {}, 1)(x), {-1, -2, -2, -2});
  // same: one zero each side: (0,1,2) (1,2,3) (2,3,4) (3,4,0).
  EXPECT_VALUES(conv(1, {3, 1, 1, 1, "same"}, kernel, {}, 1)(x), {-2, -2, -2, 3});
  // bias 0.5, strides 2, valid: windows at 0 and 2 -> only (1,2,3) fits... and (3,4,_) does not.
  EXPECT_VALUES(conv(1, {3, 2, 1, 1, "valid"}, kernel, {0.5}, 1)(x), {-1.5});
  // dilation 2, kernel (1, -1): x[t] - x[t + 2].
  EXPECT_VALUES(conv(1, {2, 1, 2, 1, "valid"}, {1, -1}, {}, 1)(x), {-2, -2});
}

TEST(Conv1D, ValuesMatchTheDefinitionForEveryGeometry) {
  const std::int64_t B = 2, T = 7, C = 4, F = 6;
  const auto xv = irregular(static_cast<std::size_t>(B * T * C), 0.3);
  const auto x = lm::tensor(xv, lm::Shape{B, T, C});
  for (const char* padding : {"valid", "same", "causal"})
    for (std::int64_t stride : {1, 2, 3})
      for (std::int64_t dilation : {1, 2})
        for (std::int64_t groups : {1, 2}) {
          const Geometry g{3, stride, dilation, groups, padding};
          SCOPED_TRACE(fmt::format("{} strides {} dilation {} groups {}", padding, stride, dilation, groups));
          const auto kv = irregular(static_cast<std::size_t>(3 * (C / groups) * F), 1.7);
          const auto bv = irregular(static_cast<std::size_t>(F), 2.9);
          std::int64_t out = 0;
          const auto want = reference(xv, B, T, C, kv, bv, F, g, &out);
          auto y = conv(F, g, kv, bv, C)(x);
          EXPECT_SHAPE(y, lm::Shape({B, out, F}));
          EXPECT_VALUES(y, want, 1e-5);
        }
}

TEST(Conv1D, KerasDefaultsLayoutAndActivation) {
  Conv1D layer(5, 3, {.activation = "relu"});
  auto y = layer(lm::random_normal({2, 6, 4}, {.seed = 3}));
  EXPECT_EQ(layer->kernel().shape(), lm::Shape({3, 4, 5}));  // [kernel_size, channels, filters]
  EXPECT_EQ(layer->bias().shape(), lm::Shape({5}));
  EXPECT_EQ(layer->kernel().name(), layer->name() + "/kernel");
  for (double b : layer->bias().value().to_vector<double>()) EXPECT_EQ(b, 0.0);  // zeros
  // glorot_uniform: |w| <= sqrt(6 / (fan_in + fan_out)), fans = (3 * 4, 3 * 5).
  const double limit = std::sqrt(6.0 / (12.0 + 15.0));
  for (double w : layer->kernel().value().to_vector<double>()) EXPECT_LE(std::fabs(w), limit);
  for (double v : y.to_vector<double>()) EXPECT_GE(v, 0.0);  // relu
  EXPECT_SHAPE(y, lm::Shape({2, 4, 5}));
  Conv1D grouped(6, 2, {.groups = 3});
  grouped(lm::ones({1, 4, 9}));
  EXPECT_EQ(grouped->kernel().shape(), lm::Shape({2, 3, 6}));  // [k, channels / groups, filters]
}

TEST(Conv1D, ChannelsFirst) {
  const std::vector<double> kv = irregular(3 * 2 * 3, 0.5);
  Conv1D last(3, 3, {.padding = "same"}), first(3, 3, {.padding = "same", .data_format = "channels_first"});
  auto x = lm::random_normal({2, 5, 2}, {.seed = 4});
  last(x);
  first(lm::transpose(x, {0, 2, 1}));
  last->kernel().assign(lm::tensor(kv, {3, 2, 3}, lm::Float32));
  first->kernel().assign(lm::tensor(kv, {3, 2, 3}, lm::Float32));
  auto a = last(x), b = first(lm::transpose(x, {0, 2, 1}));
  EXPECT_SHAPE(b, lm::Shape({2, 3, 5}));
  EXPECT_VALUES(lm::transpose(b, {0, 2, 1}), a.to_vector<double>(), 1e-6);
}

// A right-padded batch gives, at every valid output step, the values of the unpadded
// sequence; the output mask is the windows' rule, and NaN padding changes nothing.
TEST(Conv1D, PaddedBatchGivesTheUnpaddedValuesAtValidSteps) {
  const std::int64_t T = 9, C = 3, F = 2, L = 6;
  const auto kv = irregular(static_cast<std::size_t>(3 * C * F), 0.9);
  const auto bv = irregular(static_cast<std::size_t>(F), 1.1);
  const auto seq = irregular(static_cast<std::size_t>(L * C), 0.2);
  std::vector<double> padded = seq;
  padded.resize(static_cast<std::size_t>(T * C), std::nan(""));  // garbage in the padding
  std::vector<bool> right(static_cast<std::size_t>(T), false);
  for (std::int64_t t = 0; t < L; ++t) right[static_cast<std::size_t>(t)] = true;
  const auto batch = lm::tensor(padded, lm::Shape{1, T, C}).with_mask(bools(right, {1, T}));
  const auto alone = lm::tensor(seq, lm::Shape{1, L, C});
  for (const char* padding : {"valid", "same", "causal"})
    for (std::int64_t stride : {1, 2})
      for (std::int64_t dilation : {1, 2}) {
        if (std::string(padding) == "same" && stride > 1) continue;  // the padding split depends on T there
        SCOPED_TRACE(fmt::format("{} strides {} dilation {}", padding, stride, dilation));
        const Geometry g{3, stride, dilation, 1, padding};
        auto layer = conv(F, g, kv, bv, C);
        auto y = layer(batch);
        auto want = layer(alone);
        ASSERT_TRUE(y.has_mask());
        const auto m = y.mask().to_vector<bool>();
        const std::int64_t valid = std::count(m.begin(), m.end(), true);
        EXPECT_EQ(valid, want.dim(1));  // exactly the steps the unpadded sequence has...
        for (std::int64_t t = 0; t < valid; ++t) EXPECT_TRUE(m[static_cast<std::size_t>(t)]);  // ...first
        auto yv = y.to_vector<double>(), wv = want.to_vector<double>();
        for (std::size_t i = 0; i < wv.size(); ++i) EXPECT_NEAR(yv[i], wv[i], 1e-5) << i;
      }
}

TEST(Conv1D, LeftPaddedBatchWithValidAndCausalPadding) {
  // pad_sequences's default pads on the left: steps 0..2 masked, 3..8 valid.
  const std::int64_t T = 9, C = 2, L = 6;
  const auto kv = irregular(static_cast<std::size_t>(3 * C * 2), 0.4);
  const auto seq = irregular(static_cast<std::size_t>(L * C), 0.6);
  std::vector<double> padded(static_cast<std::size_t>((T - L) * C), std::numeric_limits<double>::infinity());
  padded.insert(padded.end(), seq.begin(), seq.end());
  std::vector<bool> left(static_cast<std::size_t>(T), true);
  for (std::int64_t t = 0; t < T - L; ++t) left[static_cast<std::size_t>(t)] = false;
  const auto batch = lm::tensor(padded, lm::Shape{1, T, C}).with_mask(bools(left, {1, T}));
  const auto alone = lm::tensor(seq, lm::Shape{1, L, C});
  for (const char* padding : {"valid", "causal", "same"}) {
    SCOPED_TRACE(padding);
    auto layer = conv(2, {3, 1, 1, 1, padding}, kv, {}, C);
    auto y = layer(batch), want = layer(alone);
    const auto m = y.mask().to_vector<bool>();
    const std::int64_t first_valid = std::find(m.begin(), m.end(), true) - m.begin();
    EXPECT_EQ(static_cast<std::int64_t>(m.size()) - first_valid, want.dim(1));
    EXPECT_VALUES(lm::slice(y.without_mask(), 1, {first_valid, {}}), want.to_vector<double>(), 1e-5);
  }
}

TEST(Conv1D, MaskRulesOnAHoleAndOtherMasks) {
  // Valid steps 1 1 0 1 1 1 0 (a hole at 2, padding at 6), k = 2.
  const auto m = bools({true, true, false, true, true, true, false}, {1, 7});
  const auto x = lm::ones({1, 7, 1}).with_mask(m);
  // valid: window (t, t+1) needs both: 1 0 0 1 1 0.
  EXPECT_MASK(Conv1D(1, 2)(x), lm::Shape({1, 6}), {true, false, false, true, true, false});
  // causal: window (t-1, t): step t decides: 1 1 0 1 1 1 0.
  EXPECT_MASK(Conv1D(1, 2, {.padding = "causal"})(x), lm::Shape({1, 7}),
              {true, true, false, true, true, true, false});
  // same (pad 0 left, 1 right): window (t, t+1), aligned with t: 1 1 0 1 1 1 0.
  EXPECT_MASK(Conv1D(1, 2, {.padding = "same"})(x), lm::Shape({1, 7}), {true, true, false, true, true, true, false});
  // strides 2, valid: windows at 0, 2, 4: (0,1) (2,3) (4,5): 1 0 1.
  EXPECT_MASK(Conv1D(1, 2, {.strides = 2})(x), lm::Shape({1, 3}), {true, false, true});
  // Masked steps are zeros that are not there: a kernel of ones sums the valid steps only.
  Conv1D sum2(1, 2, {.padding = "causal", .use_bias = false, .kernel_initializer = "ones"});
  EXPECT_VALUES(sum2(x).without_mask(), {1, 2, 1, 1, 2, 2, 1});
  // A (batch,) mask passes through; a mask over channels is a MaskError.
  auto whole = lm::ones({2, 5, 1}).with_mask(bools({true, false}, {2}));
  EXPECT_MASK(Conv1D(1, 2)(whole), lm::Shape({2}), {true, false});
  auto full = lm::ones({1, 5, 2}).with_mask(lm::ones({1, 5, 2}, lm::Bool));
  EXPECT_LAMINA_ERROR(Conv1D(1, 2, {.name = "conv_full"})(full), lm::MaskError, {
    EXPECT_THAT(msg, HasSubstr("layer 'conv_full' (Conv1D)"));
    EXPECT_THAT(msg, HasSubstr("hint:"));
  });
}

TEST(Conv1D, NonFiniteValuesAtMaskedStepsAreIgnored) {
  const auto x = lm::random_normal({2, 6, 3}, {.seed = 7})
                     .with_mask(bools({true, true, true, true, false, false, true, false, true, true, true, false}, {2, 6}));
  for (const char* padding : {"valid", "same", "causal"})
    for (std::int64_t groups : {1, 3}) {
      SCOPED_TRACE(fmt::format("{} groups {}", padding, groups));
      Conv1D layer(3, 3, {.padding = padding, .groups = groups, .activation = "tanh", .bias_initializer = "ones"});
      layer(x);
      EXPECT_GARBAGE_IGNORED([&](const lm::TensorList& in) { return layer(in[0]); }, {x}, layer->weights());
    }
}

TEST(Conv1D, SymbolicSpecs) {
  EXPECT_EQ(Conv1D(6, 3)(lm::Input({7, 4})).spec().str(), "float32 (None, 5, 6)");
  EXPECT_EQ(Conv1D(6, 3, {.strides = 2})(lm::Input({7, 4})).spec().str(), "float32 (None, 3, 6)");
  EXPECT_EQ(Conv1D(6, 3, {.strides = 2, .padding = "same"})(lm::Input({7, 4})).spec().str(), "float32 (None, 4, 6)");
  EXPECT_EQ(Conv1D(6, 3, {.strides = 2, .padding = "causal"})(lm::Input({7, 4})).spec().str(),
            "float32 (None, 4, 6)");
  EXPECT_EQ(Conv1D(6, 3, {.dilation_rate = 3})(lm::Input({7, 4})).spec().str(), "float32 (None, 1, 6)");
  EXPECT_EQ(Conv1D(6, 3)(lm::Input({lm::None, 4})).spec().str(), "float32 (None, None, 6)");
  EXPECT_EQ(Conv1D(6, 3, {.data_format = "channels_first"})(lm::Input({4, 7})).spec().str(), "float32 (None, 6, 5)");
  auto masked = lm::Input({7, 4}).with_mask(lm::Input({7}, lm::Bool));
  EXPECT_EQ(Conv1D(2, 3, {.padding = "causal"})(masked).spec().str(), "float32 (None, 7, 2) mask (None, 7)");
  EXPECT_EQ(Conv1D(2, 3)(masked).spec().str(), "float32 (None, 5, 2) mask (None, 5)");
  // Too short for a window: zero output steps, also with data.
  EXPECT_EQ(Conv1D(2, 5)(lm::Input({3, 4})).spec().str(), "float32 (None, 0, 2)");
  EXPECT_SHAPE(Conv1D(2, 5)(lm::ones({2, 3, 4})), lm::Shape({2, 0, 2}));
}

TEST(Conv1D, Gradients) {
  for (const char* padding : {"valid", "same", "causal"})
    for (std::int64_t groups : {1, 2}) {
      SCOPED_TRACE(fmt::format("{} groups {}", padding, groups));
      Conv1D layer(4, 2, {.strides = 2, .padding = padding, .dilation_rate = 1, .groups = groups, .activation = "tanh"});
      const auto x = lm::random_normal({2, 5, 4}, {.dtype = lm::Float64, .seed = 8});
      layer(x);  // float64 weights
      const lm::Tensor k0 = layer->kernel().value(), b0 = lm::random_normal({4}, {.dtype = lm::Float64, .seed = 9});
      // The kernel and bias as inputs: assigning them makes the layer read these tensors.
      EXPECT_GRADCHECK(
          [&](const lm::TensorList& in) {
            layer->kernel().assign(in[1]);
            layer->bias().assign(in[2]);
            return layer(in[0]);
          },
          {x, k0, b0});
    }
  // Dilated, with a mask.
  Conv1D dilated(2, 3, {.padding = "causal", .dilation_rate = 2});
  const auto xm = lm::random_normal({2, 6, 2}, {.dtype = lm::Float64, .seed = 10})
                      .with_mask(bools({true, true, true, true, true, false, true, true, true, false, false, false},
                                       {2, 6}));
  EXPECT_GRADCHECK([&](const lm::TensorList& in) { return dilated(in[0]); }, {xm});
}

TEST(Conv1D, BadOptionsAndInputs) {
  auto named = [](const std::string& msg, const char* who) {
    EXPECT_THAT(msg, HasSubstr(who));
    EXPECT_THAT(msg, HasSubstr("hint:"));
  };
  EXPECT_LAMINA_ERROR(Conv1D(0, 3, {.name = "c0"}), lm::ValueError, named(msg, "layer 'c0' (Conv1D)"));
  EXPECT_LAMINA_ERROR(Conv1D(4, 0, {.name = "c1"}), lm::ValueError, named(msg, "kernel_size"));
  EXPECT_LAMINA_ERROR(Conv1D(4, 3, {.strides = 0, .name = "c2"}), lm::ValueError, named(msg, "strides"));
  EXPECT_LAMINA_ERROR(Conv1D(4, 3, {.padding = "full", .name = "c3"}), lm::ValueError, named(msg, "\"full\""));
  EXPECT_LAMINA_ERROR(Conv1D(5, 3, {.groups = 2, .name = "c4"}), lm::ValueError, named(msg, "divisible by groups"));
  EXPECT_LAMINA_ERROR(Conv1D(4, 3, {.activation = "rellu", .name = "c5"}), lm::ValueError,
                      named(msg, "did you mean 'relu'?"));
  EXPECT_LAMINA_ERROR(Conv1D(4, 3, {.groups = 2, .name = "c6"})(lm::ones({1, 5, 3})), lm::ShapeError,
                      named(msg, "input channels must be divisible by groups"));
  EXPECT_LAMINA_ERROR(Conv1D(4, 3, {.name = "c7"})(lm::ones({2, 5})), lm::ShapeError, named(msg, "3-D"));
  EXPECT_LAMINA_ERROR(Conv1D(4, 3, {.name = "c8"})(lm::Input({5, lm::None})), lm::ShapeError,
                      named(msg, "channels must be known"));
  Conv1D built(4, 3, {.name = "c9"});
  built(lm::ones({1, 5, 3}));
  EXPECT_LAMINA_ERROR(built(lm::ones({1, 5, 2})), lm::ShapeError, named(msg, "built for 3 channels"));
  EXPECT_LAMINA_ERROR(built(lm::ones({1, 5, 3}, lm::Bool)), lm::DTypeError, named(msg, "Bool"));
  EXPECT_LAMINA_ERROR(Conv1D(std::int64_t{1} << 40, std::int64_t{1} << 30, {.name = "c10"}), lm::ValueError,
                      named(msg, "too large"));
  // Integer inputs compute in float32.
  EXPECT_EQ(Conv1D(2, 2)(lm::tensor({{{1}, {2}, {3}}})).dtype(), lm::Float32);
}
