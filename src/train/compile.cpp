// model.compile(): resolves names to objects and assigns losses and metrics to outputs.
#include <fmt/format.h>

#include "lamina/core/error.hpp"
#include "lamina/core/random.hpp"
#include "lamina/train/losses.hpp"
#include "lamina/train/metrics.hpp"
#include "lamina/train/optimizers.hpp"
#include "train/train_state.hpp"

namespace lamina {

namespace {

// Names close to `name` (edit distance <= 2), for "did you mean" hints.
std::string nearest(const std::string& name, const std::vector<std::string>& known) {
  std::string best;
  std::size_t best_d = 3;
  for (const auto& k : known) {
    std::vector<std::size_t> prev(k.size() + 1), cur(k.size() + 1);
    for (std::size_t j = 0; j <= k.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= name.size(); ++i) {
      cur[0] = i;
      for (std::size_t j = 1; j <= k.size(); ++j)
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (name[i - 1] != k[j - 1])});
      prev.swap(cur);
    }
    if (prev[k.size()] < best_d) {
      best_d = prev[k.size()];
      best = k;
    }
  }
  return best;
}

std::size_t output_index(const ModelLayer& m, const std::string& name, const char* what) {
  const auto& names = m.output_names();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return i;
  std::string near = nearest(name, names);
  throw ValueError({.op = "compile",
                    .problem = fmt::format("{} names an output '{}' that the model does not have", what, name),
                    .expected = fmt::format("one of the output names: {}", fmt::join(names, ", ")),
                    .found = "'" + name + "'",
                    .hint = near.empty() ? "model.output_names() lists them (the layers producing the outputs)"
                                         : fmt::format("did you mean '{}'?", near)});
}

losses::LossRef resolve_loss(const LossArg& arg) {
  if (const auto* name = std::get_if<std::string>(&arg.value())) return losses::get(*name);
  auto loss = std::get<losses::LossRef>(arg.value());
  if (!loss)
    throw ValueError({.op = "compile",
                      .problem = "a loss is a null pointer",
                      .expected = "a loss name or object, e.g. \"mse\" or lm::losses::MeanSquaredError()",
                      .found = "an empty LossRef",
                      .hint = "create the loss object before passing it"});
  return loss;
}

}  // namespace

void Model::compile(const CompileOptions& options) const {
  ModelLayer& m = layer();
  NoteScope note(fmt::format("compile of model '{}'", m.name()));
  auto state = std::make_shared<train::TrainState>();
  state->options = options;
  if (const auto* name = std::get_if<std::string>(&options.optimizer.value()))
    state->optimizer = optimizers::get(*name);
  else
    state->optimizer = std::get<optimizers::OptimizerRef>(options.optimizer.value());
  if (!state->optimizer)
    throw ValueError({.op = "compile",
                      .problem = "the optimizer is a null pointer",
                      .expected = "an optimizer name or object, e.g. \"adam\" or lm::optimizers::Adam(1e-3)",
                      .found = "an empty OptimizerRef",
                      .hint = "create the optimizer before passing it"});

  const std::size_t n = m.outputs().size();
  state->outputs.resize(n);
  for (std::size_t i = 0; i < n; ++i) state->outputs[i].name = m.output_names()[i];

  const LossConfig& loss = options.loss;
  if (loss.single()) {
    for (auto& o : state->outputs) o.loss = resolve_loss(*loss.single());
  } else if (!loss.list().empty()) {
    if (loss.list().size() != n)
      throw ValueError({.op = "compile",
                        .problem = "the list of losses does not match the model's outputs",
                        .expected = fmt::format("{} losses, one per output ({})", n, fmt::join(m.output_names(), ", ")),
                        .found = fmt::format("{} losses", loss.list().size()),
                        .hint = "give one loss per output, or losses by output name: {{\"name\", \"mse\"}}"});
    for (std::size_t i = 0; i < n; ++i) state->outputs[i].loss = resolve_loss(loss.list()[i]);
  } else {
    for (const auto& [name, arg] : loss.by_name())
      state->outputs[output_index(m, name, "the loss")].loss = resolve_loss(arg);
  }

  const LossWeights& lw = options.loss_weights;
  if (!lw.list().empty()) {
    if (lw.list().size() != n)
      throw ValueError({.op = "compile",
                        .problem = "the list of loss weights does not match the model's outputs",
                        .expected = fmt::format("{} weights, one per output", n),
                        .found = fmt::format("{} weights", lw.list().size()),
                        .hint = "give one weight per output, or weights by output name"});
    for (std::size_t i = 0; i < n; ++i) state->outputs[i].loss_weight = lw.list()[i];
  }
  for (const auto& [name, w] : lw.by_name()) state->outputs[output_index(m, name, "loss_weights")].loss_weight = w;

  auto assign_metrics = [&](const MetricsConfig& config, bool weighted) {
    for (auto& o : state->outputs) {
      auto& list = weighted ? o.weighted_metric_args : o.metric_args;
      list.insert(list.end(), config.all_outputs().begin(), config.all_outputs().end());
    }
    for (const auto& [name, args] : config.by_name()) {
      auto& o = state->outputs[output_index(m, name, weighted ? "weighted_metrics" : "metrics")];
      auto& list = weighted ? o.weighted_metric_args : o.metric_args;
      list.insert(list.end(), args.begin(), args.end());
    }
  };
  assign_metrics(options.metrics, false);
  assign_metrics(options.weighted_metrics, true);
  state->shuffle_seed = global_generator().next_u64();
  m.set_train_state(std::move(state));
}

