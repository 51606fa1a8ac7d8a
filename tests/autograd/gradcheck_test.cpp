// gradcheck must accept right gradients and reject wrong ones.
#include "test_util.hpp"

namespace lm = lamina;

namespace {
// x * 3 recorded with a deliberately wrong gradient (2 instead of 3).
lm::Tensor times_three_wrong_grad(const lm::Tensor& x) {
  lm::Tensor out = x * 3;
  lm::Tensor y = lm::detail::share(out, out.shape(), lm::Tensor());
  lm::record_gradient("wrong", {x}, {y},
                      [](const lm::TensorList& g, const std::vector<bool>&) { return lm::TensorList{g[0] * 2}; });
  return y;
}
}  // namespace

TEST(Gradcheck, AcceptsCorrectGradients) {
  auto a = lm::random_normal({3, 4}, {.seed = 1});
  auto b = lm::random_normal({4}, {.seed = 2});
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return in[0] * in[1] + in[0] / (in[1] * in[1] + 1); },
                   lm::TensorList{a, b});
}

TEST(Gradcheck, RejectsAWrongGradient) {
  auto x = lm::random_normal({5}, {.seed = 3});
  auto r = lm::gradcheck([](const lm::TensorList& in) { return times_three_wrong_grad(in[0]); }, {x});
  EXPECT_FALSE(r.ok);
  EXPECT_NEAR(r.max_abs_error, 1.0 * 1.0, 5.0);  // |2 - 3| * |r_i| for a standard-normal r
  EXPECT_THAT(r.message, ::testing::HasSubstr("analytic"));
}
