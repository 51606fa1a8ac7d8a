// gradcheck: analytic gradients from the tape against central finite differences (float64).
#include "lamina/autograd/gradcheck.hpp"

#include <fmt/format.h>

#include <cmath>

#include "lamina/autograd/tape.hpp"
#include "lamina/core/creation.hpp"
#include "lamina/core/random.hpp"
#include "lamina/ops/cast.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/index.hpp"
#include "lamina/ops/mask.hpp"
#include "lamina/ops/reduce.hpp"

namespace lamina {

namespace {

// The scalar whose gradient is checked: sum(f(x) * r) over the valid entries of f(x).
// Masked entries are ignored whatever they hold (DESIGN.md section 5), so they are not part
// of the function's value: selected away, not multiplied by 0.
Tensor loss_of(const Tensor& y, const Tensor& r) {
  Tensor v = cast(y, Float64);
  if (v.has_mask()) v = where(full_mask(v), v.without_mask(), 0.0);
  return sum(v * r);
}

double objective(const std::function<Tensor(const TensorList&)>& f, const TensorList& in, const Tensor& r) {
  return loss_of(f(in), r).item<double>();
}

Tensor with_element(const Tensor& x, std::int64_t i, double v) {
  std::vector<double> vals = x.to_vector<double>();
  vals[static_cast<std::size_t>(i)] = v;
  Tensor t = tensor(vals, x.shape(), Float64);
  return x.has_mask() ? t.with_mask(x.mask()) : t;
}

}  // namespace

GradcheckResult gradcheck(const std::function<Tensor(const TensorList&)>& f, const TensorList& inputs,
                          const GradcheckOptions& o) {
  TensorList in;
  for (const auto& x : inputs) in.push_back(is_floating(x.dtype()) ? cast(x, Float64) : x);

  Tensor probe = f(in);
  Tensor r = random_normal(probe.shape(), {.dtype = Float64, .seed = 1234});

  std::vector<std::optional<Tensor>> analytic;
  {
    GradientTape tape;
    for (const auto& x : in)
      if (is_floating(x.dtype())) tape.watch(x);
    Tensor y = f(in);
    Tensor loss = loss_of(y, r);
    analytic = tape.gradient(loss, in, {.unconnected = Unconnected::Zero});
  }

  GradcheckResult res;
  double worst = -1.0;
  for (std::size_t k = 0; k < in.size(); ++k) {
    if (!is_floating(in[k].dtype())) continue;
    std::vector<double> a = analytic[k]->to_vector<double>();
    std::vector<double> base = in[k].to_vector<double>();
    for (std::size_t i = 0; i < base.size(); ++i) {
      TensorList plus = in, minus = in;
      plus[k] = with_element(in[k], static_cast<std::int64_t>(i), base[i] + o.eps);
      minus[k] = with_element(in[k], static_cast<std::int64_t>(i), base[i] - o.eps);
      double numeric = (objective(f, plus, r) - objective(f, minus, r)) / (2 * o.eps);
      double err = std::fabs(a[i] - numeric);
      res.max_abs_error = std::max(res.max_abs_error, err);
      double excess = err - (o.atol + o.rtol * std::fabs(numeric));
      if (excess > 0 && excess > worst) {
        worst = excess;
        res.ok = false;
        res.message = fmt::format("input {} (shape {}), element {}: analytic {:.10g}, numeric {:.10g}", k,
                                  in[k].shape().str(), i, a[i], numeric);
      }
    }
  }
  return res;
}

}  // namespace lamina
