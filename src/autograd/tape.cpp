// GradientTape: reverse-mode differentiation over recorded ops, and the diagnostics that
// say which op cut a source's path to the target.
#include "lamina/autograd/tape.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/ops/elementwise.hpp"

namespace lamina {

GradientTape::GradientTape(TapeOptions options) : options_(options) { detail::active_recorders().push_back(this); }

GradientTape::~GradientTape() {
  auto& recs = detail::active_recorders();
  recs.erase(std::remove(recs.begin(), recs.end(), this), recs.end());
}

void GradientTape::watch(const Tensor& t) {
  if (!t.defined())
    throw ValueError({.op = "watch",
                      .problem = "cannot watch an undefined Tensor",
                      .expected = "a tensor",
                      .found = "an undefined Tensor",
                      .hint = "watch the tensor an op returned, or a Variable's value()"});
  tracked_.insert(t.id());
}

void GradientTape::watch(const Variable& v) { tracked_.insert(v.value().id()); }

bool GradientTape::tracks(std::uint64_t id) const { return active_ && tracked_.count(id) > 0; }

void GradientTape::record(std::shared_ptr<const OpRecord> rec) {
  for (auto id : rec->output_ids) tracked_.insert(id);
  records_.push_back(std::move(rec));
}

void GradientTape::on_variable_read(const Tensor& value, bool trainable) {
  if (active_ && options_.watch_accessed_variables && trainable) tracked_.insert(value.id());
}

namespace {

// Stops this tape recording while it differentiates; outer tapes keep recording, which
// is what makes higher-order gradients work.
class Inactive {
 public:
  explicit Inactive(bool& flag) : flag_(flag), saved_(flag) { flag_ = false; }
  ~Inactive() { flag_ = saved_; }

