// Ops between layers are steps of the graph; a saved model rebuilds them from their names and
// arguments, so it computes exactly what the original did.
#include <filesystem>

#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;
using ::testing::HasSubstr;

namespace {

std::string temp_file(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / "lamina_saved_ops_test";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

void expect_same_after_reload(const lm::Model& model, const lm::TensorList& inputs) {
  auto path = temp_file(model.name() + ".lamina");
  model.save(path);
  auto loaded = lm::load_model(path);
  auto a = model.predict_on_batch(inputs), b = loaded.predict_on_batch(inputs);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].shape(), b[i].shape());
    EXPECT_EQ(a[i].dtype(), b[i].dtype());
    EXPECT_EQ(a[i].to_vector<double>(), b[i].to_vector<double>()) << "output " << i;
    EXPECT_EQ(a[i].has_mask(), b[i].has_mask());
    if (a[i].has_mask()) EXPECT_EQ(a[i].mask().to_vector<bool>(), b[i].mask().to_vector<bool>());
  }
}

}  // namespace

TEST(SavedOps, ArithmeticCastsAndActivationsBetweenLayers) {
  auto tokens = lm::Input({lm::None}, lm::Int32, "tokens");
  auto x = Embedding(20, 4, {.mask_zero = true})(tokens);
  x = x * 0.5f + 1.0f;
  x = lm::clip(lm::tanh(x) - 0.25f, -0.5, 0.5);
  x = lm::maximum(x, lm::cast(lm::full_like(x, 0.1), lm::Float32));
  lm::Model model(tokens, GlobalAveragePooling1D()(x), "arith");
  expect_same_after_reload(model, {lm::tensor({{1, 2, 3, 0}, {4, 0, 0, 0}})});
}

TEST(SavedOps, ReductionsAndShapeOps) {
  auto in = lm::Input({3, 4}, lm::Float32, "x");
  auto h = Dense(4)(in);                                // (B, 3, 4)
  auto m = lm::mean(h, 1, true);                        // (B, 1, 4)
  auto s = lm::std(h, {1}, false, 1);                   // (B, 4)
  auto t = lm::transpose(h, {0, 2, 1});                 // (B, 4, 3)
  auto r = lm::reshape(t, lm::Shape{lm::None, 12});     // (B, 12)
  auto c = lm::concat({lm::squeeze(m, {1}), s, lm::slice(r, 1, lm::Range{2, 10, 2})}, 1);
  auto p = lm::pad(lm::expand_dims(c, 1), {{0, 0}, {1, 0}, {0, 0}});
  auto parts = lm::split(lm::flip(lm::tile(p, {1, 1, 2}), {2}), 2, 2);
  auto out = lm::softmax(lm::logsumexp(lm::stack({parts[0], parts[1]}, 1), {2}), -1);
  lm::Model model(in, {out, lm::cumsum(s, 1), lm::argmax(s, -1)}, "shapes");
  expect_same_after_reload(model, {lm::random_normal({2, 3, 4}, {.seed = 3})});
}

TEST(SavedOps, IndexingSortingAndEinsum) {
  auto a = lm::Input({3}, lm::Float32, "a");
  auto b = lm::Input({3, 2}, lm::Float32, "b");
  auto e = lm::einsum("bi,bij->bj", {Dense(3)(a), b});
  auto sorted = lm::sort(e, -1, true);
  auto k = lm::top_k(a, 2);
  auto picked = lm::gather(a, lm::tensor({2, 0}), 1);
  auto cond = lm::where(a > 0.0, a, lm::zeros_like(a));
  lm::Model model({a, b}, {sorted, k.values, lm::cast(k.indices, lm::Float32), picked, cond}, "indexing");
  expect_same_after_reload(model, {lm::random_normal({2, 3}, {.seed = 1}), lm::random_normal({2, 3, 2}, {.seed = 2})});
}

TEST(SavedOps, AnOpThatCannotBeRebuiltIsRefusedAtSave) {
  auto in = lm::Input({3, 2});
  auto outs = lm::simple_rnn_sequence(in, lm::Tensor(), lm::Tensor(), lm::ones({2, 2}), lm::ones({2, 2}), lm::zeros({2}));
  lm::Model model(in, outs[0], "direct_rnn");
  EXPECT_LAMINA_ERROR(model.save(temp_file("direct_rnn.lamina")), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("cannot be saved"));
    EXPECT_THAT(msg, HasSubstr("register_lambda"));
  });
}
