#include "masked_garbage.hpp"

#include <cmath>
#include <limits>
#include <sstream>

namespace lamina::testing {

namespace {

struct Run {
  Tensor out;
  std::vector<std::vector<double>> grads;  // per floating input, then per variable
};

Tensor with_garbage(const Tensor& x, double value) {
  if (!x.has_mask() || !is_floating(x.dtype())) return x;
  return where(full_mask(x), x.without_mask(), value).with_mask(x.mask());
}

Run run(const TensorFn& f, const TensorList& inputs, const std::vector<Variable>& vars, double value) {
  TensorList in;
  for (const auto& x : inputs) in.push_back(with_garbage(x, value));
  GradientTape tape;
  TensorList sources;
  for (const auto& x : in)
    if (is_floating(x.dtype())) {
      tape.watch(x);
      sources.push_back(x);
    }
  for (const auto& v : vars) tape.watch(v);
  Run r;
  r.out = f(in);
  if (!is_floating(r.out.dtype())) return r;
  std::vector<double> coef(static_cast<std::size_t>(r.out.numel()));
  for (std::size_t i = 0; i < coef.size(); ++i) coef[i] = 0.5 + 0.25 * static_cast<double>(i % 5);
  Tensor loss = sum(r.out * tensor(coef, r.out.shape(), r.out.dtype()));
  GradientOptions zero{.unconnected = Unconnected::Zero};
  for (const auto& g : tape.gradient(loss, sources, zero)) r.grads.push_back(g->to_vector<double>());
  if (!vars.empty())
    for (const auto& g : tape.gradient(loss, vars, zero)) r.grads.push_back(g->to_vector<double>());
  return r;
}

bool close(double got, double want, double tol) {
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want)) return got == want;
  return std::fabs(got - want) <= tol * std::max(1.0, std::fabs(want));
}

}  // namespace

::testing::AssertionResult garbage_is_ignored(const TensorFn& f, const TensorList& inputs,
                                              const std::vector<Variable>& vars, double tol) {
  bool any_masked = false;
  for (const auto& x : inputs) any_masked = any_masked || x.has_mask();
  if (!any_masked) return ::testing::AssertionFailure() << "no input is masked: the check would test nothing";
  const Run ref = run(f, inputs, vars, 0.0);
  const std::vector<double> ref_out = ref.out.to_vector<double>();
  const std::vector<bool> valid = full_mask(ref.out).to_vector<bool>();
  for (std::size_t i = 0; i < ref_out.size(); ++i)
    if (valid[i] && !std::isfinite(ref_out[i]))
      return ::testing::AssertionFailure() << "the reference output (zeros at masked entries) is not finite at " << i
                                           << ": " << ref.out;
  const double garbage[] = {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                            -std::numeric_limits<double>::infinity()};
  for (double g : garbage) {
    const Run r = run(f, inputs, vars, g);
    if (r.out.spec() != ref.out.spec())
      return ::testing::AssertionFailure() << "with " << g << " at masked entries the output is " << r.out.spec().str()
                                           << ", with zeros " << ref.out.spec().str();
    if (r.out.has_mask() && r.out.mask().to_vector<bool>() != ref.out.mask().to_vector<bool>())
      return ::testing::AssertionFailure() << "with " << g << " at masked entries the output mask differs";
    const std::vector<double> out = r.out.to_vector<double>();
    for (std::size_t i = 0; i < out.size(); ++i)
      if (valid[i] && !close(out[i], ref_out[i], tol))
        return ::testing::AssertionFailure() << "with " << g << " at masked entries, valid output " << i << " is "
                                             << out[i] << " instead of " << ref_out[i] << "\n"
                                             << r.out;
    for (std::size_t k = 0; k < ref.grads.size(); ++k)
      for (std::size_t i = 0; i < ref.grads[k].size(); ++i)
        if (!close(r.grads[k][i], ref.grads[k][i], tol))
          return ::testing::AssertionFailure()
                 << "with " << g << " at masked entries, gradient " << k << " (inputs, then variables) entry " << i
                 << " is " << r.grads[k][i] << " instead of " << ref.grads[k][i];
  }
  return ::testing::AssertionSuccess();
}

}  // namespace lamina::testing
