// The update writes over the variables' and slots' own buffers when nothing else holds them
// (a training step then allocates nothing for its weights), and into fresh buffers when a
// tensor taken from var.value() is still alive: that tensor never changes, and both paths
// give bitwise the same values.
#include "optimizer_test_util.hpp"

namespace lm = lamina;
namespace opt = lamina::optimizers;

namespace {

struct Weights {
  lm::Variable kernel{"dense/kernel", lm::full({2, 3}, 0.5f)};
  lm::Variable bias{"dense/bias", lm::full({3}, -0.25f)};
  std::vector<lm::Variable> list() const { return {kernel, bias}; }
};

lm::TensorList grads(int step) {
  return {lm::tensor({{0.1f * step, -0.2f, 0.3f}, {0.05f, 0.4f * step, -0.6f}}), lm::tensor({1.0f, -0.5f * step, 0.25f})};
}

std::vector<const void*> buffers(const std::vector<lm::Variable>& vars) {
  std::vector<const void*> out;
  for (const auto& v : vars) out.push_back(v.value().raw_data());
  return out;
}

}  // namespace

TEST(OptimizerInPlace, UpdatesWriteOverBuffersNothingElseHolds) {
  for (auto o : {opt::Adam(0.1), opt::Adam(0.1, {.amsgrad = true}), opt::SGD(0.1, {.momentum = 0.9}), opt::RMSprop(0.1),
                 opt::Adagrad(0.1), opt::Nadam(0.1), opt::Adamax(0.1), opt::AdamW(0.1)}) {
    Weights w;
    o->apply_gradients(grads(1), w.list());  // builds the slots
    std::vector<lm::Variable> slots;
    for (const auto& v : o->variables())
      if (v.shape() == lm::Shape{2, 3} || v.shape() == lm::Shape{3}) slots.push_back(v);
    auto weights_before = buffers(w.list()), slots_before = buffers(slots);
    auto kernel_before = w.kernel.value().to_vector<float>();
    o->apply_gradients(grads(2), w.list());
    EXPECT_EQ(buffers(w.list()), weights_before) << o->name();
    EXPECT_EQ(buffers(slots), slots_before) << o->name();
    EXPECT_NE(w.kernel.value().to_vector<float>(), kernel_before) << o->name() << ": the step changed nothing";
  }
}

TEST(OptimizerInPlace, AHeldValueNeverChangesAndBothPathsAgreeBitwise) {
  Weights free_weights, held_weights;
  auto a = opt::Adam(0.1), b = opt::Adam(0.1);
  for (int step = 1; step <= 3; ++step) {
    lm::Tensor kept = held_weights.kernel.value(), kept_bias = held_weights.bias.value();
    auto before = kept.to_vector<float>();
    const void* buffer = kept.raw_data();
    a->apply_gradients(grads(step), free_weights.list());
    b->apply_gradients(grads(step), held_weights.list());
    EXPECT_EQ(kept.to_vector<float>(), before) << "step " << step << ": a held tensor changed";
    EXPECT_NE(held_weights.kernel.value().raw_data(), buffer);
    EXPECT_EQ(free_weights.kernel.value().to_vector<float>(), held_weights.kernel.value().to_vector<float>());
    EXPECT_EQ(free_weights.bias.value().to_vector<float>(), held_weights.bias.value().to_vector<float>());
  }
}

TEST(OptimizerInPlace, ATrainingStepKeepsEveryWeightBuffer) {
  auto x = lm::Input({4});
  lm::Model model(x, lm::layers::Dense(1)(lm::layers::Dense(3, {.activation = "relu"})(x)));
  model.compile({.optimizer = "adam", .loss = "mse"});
  auto xs = lm::tensor({{1.0f, 2.0f, 3.0f, 4.0f}, {-1.0f, 0.5f, 0.0f, 2.0f}});
  auto ys = lm::tensor({{1.0f}, {-1.0f}});
  model.train_on_batch(xs, ys);
  auto before = buffers(model.trainable_weights());
  auto values = model.trainable_weights()[0].value().to_vector<float>();
  model.train_on_batch(xs, ys);
  model.train_on_batch(xs, ys);
  EXPECT_EQ(buffers(model.trainable_weights()), before);
  EXPECT_NE(model.trainable_weights()[0].value().to_vector<float>(), values);
}
