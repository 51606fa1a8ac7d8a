// Learning happens: tasks that only a working model, loss, optimizer and loop can solve.
#include <cmath>

#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;

// Does token 1 appear before token 2? Variable lengths, right padding: only order decides,
// so a bag of words is at chance and an LSTM that sees the mask reaches near 100%.
TEST(Learning, LstmLearnsWhetherATokenComesBeforeAnother) {
  lm::set_seed(2024);
  lm::Generator g(99);
  const int n = 1200, max_len = 14;
  std::vector<int> ids(n * max_len, 0);
  std::vector<float> y(n);
  for (int i = 0; i < n; ++i) {
    int len = 6 + static_cast<int>(g.uniform() * (max_len - 6 + 1));
    for (int t = 0; t < len; ++t) ids[i * max_len + t] = 3 + static_cast<int>(g.uniform() * 9);
    int pa = static_cast<int>(g.uniform() * len), pb;
    do pb = static_cast<int>(g.uniform() * len);
    while (pb == pa);
    ids[i * max_len + pa] = 1;
    ids[i * max_len + pb] = 2;
    y[i] = pa < pb ? 1.f : 0.f;
  }
  auto x = lm::tensor(ids, lm::Shape{n, max_len});
  auto labels = lm::tensor(y, lm::Shape{n, 1});

  auto tokens = lm::Input({lm::None}, lm::Int32);
  auto h = Embedding(12, 8, {.mask_zero = true})(tokens);
  h = LSTM(16)(h);
  lm::Model model(tokens, Dense(1, {.activation = "sigmoid"})(h));
  model.compile({.optimizer = lm::optimizers::Adam(0.01), .loss = "binary_crossentropy", .metrics = {"accuracy"}});
  auto hist = model.fit(x, labels, {.batch_size = 32, .epochs = 12, .verbose = 0, .validation_split = 0.2});
  EXPECT_GE(hist["val_accuracy"].back(), 0.95);
}

// Two interleaved spirals: not linearly separable; an MLP must bend its boundary twice around.
TEST(Learning, MlpSolvesTwoSpirals) {
  lm::set_seed(7);
  const int per_class = 200;
  std::vector<float> pts, cls;
  for (int c = 0; c < 2; ++c)
    for (int i = 0; i < per_class; ++i) {
      double t = 0.25 + 3.0 * M_PI * i / per_class;  // 1.5 turns
      double r = 3.0 * t / (3.0 * M_PI);  // radius up to 3: features the tanh units can bend
      double sign = c == 0 ? 1 : -1;
      pts.push_back(static_cast<float>(sign * r * std::cos(t)));
      pts.push_back(static_cast<float>(sign * r * std::sin(t)));
      cls.push_back(static_cast<float>(c));
    }
  const int n = 2 * per_class;
  // Every fourth point is held out, so the test checks the boundary between training points.
  std::vector<float> tx, ty, vx, vy;
  for (int i = 0; i < n; ++i) {
    auto& X = i % 4 == 0 ? vx : tx;
    auto& Y = i % 4 == 0 ? vy : ty;
    X.push_back(pts[2 * i]);
    X.push_back(pts[2 * i + 1]);
    Y.push_back(cls[i]);
  }
  auto as2 = [](const std::vector<float>& v) { return lm::tensor(v, lm::Shape{static_cast<std::int64_t>(v.size() / 2), 2}); };
  auto as1 = [](const std::vector<float>& v) { return lm::tensor(v, lm::Shape{static_cast<std::int64_t>(v.size()), 1}); };

  lm::Sequential model({lm::Input({2}), Dense(64, {.activation = "tanh"}), Dense(64, {.activation = "tanh"}),
                        Dense(1, {.activation = "sigmoid"})});
  model.compile({.optimizer = lm::optimizers::Adam(0.01), .loss = "binary_crossentropy", .metrics = {"accuracy"}});
  model.fit(as2(tx), as1(ty), {.batch_size = 32, .epochs = 150, .verbose = 0});
  auto logs = model.evaluate(as2(vx), as1(vy), {.verbose = 0});
  EXPECT_GE(logs["accuracy"], 0.95);
}
