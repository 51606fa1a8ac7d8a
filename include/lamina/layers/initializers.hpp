#pragma once
// Weight initializers with Keras's names and defaults. Each draws from the generator it is
// given (a layer's own, seeded at construction from lm::set_seed), so results are
// deterministic for a given seed and layer creation order.
#include <functional>
#include <string>

#include "lamina/core/random.hpp"
#include "lamina/core/tensor.hpp"

namespace lamina {

using Initializer = std::function<Tensor(const Shape& shape, DType dtype, Generator& gen)>;

// An initializer given by Keras name ("glorot_uniform") or as a callable; remembers its name.
// An empty callable is a ValueError here rather than std::bad_function_call at build time.
class InitializerSpec {
 public:
  InitializerSpec(const char* name) : InitializerSpec(std::string(name)) {}
  InitializerSpec(const std::string& name);
  InitializerSpec(Initializer fn, std::string name = "custom");
  const std::string& name() const { return name_; }
  const Initializer& fn() const { return fn_; }
  operator const Initializer&() const { return fn_; }

 private:
  std::string name_;
  Initializer fn_;
};

namespace initializers {
Initializer zeros();
Initializer ones();
Initializer constant(double value);
Initializer random_normal(double mean = 0.0, double stddev = 0.05);       // Keras RandomNormal
Initializer random_uniform(double minval = -0.05, double maxval = 0.05);  // Keras RandomUniform ("uniform")
Initializer truncated_normal(double mean = 0.0, double stddev = 0.05);    // resamples beyond 2 stddev
Initializer glorot_uniform();                                             // U(-l, l), l = sqrt(6 / (fan_in + fan_out))
Initializer glorot_normal();                                              // truncated N(0, 2 / (fan_in + fan_out))
Initializer he_normal();                                                  // truncated N(0, 2 / fan_in)
Initializer he_uniform();                                                 // U(-l, l), l = sqrt(6 / fan_in)
Initializer lecun_normal();                                               // truncated N(0, 1 / fan_in)
// Orthogonal columns (or rows) of the (prod(shape[:-1]), shape[-1]) matrix, times gain (QR via LAPACK).
Initializer orthogonal(double gain = 1.0);
// By Keras name: "zeros", "ones", "random_normal", "random_uniform" (or "uniform"),
// "truncated_normal", "glorot_uniform", "glorot_normal", "he_normal", "he_uniform",
// "lecun_normal", "orthogonal". ValueError listing the names otherwise.
Initializer get(const std::string& name);

// Keras fan computation: (fan_in, fan_out).
std::pair<double, double> fans(const Shape& shape);
}  // namespace initializers

}  // namespace lamina
