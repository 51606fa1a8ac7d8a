// Attention and MultiHeadAttention, written with matmul and the mask-aware softmax: the
// masks become one (batch, Tq, Tk) validity tensor attached to the scores, so masked keys
// get weight 0 and rows with no valid key give zeros instead of NaN. Masked entries of
// the inputs are replaced by zeros (selected) before any arithmetic, so NaN or inf there
// reaches neither the output nor a gradient.
#include "lamina/layers/attention.hpp"

#include <fmt/format.h>

#include <cmath>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/layers/dropout.hpp"
#include "lamina/ops/compare.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/linalg.hpp"
#include "lamina/ops/mask.hpp"
#include "lamina/ops/nn.hpp"
#include "lamina/ops/reduce.hpp"
#include "lamina/ops/shape.hpp"

namespace lamina::layers {

namespace {

// Which input plays which part. `mask` is -1 without an explicit attention_mask.
struct Roles {
  std::size_t query = 0, value = 1, key = 1;
  int mask = -1;
  bool key_given = false;
};

std::string describe(const std::vector<TensorSpec>& specs, const Roles& r) {
  std::string s = fmt::format("query {}, value {}", specs[r.query].shape.str(), specs[r.value].shape.str());
  if (r.key_given) s += fmt::format(", key {}", specs[r.key].shape.str());
  if (r.mask >= 0) s += fmt::format(", attention_mask {}", specs[static_cast<std::size_t>(r.mask)].shape.str());
  return s;
}

// {query, value}, {query, value, key}; MultiHeadAttention also takes a trailing Bool
// attention_mask (a Bool tensor is never a sensible query, key or value).
Roles assign_roles(const std::vector<TensorSpec>& specs, const std::string& type, bool allow_mask) {
  Roles r;
  std::size_t n = specs.size();
  if (allow_mask && n >= 3 && specs.back().dtype == Bool) {
    r.mask = static_cast<int>(n - 1);
    --n;
  }
  if (n != 2 && n != 3) {
    std::string found = fmt::format("{} input{}", specs.size(), specs.size() == 1 ? "" : "s");
    if (allow_mask && specs.size() == 4)
      found += fmt::format(" (the last is {}; an attention_mask must be Bool)", dtype_name(specs.back().dtype));
    throw ValueError({.problem = fmt::format("{} takes {{query, value}} or {{query, value, key}}{}", type,
                                             allow_mask ? ", optionally followed by a Bool attention_mask" : ""),
                      .expected = allow_mask ? "2 to 4 inputs" : "2 or 3 inputs",
                      .found = found,
                      .hint = fmt::format("self-attention passes the sequence twice: {}(...)({{x, x}})", type)});
  }
  if (n == 3) {
    r.key = 2;
    r.key_given = true;
  }
  return r;
}

// Ranks, batch sizes, key/value lengths, (Attention) query/key features, and the explicit
// mask's shape. Unknown dims pass; they are checked again when the values arrive.
void check_specs(const std::vector<TensorSpec>& specs, const Roles& r, const std::string& type,
                 bool same_query_key_features) {
  auto fail = [&](const std::string& problem, const std::string& expected, const std::string& hint) {
    throw ShapeError({.problem = problem, .expected = expected, .found = describe(specs, r), .hint = hint});
  };
  const Shape& q = specs[r.query].shape;
  const Shape& v = specs[r.value].shape;
  const Shape& k = specs[r.key].shape;
  if (q.rank() != 3 || v.rank() != 3 || k.rank() != 3)
    fail(fmt::format("{} needs 3-D query, value and key", type), "(batch, time, features) tensors",
         "for a single vector per sample, add a time axis of length 1 (lm::expand_dims(x, 1))");
  auto clash = [](std::int64_t a, std::int64_t b) { return a >= 0 && b >= 0 && a != b; };
  if (clash(q[0], v[0]) || clash(q[0], k[0]) || clash(v[0], k[0]))
    fail("the inputs have different batch sizes", "the same batch size for every input",
         "query, value and key are batches of the same examples; slice them to one batch size");
  if (clash(k[1], v[1]))
    fail("key and value must have the same number of time steps", "key (B, Tv, Dk) for value (B, Tv, Dv)",
         "each value needs exactly one key");
  if (same_query_key_features && clash(q[2], k[2]))
    fail("the query and key feature sizes differ (the scores are their dot products)",
         "query (B, Tq, D) and key (B, Tv, D)", "project one of them with Dense to the other's size");
  if (r.mask >= 0) {
    const Shape& m = specs[static_cast<std::size_t>(r.mask)].shape;
    const std::int64_t want[3] = {q[0], q[1], v[1]};
    bool ok = m.rank() == 3;
    for (std::int64_t i = 0; ok && i < 3; ++i) ok = m[i] == 1 || !clash(m[i], want[i]);
    if (!ok)
      fail("the attention_mask does not fit (batch, query steps, value steps)",
           fmt::format("a Bool mask broadcastable to {}", Shape{want[0], want[1], want[2]}.str()),
           "a mask shared by the whole batch is (1, Tq, Tv): lm::expand_dims(mask, 0)");
  }
}

std::vector<TensorSpec> specs_of(const TensorList& xs) {
  std::vector<TensorSpec> s;
  for (const auto& x : xs) s.push_back(x.spec());
  return s;
}

// One validity flag per time step, (B, T), or undefined when `x` is unmasked. A mask over
// (batch,) or over every axis counts a step valid when any of its features is.
Tensor time_mask(const Tensor& x) {
  if (!x.has_mask()) return {};
  if (x.mask_rank() == 2) return x.mask();
  return any(full_mask(x), -1);
}

Tensor mask_and(const Tensor& a, const Tensor& b) {
  if (!a.defined()) return b;
  if (!b.defined()) return a;
  return a & b;
}

// The mask the output carries: the query's own (B,) or (B, Tq) mask, else its time mask.
Tensor output_mask(const Tensor& query, const Tensor& query_steps) {
  if (!query.has_mask()) return {};
  return query.mask_rank() <= 2 ? query.mask() : query_steps;
}

// (1, Tq, Tk) lower triangle: query i may attend key j when j <= i. The leading 1 lets it
// broadcast against a batch whose size is not known yet.
Tensor causal_mask(std::int64_t tq, std::int64_t tk) {
  return expand_dims(expand_dims(arange(tq), 1) >= expand_dims(arange(tk), 0), 0);
}

// Which (batch, query, key) pairs may attend, as a Bool tensor of `target` = (B, Tq, Tk),
// or undefined when all may. On symbolic inputs with unknown lengths the causal part is
// left out: it only changes values, never the output spec.
Tensor attention_validity(const Tensor& query_steps, const Tensor& key_steps, bool causal, const Tensor& explicit_mask,
                          const Shape& target) {
  Tensor acc;
  if (query_steps.defined()) acc = expand_dims(query_steps, 2);
  if (key_steps.defined()) acc = mask_and(acc, expand_dims(key_steps, 1));
  if (causal && target[1] >= 0 && target[2] >= 0) acc = mask_and(acc, causal_mask(target[1], target[2]));
  if (explicit_mask.defined()) acc = mask_and(acc, explicit_mask.without_mask());
  return acc.defined() ? broadcast_to(acc, target) : acc;
}

// x without its mask, zero at its masked entries (selected: 0 * NaN would be NaN).
Tensor plain(const Tensor& x) { return fill_masked(x, 0).without_mask(); }

// Softmax over the last axis, excluding invalid entries (weight 0; a row with none valid
// is all zeros).
Tensor masked_softmax(const Tensor& scores, const Tensor& valid) {
  if (!valid.defined()) return softmax(scores, -1);
  return softmax(scores.with_mask(valid), -1).without_mask();
}

void check_dropout(double rate) {
  if (!(rate >= 0.0 && rate < 1.0))
    throw ValueError({.problem = "the dropout rate must be in [0, 1)",
                      .expected = "0 <= dropout < 1",
                      .found = fmt::format("{}", rate),
                      .hint = "use a rate such as 0.1; 0 disables dropout"});
}

}  // namespace

// ---- Attention --------------------------------------------------------------------------

AttentionLayer::AttentionLayer(AttentionOptions options)
    : Layer("Attention", options.name), options_(std::move(options)) {
  LayerScope scope(name(), type());
  if (options_.score_mode != "dot" && options_.score_mode != "concat")
    throw ValueError({.problem = "unknown score_mode",
                      .expected = "\"dot\" or \"concat\"",
                      .found = fmt::format("\"{}\"", options_.score_mode),
                      .hint = "use score_mode \"dot\" (scaled dot products) or \"concat\" (additive, Bahdanau-style)"});
  check_dropout(options_.dropout);
  if (options_.seed) generator() = Generator(*options_.seed);
}

void AttentionLayer::on_build(const std::vector<TensorSpec>& specs) {
  check_specs(specs, assign_roles(specs, type(), false), type(), true);
  if (options_.use_scale) scale_ = add_weight("scale", Shape{}, initializers::ones());
  if (options_.score_mode == "concat")
    concat_score_weight_ = add_weight("concat_score_weight", Shape{}, initializers::ones());
}

TensorList AttentionLayer::call(const TensorList& inputs, const TensorList&, bool training) {
  const std::vector<TensorSpec> specs = specs_of(inputs);
  const Roles r = assign_roles(specs, type(), false);
  check_specs(specs, r, type(), true);
  const Tensor& query = inputs[r.query];
  const Tensor query_steps = time_mask(query);
  const Tensor key_steps = mask_and(time_mask(inputs[r.value]), r.key_given ? time_mask(inputs[r.key]) : Tensor());
  // The masks are applied through `valid` below; the arithmetic runs on plain values, with
  // zeros selected in at masked entries so that whatever padding holds (NaN, inf) stays out.
  const Tensor q = plain(query), v = plain(inputs[r.value]), k = plain(inputs[r.key]);

  Tensor scores;
  if (options_.score_mode == "dot") {
    scores = matmul(q, transpose(k, {0, 2, 1}));  // (B, Tq, Tv)
    if (scale_.defined()) scores = scores * scale_.value();
  } else {  // concat: sum_d tanh(scale * (q_id + k_jd)), times a learned weight
    Tensor pairs = expand_dims(q, 2) + expand_dims(k, 1);  // (B, Tq, Tv, D)
    if (scale_.defined()) pairs = pairs * scale_.value();
    scores = sum(tanh(pairs), -1) * concat_score_weight_.value();
  }
  const Tensor valid = attention_validity(query_steps, key_steps, options_.use_causal_mask, Tensor(), scores.shape());
  Tensor weights = masked_softmax(scores, valid);
  if (training && options_.dropout > 0 && !weights.is_symbolic())
    weights = weights * dropout_mask(weights.shape(), options_.dropout, weights.dtype(), generator());

  const Tensor out_mask = output_mask(query, query_steps);
  TensorList outs{matmul(weights, v).with_mask(out_mask)};
  if (options_.return_attention_scores) outs.push_back(weights.with_mask(out_mask));
  return outs;
}

Json AttentionLayer::get_config() const {
  Json c = Layer::get_config();
  c["use_scale"] = options_.use_scale;
  c["score_mode"] = options_.score_mode;
  c["dropout"] = options_.dropout;
  if (options_.seed) c["seed"] = *options_.seed;
  c["use_causal_mask"] = options_.use_causal_mask;
  c["return_attention_scores"] = options_.return_attention_scores;
  return c;
}

// ---- MultiHeadAttention -----------------------------------------------------------------

MultiHeadAttentionLayer::MultiHeadAttentionLayer(std::int64_t num_heads, std::int64_t key_dim,
                                                 MultiHeadAttentionOptions options)
    : Layer("MultiHeadAttention", options.name),
      num_heads_(num_heads),
      key_dim_(key_dim),
      value_dim_(options.value_dim.value_or(key_dim)),
      options_(std::move(options)) {
  LayerScope scope(name(), type());
  auto positive = [](const char* what, std::int64_t n) {
    if (n <= 0)
      throw ValueError({.problem = fmt::format("{} must be positive", what),
                        .expected = fmt::format("{} >= 1", what),
                        .found = std::to_string(n),
                        .hint = fmt::format("{} is a size: give a positive number", what)});
  };
  positive("num_heads", num_heads_);
  positive("key_dim", key_dim_);
  positive("value_dim", value_dim_);
  if (options_.output_shape) positive("output_shape", *options_.output_shape);
  check_dropout(options_.dropout);
  if (options_.seed) generator() = Generator(*options_.seed);
}

void MultiHeadAttentionLayer::on_build(const std::vector<TensorSpec>& specs) {
  const Roles r = assign_roles(specs, type(), true);
  check_specs(specs, r, type(), false);
  const std::int64_t fq = specs[r.query].shape[2], fv = specs[r.value].shape[2], fk = specs[r.key].shape[2];
  const std::int64_t h = num_heads_;
  auto dense = [&](const std::string& name, Shape kernel, Shape bias) {
    Projection p;
    p.kernel = add_weight(name + "/kernel", kernel, options_.kernel_initializer);
    if (options_.use_bias) p.bias = add_weight(name + "/bias", bias, options_.bias_initializer);
    return p;
  };
  // Keras's order and layout (EinsumDense "abc,cde->abde" and "abcd,cde->abe").
  query_ = dense("query", Shape{fq, h, key_dim_}, Shape{h, key_dim_});
  key_ = dense("key", Shape{fk, h, key_dim_}, Shape{h, key_dim_});
  value_ = dense("value", Shape{fv, h, value_dim_}, Shape{h, value_dim_});
  const std::int64_t fo = options_.output_shape.value_or(fq);
  output_ = dense("attention_output", Shape{h, value_dim_, fo}, Shape{fo});
}

namespace {

// (B, T, F) -> (B, H, T, d): one broadcast matmul of (B, 1, T, F) with the kernel as
// (H, F, d), which keeps every step symbolic-friendly (no reshape of unknown dims).
Tensor project_heads(const Tensor& x, const MultiHeadAttentionLayer::Projection& p) {
  Tensor y = matmul(expand_dims(x, 1), transpose(p.kernel.value(), {1, 0, 2}));
  if (p.bias.defined()) {
    const Shape& b = p.bias.shape();
    y = y + reshape(p.bias.value(), Shape{b[0], 1, b[1]});
  }
  return y;
}

void check_features(const Tensor& x, const Variable& kernel, const char* role) {
  const std::int64_t f = kernel.shape()[0];
  if (x.dim(-1) >= 0 && x.dim(-1) != f)
    throw ShapeError({.problem = fmt::format("the {} features do not match the layer's {}/kernel", role, role),
                      .expected = fmt::format("{} (B, T, {}) -- the layer was built for {} features", role, f, f),
                      .found = x.shape().str(),
                      .hint = "a layer keeps the input sizes it was first called with; create a new layer"});
}

}  // namespace

TensorList MultiHeadAttentionLayer::call(const TensorList& inputs, const TensorList&, bool training) {
  const std::vector<TensorSpec> specs = specs_of(inputs);
  const Roles r = assign_roles(specs, type(), true);
  check_specs(specs, r, type(), false);
  const Tensor& query = inputs[r.query];
  check_features(query, query_.kernel, "query");
  check_features(inputs[r.value], value_.kernel, "value");
  check_features(inputs[r.key], key_.kernel, "key");
  const Tensor query_steps = time_mask(query);
  const Tensor key_steps = mask_and(time_mask(inputs[r.value]), r.key_given ? time_mask(inputs[r.key]) : Tensor());
  const Tensor explicit_mask = r.mask >= 0 ? inputs[static_cast<std::size_t>(r.mask)] : Tensor();

  const Tensor q = project_heads(plain(query), query_) * (1.0 / std::sqrt(static_cast<double>(key_dim_)));
  const Tensor k = project_heads(plain(inputs[r.key]), key_);
  const Tensor v = project_heads(plain(inputs[r.value]), value_);
  const Tensor scores = matmul(q, transpose(k, {0, 1, 3, 2}));  // (B, H, Tq, Tv)

  const Shape& s = scores.shape();
  Tensor valid =
      attention_validity(query_steps, key_steps, options_.use_causal_mask, explicit_mask, Shape{s[0], s[2], s[3]});
  if (valid.defined()) valid = broadcast_to(expand_dims(valid, 1), s);  // the same for every head
  Tensor weights = masked_softmax(scores, valid);
  if (training && options_.dropout > 0 && !weights.is_symbolic())
    weights = weights * dropout_mask(weights.shape(), options_.dropout, weights.dtype(), generator());

  // (B, H, Tq, dv) @ (H, dv, F_out) summed over heads = the Keras "abcd,cde->abe" projection.
  Tensor out = sum(matmul(matmul(weights, v), output_.kernel.value()), 1);
  if (output_.bias.defined()) out = out + output_.bias.value();

  TensorList outs{out.with_mask(output_mask(query, query_steps))};
  if (options_.return_attention_scores) {
    // Scores (B, H, Tq, Tv) carry the query mask on (B,) or (B, H, Tq).
    Tensor m = query.mask_rank() == 1  ? query.mask()
               : query_steps.defined() ? broadcast_to(expand_dims(query_steps, 1), Shape{s[0], s[1], s[2]})
                                       : Tensor();
    outs.push_back(weights.with_mask(m));
  }
  return outs;
}

Json MultiHeadAttentionLayer::get_config() const {
  Json c = Layer::get_config();
  c["num_heads"] = num_heads_;
  c["key_dim"] = key_dim_;
  c["value_dim"] = value_dim_;
  c["dropout"] = options_.dropout;
  c["use_bias"] = options_.use_bias;
  c["output_shape"] = options_.output_shape ? Json(*options_.output_shape) : Json(nullptr);
  c["kernel_initializer"] = options_.kernel_initializer.name();
  c["bias_initializer"] = options_.bias_initializer.name();
  if (options_.seed) c["seed"] = *options_.seed;
  c["use_causal_mask"] = options_.use_causal_mask;
  c["return_attention_scores"] = options_.return_attention_scores;
  return c;
}

}  // namespace lamina::layers
