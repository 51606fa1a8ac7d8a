// A custom layer: subclass lm::Layer, create its weights in on_build(), compute in call(), say
// what happens to the mask (supports_masking, compute_mask), describe it in get_config(), and
// register a factory so that models using it can be saved and loaded.
//
//   ./build/release/examples/custom_layer           # 1,000 sequences, 8 epochs
//   ./build/release/examples/custom_layer --tiny    # 64 sequences, 1 epoch (CI)
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <lamina/lamina.hpp>
#include <random>
#include <string>

namespace lm = lamina;
using namespace lamina::layers;

// Gain: y = x * g, with g a learned per-feature vector starting at `initial_gain`.
class GainLayer : public lm::Layer {
 public:
  explicit GainLayer(double initial_gain, std::string name = "")
      : Layer("Gain", std::move(name)), initial_gain_(initial_gain) {}

  // Called once, with the input specs, before the first call (Layer::build runs it).
  void on_build(const std::vector<lm::TensorSpec>& input_specs) override {
    const lm::Shape& s = input_specs.at(0).shape;
    std::int64_t features = s.rank() ? s[s.rank() - 1] : -1;
    if (features < 0)
      throw lm::ShapeError({.problem = "Gain needs a known feature dimension",
                            .expected = "inputs (batch, ..., features)",
                            .found = s.str(),
                            .hint = "give Input() the feature size"});
    gain_ = add_weight("gain", {features}, lm::initializers::constant(initial_gain_));
  }

  // The input carries its mask, so `input * gain` keeps it (elementwise ops AND masks).
  lm::Tensor call(const lm::Tensor& input, const lm::Tensor& mask, bool training) override {
    return input * gain_.value();
  }

  // Custom layers refuse masked inputs unless they opt in (a mask is never dropped silently).
  bool supports_masking() const override { return true; }

  // A gain changes no step's validity: the output mask is the input mask. (Returning nullopt
  // would keep what the ops produced, which here is the same.)
  std::optional<lm::TensorList> compute_mask(const lm::TensorList& inputs, const lm::TensorList& masks) override {
    return masks;
  }

  lm::Json get_config() const override {
    lm::Json c = Layer::get_config();  // type, name, trainable
    c["initial_gain"] = initial_gain_;
    return c;
  }

 private:
  double initial_gain_;
  lm::Variable gain_;
};

lm::LayerHandle<GainLayer> Gain(double initial_gain, std::string name = "") {
  return lm::make_layer<GainLayer>(initial_gain, std::move(name));
}

// Sequences of 2..12 tokens in 2..19, padded with 0; the label says whether token 7 occurs.
std::pair<lm::Tensor, lm::Tensor> make_data(std::int64_t n, std::uint64_t seed) {
  const std::int64_t maxlen = 12;
  std::mt19937_64 rng(seed);
  std::vector<std::int32_t> x(static_cast<std::size_t>(n * maxlen), 0);
  std::vector<float> y(static_cast<std::size_t>(n), 0.f);
  for (std::int64_t i = 0; i < n; ++i) {
    auto len = static_cast<std::int64_t>(2 + rng() % (maxlen - 1));
    for (std::int64_t t = 0; t < len; ++t) {
      auto token = static_cast<std::int32_t>(2 + rng() % 18);
      x[static_cast<std::size_t>(i * maxlen + t)] = token;
      if (token == 7) y[static_cast<std::size_t>(i)] = 1.f;
    }
  }
  return {lm::tensor(x, {n, maxlen}), lm::tensor(y, {n, 1})};
}

int main(int argc, char** argv) {
  bool tiny = argc > 1 && std::string(argv[1]) == "--tiny";
  lm::set_seed(7);
  auto [x_train, y_train] = make_data(tiny ? 64 : 1000, 1);
  auto [x_test, y_test] = make_data(200, 2);

  auto tokens = lm::Input({lm::None}, lm::Int32, "tokens");
  auto x = Embedding(20, 8, {.mask_zero = true})(tokens);
  x = Gain(1.0, "gain")(x);
  auto prob = Dense(1, {.activation = "sigmoid"})(LSTM(16)(x));
  lm::Model model(tokens, prob, "has_seven");
  model.compile({.optimizer = lm::optimizers::Adam(1e-2), .loss = "binary_crossentropy", .metrics = {"accuracy"}});
  model.summary();
  std::cout << "gain config: " << model.get_layer("gain")->get_config().dump() << "\n";

  model.fit(x_train, y_train, {.batch_size = 32, .epochs = tiny ? 1 : 8, .verbose = 2});
  std::cout << fmt::format("test accuracy: {:.4f}\n", model.evaluate(x_test, y_test, {.verbose = 0})["accuracy"]);

  auto path = (std::filesystem::temp_directory_path() / ("lamina_custom_layer_" + std::to_string(getpid()) + ".lamina"))
                  .string();
  // Without a factory for "Gain" the model could not be rebuilt, so save refuses it.
  try {
    model.save(path);
  } catch (const lm::ValueError& e) {
    std::cout << e.what() << "\n";
  }

  register_layer("Gain", [](const lm::Json& config) -> lm::LayerRef {
    ConfigReader c(config);  // typed fields; errors name the type and the field
    return Gain(c.number("initial_gain"), c.name());
  });
  model.save(path);
  auto loaded = lm::load_model(path);
  std::filesystem::remove(path);
  lm::Tensor a = model.predict(x_test), b = loaded.predict(x_test);
  std::cout << std::boolalpha << "loaded layer type: " << loaded.get_layer("gain")->type() << "\n"
            << "loaded model predicts identically: " << (a.to_vector<float>() == b.to_vector<float>()) << "\n";
  return 0;
}