 private:
  bool& flag_;
  bool saved_;
};

std::vector<std::string> variable_names(const std::vector<Variable>& vars) {
  std::vector<std::string> names;
  for (const auto& v : vars) names.push_back(v.name());
  return names;
}

}  // namespace

std::vector<std::optional<Tensor>> GradientTape::gradient_ids(const Tensor& target,
                                                              const std::vector<std::uint64_t>& ids,
                                                              const std::vector<TensorSpec>& specs,
                                                              const GradientOptions& options) {
  OpScope scope("gradient");
  if (!target.defined() || target.is_symbolic() || !is_floating(target.dtype()))
    throw GradientError({.problem = "the gradient target must be a concrete floating-point tensor",
                         .expected = "a float32/float64 tensor computed under this tape",
                         .found = !target.defined()      ? std::string("an undefined Tensor")
                                  : target.is_symbolic() ? "symbolic " + target.spec().str()
                                                         : target.spec().str(),
                         .hint = "differentiate a loss value, not integer indices or a model description"});
  Inactive inactive(active_);
  std::unordered_map<std::uint64_t, Tensor> grads;
  if (options.output_gradient.defined()) {
    if (options.output_gradient.shape() != target.shape())
      throw ShapeError({.op = "gradient",
                        .problem = "output_gradient must have the target's shape",
                        .expected = target.shape().str(),
                        .found = options.output_gradient.shape().str(),
                        .hint = "pass an output_gradient shaped like the target, or none (ones)"});
    grads[target.id()] = options.output_gradient.without_mask();
  } else {
    grads[target.id()] = ones(target.shape(), target.dtype());
  }
  std::unordered_map<std::uint64_t, bool> is_source;
  for (auto id : ids) is_source[id] = true;

  auto result = [&](std::size_t k) -> std::optional<Tensor> {
    auto g = grads.find(ids[k]);
    if (g != grads.end() && is_floating(specs[k].dtype)) return g->second;
    if (options.unconnected == Unconnected::Zero && is_floating(specs[k].dtype))
      return zeros(specs[k].shape, specs[k].dtype);
    return std::nullopt;
  };
  // For on_final: source k's gradient is final once the backward has passed the first
  // recorded op that reads it (final_after[r] lists the sources whose first reader is r).
  std::vector<std::vector<std::size_t>> final_after;
  std::vector<std::size_t> never_read;
  if (options.on_final) {
    std::unordered_map<std::uint64_t, std::size_t> first_reader;
    for (std::size_t r = 0; r < records_.size(); ++r)
      for (auto id : records_[r]->input_ids)
        if (is_source.count(id)) first_reader.try_emplace(id, r);
    final_after.resize(records_.size());
    for (std::size_t k = 0; k < ids.size(); ++k) {
      auto f = first_reader.find(ids[k]);
      if (f == first_reader.end())
        never_read.push_back(k);
      else
        final_after[f->second].push_back(k);
    }
  }
  auto report_final = [&](const std::vector<std::size_t>& ks) {
    for (std::size_t k : ks) {
      auto g = result(k);
      options.on_final(k, g ? *g : Tensor());
    }
  };
  if (options.on_final) report_final(never_read);

  for (std::size_t r = records_.size(); r-- > 0;) {
    backward_through(*records_[r], grads, is_source);
    if (options.on_final) report_final(final_after[r]);
  }

  std::vector<std::optional<Tensor>> out;
  for (std::size_t k = 0; k < ids.size(); ++k) out.push_back(result(k));
  return out;
}

void GradientTape::backward_through(const OpRecord& rec, std::unordered_map<std::uint64_t, Tensor>& grads,
                                    const std::unordered_map<std::uint64_t, bool>& is_source) const {
  TensorList gout(rec.output_ids.size());
  bool any = false;
  for (std::size_t i = 0; i < rec.output_ids.size(); ++i) {
    auto g = grads.find(rec.output_ids[i]);
    if (g == grads.end()) continue;
    gout[i] = g->second.without_mask();
    any = true;
    if (!is_source.count(rec.output_ids[i])) grads.erase(g);  // each tensor has one producer
  }
  if (!any || !rec.backward) return;
  std::vector<bool> needs(rec.input_ids.size());
  bool need_any = false;
  for (std::size_t i = 0; i < needs.size(); ++i) {
    needs[i] = rec.input_differentiable[i] && tracked_.count(rec.input_ids[i]) > 0;
    need_any = need_any || needs[i];
  }
  if (!need_any) return;
  TensorList gin;
  {
    NoteScope note(fmt::format("backward of op '{}'", rec.op));
    gin = rec.backward(gout, needs);
  }
  for (std::size_t i = 0; i < needs.size() && i < gin.size(); ++i) {
    if (!needs[i] || !gin[i].defined()) continue;
    if (gin[i].shape() != rec.input_shapes[i])
      throw GradientError({.op = rec.op,
                           .problem = "internal error: a gradient has the wrong shape",
                           .expected = rec.input_shapes[i].str(),
                           .found = gin[i].shape().str(),
                           .hint = "please report this bug with the op name"});
    auto [slot, fresh] = grads.try_emplace(rec.input_ids[i], gin[i].without_mask());
    if (!fresh) slot->second = slot->second + gin[i].without_mask();
  }
}

std::vector<std::optional<Tensor>> GradientTape::gradient(const Tensor& target, const TensorList& sources,
                                                          const GradientOptions& options) {
  std::vector<std::uint64_t> ids;
  std::vector<TensorSpec> specs;
  for (const auto& s : sources) {
    ids.push_back(s.id());
    specs.push_back(s.spec());
  }
  return gradient_ids(target, ids, specs, options);
}

std::vector<std::optional<Tensor>> GradientTape::gradient(const Tensor& target, const std::vector<Variable>& sources,
                                                          const GradientOptions& options) {
  TensorList values;
  {
    Inactive inactive(active_);  // reading the variables here must not watch them anew
    for (const auto& v : sources) values.push_back(v.value());
  }
  return gradient(target, values, options);
}

std::optional<Tensor> GradientTape::gradient(const Tensor& target, const Tensor& source,
                                             const GradientOptions& options) {
  return gradient(target, TensorList{source}, options)[0];
}

// ---- diagnostics -------------------------------------------------------------------------

namespace {
// "cut by op 'round' in layer 'q' (Lambda), then op 'cast'" or "not connected ...".
std::string cut_reason(const std::vector<std::string>& cut_by, std::string_view target) {
  if (cut_by.empty())
    return "not connected: no recorded op uses it (it was not used, was used before the tape "
           "watched it, or only outside the tape)";
  std::string ops;
  for (std::size_t i = 0; i < cut_by.size(); ++i) ops += (i ? ", then " : "") + cut_by[i];
  return fmt::format("the path to the {} is cut by {}", target, ops);
}
}  // namespace

std::string GradientCut::describe() const { return fmt::format("'{}': {}", source, cut_reason(cut_by, "target")); }

std::vector<GradientCut> GradientTape::cuts_ids(const Tensor& target, const std::vector<std::uint64_t>& ids,
                                                const std::vector<std::string>& names) const {
  // Tensors the target depends on through any recorded op (differentiable or not).
  std::unordered_set<std::uint64_t> to_target{target.id()};
  for (auto it = records_.rbegin(); it != records_.rend(); ++it) {
    const OpRecord& rec = **it;
    bool feeds =
        std::any_of(rec.output_ids.begin(), rec.output_ids.end(), [&](auto id) { return to_target.count(id) > 0; });
    if (feeds) to_target.insert(rec.input_ids.begin(), rec.input_ids.end());
  }
  std::vector<GradientCut> result;
  for (std::size_t k = 0; k < ids.size(); ++k) {
    // Forward from the source: `any` follows every edge, `diff` only differentiable ones.
    std::unordered_set<std::uint64_t> any{ids[k]}, diff{ids[k]};
    std::vector<std::string> cut_by;
    for (const auto& r : records_) {
      const OpRecord& rec = *r;
      bool reached_any = false, reached_diff = false, cut_here = false;
      for (std::size_t i = 0; i < rec.input_ids.size(); ++i) {
        if (!any.count(rec.input_ids[i])) continue;
        reached_any = true;
        if (rec.input_differentiable[i] && diff.count(rec.input_ids[i])) reached_diff = true;
        if (!rec.input_differentiable[i] && diff.count(rec.input_ids[i])) cut_here = true;
      }
      if (reached_any) any.insert(rec.output_ids.begin(), rec.output_ids.end());
      if (reached_diff) diff.insert(rec.output_ids.begin(), rec.output_ids.end());
      bool leads_to_target =
          std::any_of(rec.output_ids.begin(), rec.output_ids.end(), [&](auto id) { return to_target.count(id) > 0; });
      if (cut_here && leads_to_target) {
        std::string what = fmt::format("op '{}'", rec.op);
        if (!rec.layer.empty()) what += " in " + rec.layer;
        if (std::find(cut_by.begin(), cut_by.end(), what) == cut_by.end()) cut_by.push_back(what);
      }
    }
    if (diff.count(target.id())) continue;  // connected: it gets a gradient
    result.push_back({names[k], cut_by});
  }
  return result;
}

std::vector<GradientCut> GradientTape::cuts(const Tensor& target, const TensorList& sources) const {
  std::vector<std::uint64_t> ids;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    ids.push_back(sources[i].id());
    names.push_back(fmt::format("source #{}", i));
  }
  return cuts_ids(target, ids, names);
}