void Model::resume_at_epoch(int epoch) const {
  stop_training();  // requires a compiled model
  layer().train_state()->resume_epoch = epoch;
}

bool Model::compiled() const { return layer().train_state() != nullptr; }

optimizers::OptimizerRef Model::optimizer() const {
  auto* state = layer().train_state();
  return state ? state->optimizer : nullptr;
}

bool& Model::stop_training() const {
  auto* state = layer().train_state();
  if (!state)
    throw ValueError({.problem = fmt::format("model '{}' is not compiled", name()),
                      .expected = "a compiled model",
                      .found = "no compile() yet",
                      .hint = "call model.compile({.optimizer = ..., .loss = ...}) first"});
  return state->stop_training;
}

}  // namespace lamina

// ---- compile settings as JSON ----------------------------------------------------------------

namespace lamina {

namespace {

Json metric_arg_json(const MetricArg& a) {
  if (const auto* name = std::get_if<std::string>(&a.value())) return *name;
  return Json{{"config", std::get<metrics::MetricRef>(a.value())->get_config()}};
}

MetricArg metric_arg_from(const Json& j) {
  if (j.is_string()) return MetricArg(j.get<std::string>());
  if (j.is_object() && j.contains("config")) return MetricArg(metrics::metric_from_config(j["config"]));
  throw ValueError({.op = "compile_from_config",
                    .problem = "a saved metric is neither a name nor a config",
                    .expected = "\"accuracy\" or {\"config\": {...}}",
                    .found = j.dump().substr(0, 200),
                    .hint = "the file was written by another program or is damaged"});
}

}  // namespace

Json Model::get_compile_config() const {
  auto* state = layer().train_state();
  if (!state) return nullptr;
  Json outputs = Json::array();
  for (const auto& o : state->outputs) {
    Json metrics = Json::array(), weighted = Json::array();
    for (const auto& a : o.metric_args) metrics.push_back(metric_arg_json(a));
    for (const auto& a : o.weighted_metric_args) weighted.push_back(metric_arg_json(a));
    outputs.push_back({{"name", o.name},
                       {"loss", o.loss ? o.loss->get_config() : Json(nullptr)},
                       {"loss_weight", o.loss_weight},
                       {"metrics", metrics},
                       {"weighted_metrics", weighted}});
  }
  return {{"optimizer", optimizers::serialize(*state->optimizer)},
          {"outputs", outputs},
          {"shuffle_seed", std::to_string(state->shuffle_seed)}};
}

void Model::compile_from_config(const Json& c) const {
  auto fail = [&](const std::string& what) {
    throw ValueError({.op = "compile_from_config",
                      .problem = "the saved compile settings are invalid: " + what,
                      .expected = "settings written by Model::get_compile_config()",
                      .found = c.dump().substr(0, 200),
                      .hint = "the file was written by another program or is damaged"});
  };
  if (!c.is_object() || !c.contains("optimizer") || !c.contains("outputs") || !c["outputs"].is_array())
    fail("missing optimizer or outputs");
  const auto& outs = c["outputs"];
  if (outs.size() != output_names().size()) fail("the number of outputs differs from the model's");
  CompileOptions o{.optimizer = optimizers::optimizer_from_config(c["optimizer"])};
  std::map<std::string, LossArg> loss;
  std::map<std::string, double> weights;
  std::map<std::string, std::vector<MetricArg>> metrics, weighted;
  for (std::size_t i = 0; i < outs.size(); ++i) {
    const Json& out = outs[i];
    const std::string& name = output_names()[i];
    if (!out.is_object()) fail("an output entry is not an object");
    if (out.contains("loss") && !out["loss"].is_null()) loss.emplace(name, LossArg(losses::loss_from_config(out["loss"])));
    if (out.contains("loss_weight") && out["loss_weight"].is_number()) weights[name] = out["loss_weight"].get<double>();
    for (const auto& m : out.value("metrics", Json::array())) metrics[name].push_back(metric_arg_from(m));
    for (const auto& m : out.value("weighted_metrics", Json::array())) weighted[name].push_back(metric_arg_from(m));
  }
  o.loss = LossConfig(loss);
  o.loss_weights = LossWeights(weights);
  o.metrics = MetricsConfig(metrics);
  o.weighted_metrics = MetricsConfig(weighted);
  compile(o);
  if (c.contains("shuffle_seed") && c["shuffle_seed"].is_string()) {
    const std::string seed = c["shuffle_seed"].get<std::string>();
    std::uint64_t value = 0;
    if (seed.empty()) fail("shuffle_seed is empty");
    for (char ch : seed) {
      if (ch < '0' || ch > '9') fail("shuffle_seed is not a number");
      auto d = static_cast<std::uint64_t>(ch - '0');
      if (value > (UINT64_MAX - d) / 10) fail("shuffle_seed is out of range");
      value = value * 10 + d;
    }
    layer().train_state()->shuffle_seed = value;
  }
}

}  // namespace lamina
