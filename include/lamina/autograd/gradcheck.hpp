#pragma once
// Finite-difference gradient checking in float64.
#include <functional>
#include <string>

#include "lamina/core/tensor.hpp"

namespace lamina {

struct GradcheckOptions {
  double eps = 1e-6;  // central-difference step
  double atol = 1e-6;
  double rtol = 1e-4;
};

struct GradcheckResult {
  bool ok = true;
  double max_abs_error = 0.0;
  std::string message;  // the worst mismatch, readable: input, index, analytic, numeric
};

// Checks d sum(f(inputs) * r) / d inputs for a fixed random r, where every floating input
// is converted to float64 first and the sum runs over the valid entries of f(inputs)
// (masked entries are ignored whatever they hold). Inputs keep their masks. Integer/Bool
// inputs are passed through unchanged and not checked.
GradcheckResult gradcheck(const std::function<Tensor(const TensorList&)>& f, const TensorList& inputs,
                          const GradcheckOptions& options = {});

}  // namespace lamina