std::vector<GradientCut> GradientTape::cuts(const Tensor& target, const std::vector<Variable>& sources) const {
  std::vector<std::uint64_t> ids;
  detail::PauseRecording pause;
  for (const auto& v : sources) ids.push_back(v.value().id());
  return cuts_ids(target, ids, variable_names(sources));
}

void GradientTape::require_gradients(const Tensor& target, const std::vector<Variable>& sources) const {
  auto found = cuts(target, sources);
  if (found.empty()) return;
  // Group variables that share one explanation: "'dense/kernel', 'dense/bias': the path ...".
  std::vector<std::pair<std::string, std::string>> groups;  // (names, reason)
  for (const auto& c : found) {
    std::string reason = cut_reason(c.cut_by, "loss");
    auto g = std::find_if(groups.begin(), groups.end(), [&](const auto& p) { return p.second == reason; });
    if (g == groups.end())
      groups.push_back({"'" + c.source + "'", reason});
    else
      g->first += ", '" + c.source + "'";
  }
  std::string problem = "no gradient reaches ";
  for (std::size_t i = 0; i < groups.size(); ++i)
    problem += (i ? "; nor " : "") + groups[i].first + ": " + groups[i].second;
  throw GradientError({.problem = problem,
                       .expected = "every trainable variable to receive a gradient",
                       .found = fmt::format("{} of {} variables without a gradient", found.size(), sources.size()),
                       .hint = "replace the non-differentiable op (round, argmax, cast to int, comparisons) "
                               "with a smooth one, or mark the variables non-trainable"});
}

// ---- stop_gradient ------------------------------------------------------------------------

Tensor stop_gradient(const Tensor& x) {
  OpScope scope("stop_gradient");
  if (x.is_symbolic())
    return symbolic_op("stop_gradient", {x}, x.spec(), [](const TensorList& in) { return stop_gradient(in[0]); });
  Tensor out = detail::share(x, x.shape(), x.mask());
  record_cut("stop_gradient", {x}, {out});
  return out;
}

}  // namespace lamina
