// MaxPooling1D and AveragePooling1D: values against a plain loop written here, masks
// (valid steps only, an all-invalid window masked and 0), symbolic specs, gradients.
#include <fmt/format.h>
#include <cmath>
#include <limits>

#include "lamina/layers/pooling1d.hpp"
#include "masked_garbage.hpp"
#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;
using ::testing::HasSubstr;

namespace {

lm::Tensor bools(const std::vector<bool>& v, const lm::Shape& s) { return lm::tensor(v, s, lm::Bool); }

struct Pooled {
  std::vector<double> values;
  std::vector<bool> valid;  // per (b, window)
  std::int64_t out = 0;
};

// Windows start at w * strides - left (TF's "same" split); a step counts when it is inside
// [0, T) and valid in `mask` (empty: all valid). Max or mean over the counted steps, 0 for
// a window without any.
Pooled reference(const std::vector<double>& x, std::int64_t B, std::int64_t T, std::int64_t C, std::int64_t k,
                 std::int64_t s, const std::string& padding, bool is_max, const std::vector<bool>& mask) {
  Pooled p;
  std::int64_t left = 0;
  if (padding == "valid") {
    p.out = T >= k ? (T - k) / s + 1 : 0;
  } else {
    p.out = (T + s - 1) / s;
    left = std::max<std::int64_t>((p.out - 1) * s + k - T, 0) / 2;
  }
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t w = 0; w < p.out; ++w) {
      std::int64_t count = 0;
      std::vector<double> acc(static_cast<std::size_t>(C), is_max ? -std::numeric_limits<double>::infinity() : 0.0);
      for (std::int64_t i = 0; i < k; ++i) {
        const std::int64_t t = w * s - left + i;
        if (t < 0 || t >= T || (!mask.empty() && !mask[static_cast<std::size_t>(b * T + t)])) continue;
        ++count;
        for (std::int64_t c = 0; c < C; ++c) {
          const double v = x[static_cast<std::size_t>((b * T + t) * C + c)];
          auto& a = acc[static_cast<std::size_t>(c)];
          a = is_max ? std::max(a, v) : a + v;
        }
      }
      p.valid.push_back(count > 0);
      for (double a : acc) p.values.push_back(count == 0 ? 0.0 : is_max ? a : a / static_cast<double>(count));
    }
  return p;
}

std::vector<double> irregular(std::size_t n, double phase) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = std::round(10 * std::sin(0.9 * static_cast<double>(i) + phase)) / 4;
  return v;
}

lm::Tensor pool(bool is_max, std::int64_t k, Pooling1DWindowOptions o, const lm::Tensor& x) {
  return is_max ? MaxPooling1D(k, std::move(o))(x) : AveragePooling1D(k, std::move(o))(x);
}

}  // namespace

TEST(Pooling1D, HandComputed) {
  const auto x = lm::tensor({{{1.f}, {5.f}, {2.f}, {4.f}, {3.f}}});  // (1, 5, 1)
  EXPECT_VALUES(MaxPooling1D()(x), {5, 4});                           // (1,5) (2,4)
  EXPECT_VALUES(AveragePooling1D()(x), {3, 3});
  EXPECT_VALUES(MaxPooling1D(2, {.padding = "same"})(x), {5, 4, 3});  // the last window is (3) alone
  EXPECT_VALUES(AveragePooling1D(2, {.padding = "same"})(x), {3, 3, 3});
  EXPECT_VALUES(MaxPooling1D(3, {.strides = 1})(x), {5, 5, 4});
  // A masked step is a zero that is not there: (1, [5]) averages to 1, max 1.
  const auto m = x.with_mask(bools({true, false, true, true, false}, {1, 5}));
  EXPECT_VALUES(AveragePooling1D()(m), {1, 3});
  EXPECT_VALUES(MaxPooling1D()(m), {1, 4});
}

TEST(Pooling1D, ValuesMatchTheDefinition) {
  const std::int64_t B = 2, T = 7, C = 3;
  const auto xv = irregular(static_cast<std::size_t>(B * T * C), 0.2);
  const auto x = lm::tensor(xv, lm::Shape{B, T, C});
  for (bool is_max : {true, false})
    for (const char* padding : {"valid", "same"})
      for (std::int64_t k : {1, 2, 3})
        for (std::int64_t s : {1, 2, 3}) {
          SCOPED_TRACE(fmt::format("{} {} pool {} strides {}", is_max ? "max" : "avg", padding, k, s));
          const Pooled want = reference(xv, B, T, C, k, s, padding, is_max, {});
          auto y = pool(is_max, k, {.strides = s, .padding = padding}, x);
          EXPECT_SHAPE(y, lm::Shape({B, want.out, C}));
          EXPECT_VALUES(y, want.values, 1e-6);
          EXPECT_FALSE(y.has_mask());
        }
}

