// Cross-check against Keras 3's own published results: the "golden" values of the
// test_correctness_with_golden tests in keras/src/optimizers/*_test.py (4 decimals, checked
// there with rtol = atol = 5e-4). Each run: x = ones(10); one step with gradient 0.01
// everywhere, then steps with gradient (0.1, 0.2, ..., 1.0); x is compared before each of
// the later steps. We check elements 0, 4 and 9 (gradients 0.1, 0.5 and 1.0).
#include "optimizer_test_util.hpp"

namespace lm = lamina;
namespace opt = lamina::optimizers;
using namespace lamina::testing;

namespace {

using Golden = std::vector<std::array<double, 3>>;  // per row: x[0], x[4], x[9]

void expect_golden(opt::Optimizer& o, const Golden& golden) {
  lm::Variable x("x", lm::ones({10}));
  std::vector<float> ramp(10);
  for (int i = 0; i < 10; ++i) ramp[i] = 0.1f * static_cast<float>(i + 1);
  o.apply_gradients({lm::full({10}, 0.01f)}, {x});
  for (std::size_t row = 0; row < golden.size(); ++row) {
    std::vector<double> v = values_of(x);
    for (int k = 0; k < 3; ++k) {
      int i = k == 0 ? 0 : k == 1 ? 4 : 9;
      double want = golden[row][static_cast<std::size_t>(k)];
      EXPECT_NEAR(v[i], want, 5e-4 + 5e-4 * std::fabs(want)) << "row " << row << " element " << i;
    }
    o.apply_gradients({lm::tensor(ramp, lm::Shape{10})}, {x});
  }
}

}  // namespace

TEST(OptimizerKerasGolden, SGDNesterov) {
  expect_golden(*opt::SGD(0.01, {.nesterov = true}), {{0.9999, 0.9999, 0.9999},
                                                      {0.9989, 0.9949, 0.9899},
                                                      {0.9979, 0.9899, 0.9799},
                                                      {0.9969, 0.9849, 0.9699},
                                                      {0.9959, 0.9799, 0.9599}});
}

TEST(OptimizerKerasGolden, AdamAmsgrad) {
  expect_golden(*opt::Adam(0.001, {.amsgrad = true}), {{0.999, 0.999, 0.999},
                                                       {0.9982, 0.9982, 0.9982},
                                                       {0.9974, 0.9974, 0.9974},
                                                       {0.9965, 0.9965, 0.9965},
                                                       {0.9955, 0.9955, 0.9955}});
}

TEST(OptimizerKerasGolden, AdamW) {
  expect_golden(*opt::AdamW(1.0, {.weight_decay = 0.5, .epsilon = 2}), {{0.4998, 0.4998, 0.4998},
                                                                        {0.2486, 0.244, 0.2382},
                                                                        {0.1223, 0.1124, 0.1003},
                                                                        {0.0586, 0.0439, 0.0258},
                                                                        {0.0263, 0.0073, -0.0159}});
}

TEST(OptimizerKerasGolden, RMSpropCentered) {
  expect_golden(*opt::RMSprop(0.001, {.centered = true}), {{0.9967, 0.9967, 0.9967},
                                                           {0.9933, 0.9933, 0.9933},
                                                           {0.9908, 0.9908, 0.9908},
                                                           {0.9885, 0.9885, 0.9885},
                                                           {0.9864, 0.9864, 0.9864}});
}

TEST(OptimizerKerasGolden, Adagrad) {
  expect_golden(*opt::Adagrad(0.2, {.initial_accumulator_value = 0.3, .epsilon = 1e-6}), {{0.9963, 0.9963, 0.9963},
                                                                                          {0.9604, 0.8615, 0.8209},
                                                                                          {0.9251, 0.7497, 0.6891},
                                                                                          {0.8903, 0.6521, 0.579},
                                                                                          {0.856, 0.5644, 0.4825}});
}

TEST(OptimizerKerasGolden, Nadam) {
  expect_golden(*opt::Nadam(0.5, {.beta_1 = 0.5, .beta_2 = 0.67, .epsilon = 1e-5}), {{0.4281, 0.4281, 0.4281},
                                                                                     {-0.1738, -0.1721, -0.1717},
                                                                                     {-0.7115, -0.709, -0.7084},
                                                                                     {-1.2335, -1.2306, -1.2299},
                                                                                     {-1.7492, -1.7461, -1.7454}});
}

TEST(OptimizerKerasGolden, Adamax) {
  expect_golden(*opt::Adamax(0.2, {.beta_1 = 0.85, .beta_2 = 0.95, .epsilon = 1e-6}), {{0.8, 0.8, 0.8},
                                                                                       {0.6827, 0.6901, 0.691},
                                                                                       {0.5333, 0.5451, 0.5466},
                                                                                       {0.368, 0.3829, 0.3848},
                                                                                       {0.1933, 0.2105, 0.2126}});
}
