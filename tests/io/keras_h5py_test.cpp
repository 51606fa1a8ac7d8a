// Keras files written here with h5py (independently of Lamina's writer) for cases the
// samples lack: GRU(reset_after) with its [2, 3u] bias, the refusal of Python Lambdas (and
// the registered name that makes one load), and unknown classes listed all at once.
#include <fmt/format.h>

#include <cmath>

#include "keras_test_util.hpp"
#include "lamina/io/keras.hpp"
#include "lamina/layers/lambda.hpp"

namespace lm = lamina;
using lamina::iotest::TempDir;

namespace {

// Writes a legacy .h5 (Keras 2.x layout) with the given model_config and, for each layer,
// weights [(name, shape, values)]; values are given flat.
const char* kWriteLegacy = R"(
import h5py, json, sys, numpy as np
spec = json.load(open(sys.argv[1]))
with h5py.File(sys.argv[2], "w") as f:
    f.attrs["keras_version"] = spec["keras_version"]
    f.attrs["backend"] = "tensorflow"
    f.attrs["model_config"] = json.dumps(spec["model_config"])
    g = f.create_group("model_weights")
    g.attrs["layer_names"] = np.array([l.encode() for l in spec["weights"]], dtype="S")
    for layer, weights in spec["weights"].items():
        lg = g.create_group(layer)
        lg.attrs["weight_names"] = np.array([w[0].encode() for w in weights], dtype="S")
        for name, shape, values in weights:
            lg.create_dataset(name, data=np.array(values, dtype="float32").reshape(shape))
)";

std::string write_legacy(const TempDir& dir, const lm::Json& spec) {
  const std::string json = dir.file("spec.json"), out = dir.file("model.h5");
  lamina::iotest::spit(json, spec.dump());
  lamina::kerastest::run_python(kWriteLegacy, {json, out});
  return out;
}

lm::Json sequential(const lm::Json& layers) {
  return {{"class_name", "Sequential"}, {"config", {{"name", "seq"}, {"layers", layers}}}};
}

std::vector<double> ramp(std::size_t n, double scale) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = scale * std::sin(1.0 + 0.7 * static_cast<double>(i));
  return v;
}

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

}  // namespace

// GRU(2, reset_after) on 1 feature, 2 steps, computed by hand in double from Keras's
// equations: z = s(x Wz + h Uz + bz_in + bz_rec), r likewise,
// hh = tanh(x Wh + bh_in + r * (h Uh + bh_rec)), h' = z h + (1 - z) hh.
TEST(KerasH5py, GruResetAfterMatchesKerasEquations) {
  if (!lamina::kerastest::have_h5py()) GTEST_SKIP() << "python3-h5py is not installed";
  const std::size_t u = 2;
  auto W = ramp(3 * u, 0.5), U = ramp(u * 3 * u, 0.4), b = ramp(2 * 3 * u, 0.3);
  lm::Json layer = {{"class_name", "GRU"},
                    {"config",
                     {{"name", "gru_1"},
                      {"units", u},
                      {"batch_input_shape", {nullptr, 2, 1}},
                      {"reset_after", true},
                      {"activation", "tanh"},
                      {"recurrent_activation", "sigmoid"},
                      {"use_bias", true},
                      {"return_sequences", false}}}};
  lm::Json spec = {{"keras_version", "2.3.1"},
                   {"model_config", sequential(lm::Json::array({layer}))},
                   {"weights",
                    {{"gru_1",
                      {{"gru_1/kernel:0", {1, 3 * u}, W},
                       {"gru_1/recurrent_kernel:0", {u, 3 * u}, U},
                       {"gru_1/bias:0", {2, 3 * u}, b}}}}}};
  TempDir dir;
  auto model = lm::load_model(write_legacy(dir, spec));
  const double xs[2] = {0.8, -0.3};
  std::vector<double> h(u, 0.0);
  for (double x : xs) {
    std::vector<double> rec(3 * u, 0.0);
    for (std::size_t j = 0; j < 3 * u; ++j)
      for (std::size_t k = 0; k < u; ++k) rec[j] += h[k] * U[k * 3 * u + j];
    std::vector<double> next(u);
    for (std::size_t k = 0; k < u; ++k) {
      double z = sigmoid(x * W[k] + b[k] + rec[k] + b[3 * u + k]);
      double r = sigmoid(x * W[u + k] + b[u + k] + rec[u + k] + b[3 * u + u + k]);
      double hh = std::tanh(x * W[2 * u + k] + b[2 * u + k] + r * (rec[2 * u + k] + b[3 * u + 2 * u + k]));
      next[k] = z * h[k] + (1 - z) * hh;
    }
    h = next;
  }
  auto out = model(lm::tensor({{{0.8f}, {-0.3f}}})).to_vector<double>();
  ASSERT_EQ(out.size(), u);
  for (std::size_t k = 0; k < u; ++k) EXPECT_NEAR(out[k], h[k], 1e-6) << k;
}

TEST(KerasH5py, PythonLambdaIsRefusedUntilRegisteredAndUnknownClassesAreListedTogether) {
  if (!lamina::kerastest::have_h5py()) GTEST_SKIP() << "python3-h5py is not installed";
  lm::Json lambda = {{"class_name", "Lambda"},
                     {"config",
                      {{"name", "scale_it"},
                       {"batch_input_shape", {nullptr, 3}},
                       {"function", {"4wEAAAAAAAAA", nullptr, nullptr}},
                       {"function_type", "lambda"}}}};
  lm::Json spec = {{"keras_version", "2.2.4"},
                   {"model_config", sequential(lm::Json::array({lambda}))},
                   {"weights", lm::Json::object()}};
  TempDir dir;
  const std::string path = write_legacy(dir, spec);
  try {
    lm::load_model(path);
    FAIL() << "a Python lambda loaded";
  } catch (const lm::ValueError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("scale_it"), std::string::npos) << m;
    EXPECT_NE(m.find("register_lambda"), std::string::npos) << m;
  }
  // Registered under the layer's name, it loads and runs the Lamina function.
  lm::layers::register_lambda("scale_it", [](const lm::Tensor& t) { return t * 3.0f; });
  auto model = lm::load_model(path);
  EXPECT_EQ(model(lm::tensor({{1.0f, 2.0f, -1.0f}})).to_vector<float>(), (std::vector<float>{3, 6, -3}));

  lm::Json layers =
      lm::Json::array({{{"class_name", "Conv3D"}, {"config", {{"name", "c3"}, {"batch_input_shape", {nullptr, 4}}}}},
                       {{"class_name", "Dense"}, {"config", {{"name", "d"}, {"units", 2}}}},
                       {{"class_name", "MyCustomLayer"}, {"config", {{"name", "mine"}}}}});
  spec = {{"keras_version", "2.2.4"}, {"model_config", sequential(layers)}, {"weights", lm::Json::object()}};
  TempDir dir2;
  try {
    lm::load_model(write_legacy(dir2, spec));
    FAIL() << "unknown classes loaded";
  } catch (const lm::ValueError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'c3' (Conv3D)"), std::string::npos) << m;
    EXPECT_NE(m.find("'mine' (MyCustomLayer)"), std::string::npos) << m;
  }
}
