// Seed 004, example 1: a custom layer that multiplies its input by the mask it is given.
// Lamina masks are Bool (true = valid): the seed's float 0/1 mask is a DTypeError whose hint
// is `mask != 0`; with the Bool mask the layer computes the masked values, and the mask rides
// along on the output.
#include <iostream>
#include <lamina/lamina.hpp>

namespace lm = lamina;

class MaskedLayer : public lm::Layer {
 public:
  explicit MaskedLayer(std::string name = "") : Layer("MaskedLayer", std::move(name)) {}
  bool supports_masking() const override { return true; }
  lm::Tensor call(const lm::Tensor& inputs, const lm::Tensor& mask, bool training) override {
    if (mask.defined()) return inputs * lm::cast(mask, inputs.dtype());
    return inputs;
  }
};

int main() {
  auto masked_layer = lm::make_layer<MaskedLayer>();
  auto input_tensor = lm::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 0.f}, {6.f, 0.f, 0.f}});
  auto mask_tensor = lm::tensor({{1.f, 1.f, 1.f}, {1.f, 1.f, 0.f}, {1.f, 0.f, 0.f}});

  try {
    masked_layer(input_tensor, {.mask = mask_tensor});
  } catch (const lm::DTypeError& e) {
    std::cout << e.what() << "\n";
  }
  auto output_tensor = masked_layer(input_tensor, {.mask = mask_tensor != 0});
  std::cout << output_tensor << "\n";
  std::cout << "without a mask:\n" << masked_layer(input_tensor) << "\n";
  return 0;
}
