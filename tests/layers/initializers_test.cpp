#include <cmath>

#include "test_util.hpp"

namespace lm = lamina;
using ::testing::HasSubstr;

namespace {
std::pair<double, double> moments(const lm::Tensor& t) {
  auto v = t.to_vector<double>();
  double m = 0, s = 0;
  for (double x : v) m += x;
  m /= double(v.size());
  for (double x : v) s += (x - m) * (x - m);
  return {m, s / double(v.size())};
}
}  // namespace

TEST(Initializers, GlorotUniformBoundsAndVariance) {
  lm::Generator gen(1);
  auto w = lm::initializers::glorot_uniform()(lm::Shape{200, 300}, lm::Float32, gen);
  double limit = std::sqrt(6.0 / 500.0);  // 0.1095
  for (float v : w.to_vector<float>()) ASSERT_LE(std::fabs(v), limit);
  auto [m, var] = moments(w);
  EXPECT_NEAR(m, 0.0, 0.002);
  EXPECT_NEAR(var, limit * limit / 3.0, 0.0002);  // U(-l, l) has variance l^2 / 3 = 0.004
}

TEST(Initializers, HeNormalVarianceIsTwoOverFanIn) {
  lm::Generator gen(2);
  auto w = lm::initializers::he_normal()(lm::Shape{400, 250}, lm::Float64, gen);
  auto [m, var] = moments(w);
  EXPECT_NEAR(m, 0.0, 0.002);
  EXPECT_NEAR(var, 2.0 / 400.0, 0.0002);  // truncation is compensated, as in Keras
  for (double v : w.to_vector<double>()) ASSERT_LE(std::fabs(v), 2.0 * std::sqrt(2.0 / 400.0) / 0.8796 + 1e-9);
}

TEST(Initializers, OrthogonalHasOrthonormalColumnsOrRows) {
  lm::Generator gen(3);
  for (auto shape : {lm::Shape{6, 4}, lm::Shape{4, 6}, lm::Shape{5, 5}}) {
    auto q = lm::initializers::orthogonal()(shape, lm::Float64, gen).to_vector<double>();
    std::int64_t r = shape[0], c = shape[1];
    bool tall = r >= c;
    std::int64_t k = tall ? c : r;  // the orthonormal vectors: columns if tall, rows if wide
    for (std::int64_t i = 0; i < k; ++i)
      for (std::int64_t j = 0; j < k; ++j) {
        double dot = 0;
        for (std::int64_t n = 0; n < (tall ? r : c); ++n)
          dot += tall ? q[std::size_t(n * c + i)] * q[std::size_t(n * c + j)]
                      : q[std::size_t(i * c + n)] * q[std::size_t(j * c + n)];
        EXPECT_NEAR(dot, i == j ? 1.0 : 0.0, 1e-12) << shape.str();
      }
  }
}

TEST(Initializers, ByNameAndDeterministic) {
  lm::Generator a(5), b(5);
  auto x = lm::initializers::get("uniform")(lm::Shape{10}, lm::Float32, a);
  auto y = lm::initializers::get("random_uniform")(lm::Shape{10}, lm::Float32, b);
  EXPECT_EQ(x.to_vector<float>(), y.to_vector<float>());
  for (float v : x.to_vector<float>()) ASSERT_TRUE(v >= -0.05f && v <= 0.05f);
  lm::Generator g(0);
  EXPECT_VALUES(lm::initializers::get("zeros")(lm::Shape{2}, lm::Float32, g), {0, 0});
  EXPECT_LAMINA_ERROR(lm::initializers::get("glorot"), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("glorot_uniform")); });
}

TEST(Initializers, LayersAreReproducibleUnderSetSeed) {
  lm::set_seed(99);
  lamina::layers::Dense a(3);
  a(lm::ones({1, 2}));
  lm::set_seed(99);
  lamina::layers::Dense b(3);
  b(lm::ones({1, 2}));
  EXPECT_EQ(a->kernel().value().to_vector<float>(), b->kernel().value().to_vector<float>());
}