TEST(Pooling1D, MaskedStepsTakeNoPartAndEmptyWindowsAreMasked) {
  const std::int64_t B = 2, T = 8, C = 2;
  const std::vector<bool> mv{true, false, false, false, true, true, false, false,   // window (1,2) (2,3) empty
                             true, true, true, true, true, false, false, false};
  auto xv = irregular(static_cast<std::size_t>(B * T * C), 1.0);
  for (std::size_t i = 0; i < xv.size(); ++i)
    if (!mv[i / C]) xv[i] = std::numeric_limits<double>::quiet_NaN();  // garbage in the padding
  const auto x = lm::tensor(xv, lm::Shape{B, T, C}).with_mask(bools(mv, {B, T}));
  for (bool is_max : {true, false})
    for (const char* padding : {"valid", "same"})
      for (std::int64_t k : {2, 3})
        for (std::int64_t s : {1, 2}) {
          SCOPED_TRACE(fmt::format("{} {} pool {} strides {}", is_max ? "max" : "avg", padding, k, s));
          const Pooled want = reference(xv, B, T, C, k, s, padding, is_max, mv);
          auto y = pool(is_max, k, {.strides = s, .padding = padding}, x);
          EXPECT_VALUES(y, want.values, 1e-6);  // no NaN anywhere, 0 for empty windows
          EXPECT_MASK(y, lm::Shape({B, want.out}), want.valid);
        }
  // A (batch,) mask passes through; a mask over channels is a MaskError.
  EXPECT_MASK(MaxPooling1D()(lm::ones({2, 4, 1}).with_mask(bools({false, true}, {2}))), lm::Shape({2}),
              {false, true});
  EXPECT_LAMINA_ERROR(AveragePooling1D(2, {.name = "avg_full"})(lm::ones({1, 4, 2}).with_mask(lm::ones({1, 4, 2}, lm::Bool))),
                      lm::MaskError, {
                        EXPECT_THAT(msg, HasSubstr("layer 'avg_full' (AveragePooling1D)"));
                        EXPECT_THAT(msg, HasSubstr("hint:"));
                      });
}

TEST(Pooling1D, NonFiniteValuesAtMaskedStepsAreIgnored) {
  const auto x = lm::random_normal({2, 6, 3}, {.seed = 5})
                     .with_mask(bools({true, true, false, true, false, false, true, false, false, true, true, false},
                                      {2, 6}));
  for (bool is_max : {true, false})
    for (const char* padding : {"valid", "same"}) {
      SCOPED_TRACE(fmt::format("{} {}", is_max ? "max" : "avg", padding));
      EXPECT_GARBAGE_IGNORED([&](const lm::TensorList& in) { return pool(is_max, 3, {.strides = 2, .padding = padding}, in[0]); },
                             {x});
    }
}

TEST(Pooling1D, ChannelsFirstAndSymbolicSpecs) {
  const auto x = lm::random_normal({2, 5, 3}, {.seed = 6});
  auto last = MaxPooling1D(2, {.padding = "same"})(x);
  auto first = MaxPooling1D(2, {.padding = "same", .data_format = "channels_first"})(lm::transpose(x, {0, 2, 1}));
  EXPECT_VALUES(lm::transpose(first, {0, 2, 1}), last.to_vector<double>());
  EXPECT_EQ(MaxPooling1D()(lm::Input({7, 3})).spec().str(), "float32 (None, 3, 3)");
  EXPECT_EQ(AveragePooling1D(2, {.padding = "same"})(lm::Input({7, 3})).spec().str(), "float32 (None, 4, 3)");
  EXPECT_EQ(AveragePooling1D(3, {.strides = 1})(lm::Input({lm::None, 3})).spec().str(), "float32 (None, None, 3)");
  EXPECT_EQ(MaxPooling1D(2, {.data_format = "channels_first"})(lm::Input({3, 7})).spec().str(),
            "float32 (None, 3, 3)");
  auto masked = lm::Input({7, 3}).with_mask(lm::Input({7}, lm::Bool));
  EXPECT_EQ(AveragePooling1D()(masked).spec().str(), "float32 (None, 3, 3) mask (None, 3)");
  // Integers: max keeps the dtype, the average is float32.
  EXPECT_EQ(MaxPooling1D()(lm::Input({4, 2}, lm::Int32)).spec().str(), "int32 (None, 2, 2)");
  EXPECT_EQ(AveragePooling1D()(lm::tensor({{{1}, {2}}})).dtype(), lm::Float32);
  // Shorter than a window: no output steps.
  EXPECT_SHAPE(MaxPooling1D(4)(lm::ones({2, 3, 1})), lm::Shape({2, 0, 1}));
}

TEST(Pooling1D, Gradients) {
  // Distinct values: the max has no ties.
  auto xv = irregular(2 * 6 * 2, 0.3);
  for (std::size_t i = 0; i < xv.size(); ++i) xv[i] += 0.001 * static_cast<double>(i);
  const auto x = lm::tensor(xv, lm::Shape{2, 6, 2}, lm::Float64);
  const auto xm = x.with_mask(bools({true, true, true, false, true, false, false, true, true, true, true, true}, {2, 6}));
  for (bool is_max : {true, false})
    for (const char* padding : {"valid", "same"}) {
      SCOPED_TRACE(fmt::format("{} {}", is_max ? "max" : "avg", padding));
      EXPECT_GRADCHECK([&](const lm::TensorList& in) { return pool(is_max, 3, {.strides = 2, .padding = padding}, in[0]); },
                       {x});
      EXPECT_GRADCHECK([&](const lm::TensorList& in) { return pool(is_max, 2, {.padding = padding}, in[0]); }, {xm});
    }
}

TEST(Pooling1D, BadOptionsAndInputs) {
  EXPECT_LAMINA_ERROR(MaxPooling1D(0, {.name = "mp0"}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("layer 'mp0' (MaxPooling1D)"));
    EXPECT_THAT(msg, HasSubstr("hint:"));
  });
  EXPECT_LAMINA_ERROR(AveragePooling1D(2, {.strides = -1, .name = "ap0"}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("strides")); });
  EXPECT_LAMINA_ERROR(MaxPooling1D(2, {.padding = "causal", .name = "mp1"}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("\"causal\"")); });
  EXPECT_LAMINA_ERROR(MaxPooling1D(2, {.data_format = "NWC", .name = "mp2"}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("data_format")); });
  EXPECT_LAMINA_ERROR(MaxPooling1D(2, {.name = "mp3"})(lm::ones({2, 4})), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("layer 'mp3' (MaxPooling1D)"));
    EXPECT_THAT(msg, HasSubstr("hint:"));
  });
}
