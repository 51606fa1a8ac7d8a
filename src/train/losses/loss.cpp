// Loss base: input sanitising, sample weights, and the masked "sum_over_batch_size" reduction.
#include "lamina/train/loss.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "lamina/core/error.hpp"
#include "lamina/ops/cast.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/index.hpp"
#include "lamina/ops/mask.hpp"
#include "lamina/ops/reduce.hpp"
#include "lamina/ops/shape.hpp"

namespace lamina::losses {

namespace {

bool dims_agree(std::int64_t a, std::int64_t b) { return a < 0 || b < 0 || a == b; }

bool shapes_agree(const Shape& a, const Shape& b) {
  if (a.rank() != b.rank()) return false;
  for (std::int64_t i = 0; i < a.rank(); ++i)
    if (!dims_agree(a[i], b[i])) return false;
  return true;
}

}  // namespace

std::pair<Tensor, Tensor> squeeze_or_expand_to_same_rank(const Tensor& x1, const Tensor& x2, bool expand_rank_1) {
  Tensor a = x1, b = x2;
  std::int64_t ra = a.rank(), rb = b.rank();
  if (ra == rb) return {a, b};
  if (ra == rb + 1 && a.dim(-1) == 1) {
    if (rb == 1 && expand_rank_1)
      b = expand_dims(b, -1);
    else
      a = squeeze(a, {-1});
  }
  if (rb == ra + 1 && b.dim(-1) == 1) {
    if (ra == 1 && expand_rank_1)
      a = expand_dims(a, -1);
    else
      b = squeeze(b, {-1});
  }
  return {a, b};
}

std::pair<Tensor, Tensor> sanitize_masked(const Tensor& y_true, const Tensor& y_pred) {
  Tensor pred = is_floating(y_pred.dtype()) ? y_pred : cast(y_pred, Float32);
  Tensor truth = y_true.without_mask();  // as Keras, only y_pred's mask counts
  if (!pred.has_mask()) return {truth, pred};
  Tensor m = pred.mask();
  // Masked positions may hold anything (NaN, inf, out-of-range labels): select them away
  // before any arithmetic, so neither the loss nor its gradient can see them.
  pred = fill_masked(pred, 1);
  std::int64_t r = std::min(m.rank(), truth.rank());
  if (r == 0) return {truth, pred};
  Tensor keep = m;
  if (r < m.rank()) {  // y_true is shorter than the mask: zero it only where every y_pred entry is masked
    Axes trailing;
    for (std::int64_t a = r; a < m.rank(); ++a) trailing.push_back(a);
    keep = any(m, trailing);
  }
  for (std::int64_t a = 0; a < r; ++a)
    if (!dims_agree(keep.shape()[a], truth.shape()[a])) return {truth, pred};  // the loss reports the mismatch
  truth = where(full_mask(truth.with_mask(keep)), truth, 0);
  return {truth, pred};
}

Loss::Loss(std::string type, std::string name) : type_(std::move(type)), name_(std::move(name)) {}
Loss::~Loss() = default;

std::string Loss::context() const { return fmt::format("loss '{}'", name_); }

Loss::Scope::Scope(const Loss& loss) {
  std::string c = loss.context();
  if (current_where().find(c) == std::string::npos) note.emplace(std::move(c));
}

Json Loss::get_config() const { return Json{{"type", type_}, {"name", name_}, {"reduction", "sum_over_batch_size"}}; }

void Loss::shape_mismatch(const Tensor& y_true, const Tensor& y_pred, const std::string& hint) const {
  throw ShapeError({.problem = "y_true and y_pred shapes do not match",
                    .expected = fmt::format("y_true of shape {} (the shape of y_pred)", y_pred.shape().str()),
                    .found = fmt::format("y_true {} and y_pred {}", y_true.shape().str(), y_pred.shape().str()),
                    .hint = hint});
}

void Loss::require_inputs(const Tensor& y_true, const Tensor& y_pred) const {
  if (!y_true.defined() || !y_pred.defined())
    throw ValueError({.problem = fmt::format("{} needs both y_true and y_pred", name_),
                      .expected = "two defined tensors",
                      .found = !y_true.defined() ? "an undefined y_true" : "an undefined y_pred",
                      .hint = "pass the targets and the model's outputs"});
}

Loss::Inputs Loss::sanitize(const Tensor& y_true, const Tensor& y_pred) const {
  require_inputs(y_true, y_pred);
  auto [t, p] = sanitize_masked(y_true, y_pred);
  return {t, p};
}

Loss::Inputs Loss::dense_inputs(const Tensor& y_true, const Tensor& y_pred) const {
  Inputs in = sanitize(y_true, y_pred);
  auto [t, p] = squeeze_or_expand_to_same_rank(in.y_true, in.y_pred);
  if (!shapes_agree(t.shape(), p.shape())) shape_mismatch(y_true, y_pred, "give y_true the shape of y_pred");
  if (t.dtype() != p.dtype()) t = cast(t, p.dtype());
  return {t, p};
}

// Sample weights broadcast to the unreduced loss: Keras's squeeze_or_expand_to_same_rank,
// then leading axes aligned ((batch,) weights a (batch, time) loss per sample).
Tensor Loss::weights_for(const Tensor& values, const Tensor& sample_weight) const {
  if (!sample_weight.defined()) return {};
  Tensor w = sample_weight.without_mask();
  if (w.dtype() != values.dtype()) w = cast(w, values.dtype());
  const Shape& vs = values.shape();
  std::int64_t rv = vs.rank();
  if (w.rank() == rv + 1 && w.dim(-1) == 1) w = squeeze(w, {-1});
  auto fail = [&] {
    throw ShapeError({.problem = "sample_weight does not fit the loss",
                      .expected = fmt::format(
                          "sample_weight of shape (batch,) or (batch, ...) leading the unreduced loss {}", vs.str()),
                      .found = fmt::format("sample_weight {}", sample_weight.shape().str()),
                      .hint = "give one weight per sample, (batch,), or per sample and timestep, (batch, timesteps)"});
  };
  if (w.rank() > rv) fail();
  for (std::int64_t a = 0; a < w.rank(); ++a)
    if (w.shape()[a] != 1 && !dims_agree(w.shape()[a], vs[a])) fail();
  if (w.rank() > 0)
    while (w.rank() < rv) w = expand_dims(w, -1);
  return w;
}

Loss::Parts Loss::reduce_parts(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) const {
  Scope scope(*this);
  require_inputs(y_true, y_pred);
  Inputs in = sanitizes_inputs() ? Inputs{y_true, y_pred} : sanitize(y_true, y_pred);
  if (in.y_true.is_symbolic() || in.y_pred.is_symbolic() || (sample_weight.defined() && sample_weight.is_symbolic()))
    throw ValueError({.problem = "reduce_parts needs concrete tensors",
                      .expected = "tensors with values",
                      .found = "symbolic tensors",
                      .hint = "call the loss itself, loss(y_true, y_pred), on symbolic tensors"});
  Tensor loss = call(in.y_true, in.y_pred);
  Tensor w = weights_for(loss, sample_weight);
  Tensor v = loss.without_mask();
  double count = 0;
  if (loss.has_mask()) {
    Tensor valid = full_mask(loss);
    v = where(valid, v, 0);
    if (w.defined()) v = v * where(valid, w, 0);
    count = sum(cast(valid, Float64)).item<double>();
  } else {
    if (w.defined()) v = v * w;
    count = static_cast<double>(loss.numel());
  }
  return {sum(v), count};
}

Tensor Loss::operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) const {
  {
    Scope scope(*this);
    require_inputs(y_true, y_pred);
  }
  bool symbolic = (y_true.defined() && y_true.is_symbolic()) || (y_pred.defined() && y_pred.is_symbolic()) ||
                  (sample_weight.defined() && sample_weight.is_symbolic());
  if (!symbolic) {
    Parts parts = reduce_parts(y_true, y_pred, sample_weight);
    return parts.sum / std::max(parts.count, 1.0);
  }
  Scope scope(*this);
  Inputs in = sanitizes_inputs() ? Inputs{y_true, y_pred} : sanitize(y_true, y_pred);
  Tensor loss = call(in.y_true, in.y_pred);
  Tensor w = weights_for(loss, sample_weight);
  Tensor v = loss.without_mask();
  Tensor valid = full_mask(loss);  // all true when unmasked
  v = where(valid, v, 0);
  if (w.defined()) v = v * where(valid, w, 0);
  return sum(v) / maximum(sum(cast(valid, v.dtype())), 1);
}

}  // namespace lamina::losses
