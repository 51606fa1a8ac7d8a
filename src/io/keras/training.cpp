// Compile settings and optimizer state between Keras and Lamina (training.hpp).
#include "io/keras/training.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

#include "io/keras/model.hpp"
#include "io/keras/values.hpp"
#include "lamina/core/error.hpp"
#include "lamina/train/losses.hpp"
#include "lamina/train/optimizer.hpp"

namespace lamina::io::keras {

namespace {

void note(KerasNotes* notes, const std::string& text) {
  if (notes) notes->push_back(text);
}

// A Keras optimizer config as Lamina's optimizer_from_config reads it: Lamina's fields,
// taken from the file where present; Keras-only fields must hold their "off" values.
Json translate_optimizer(const Json& serialized, bool legacy) {
  if (serialized.is_string()) return optimizers::serialize(*optimizers::get(serialized.get<std::string>()));
  if (!serialized.is_object() || !serialized.contains("class_name") || !serialized["class_name"].is_string())
    throw ValueError({.problem = "the optimizer is not a serialized Keras optimizer",
                      .expected = R"({"class_name": "Adam", "config": {...}})",
                      .found = short_json(serialized)});
  const std::string cls = serialized["class_name"].get<std::string>();
  Json keras = serialized.value("config", Json::object());
  if (!keras.is_object()) keras = Json::object();
  if (keras.contains("lr") && !keras.contains("learning_rate")) keras["learning_rate"] = keras["lr"];  // Keras 2
  keras.erase("lr");
  auto base = optimizers::get(cls);
  Json lamina = base->get_config();
  for (auto& [key, value] : lamina.items())
    if (keras.contains(key) && !(key == "name" && !keras[key].is_string())) value = keras[key];
  static const std::set<std::string> harmless = {"jit_compile", "is_legacy_optimizer"};
  for (const auto& [key, value] : keras.items()) {
    if (lamina.contains(key) || harmless.count(key)) continue;
    const bool off = value.is_null() || (value.is_boolean() && !value.get<bool>()) ||
                     (value.is_number() && value.get<double>() == 0.0) || (key == "ema_momentum");
    if (!off)
      throw ValueError({.problem = fmt::format("the {} optimizer sets '{}', which Lamina's optimizers do not have", cls, key),
                        .expected = legacy ? "Keras 2 optimizer settings that Keras 3 kept" : "Keras 3's optimizer options",
                        .found = fmt::format("{} = {}", key, short_json(value)),
                        .hint = key == "decay" ? "Keras 2's `decay` is a learning-rate schedule in Keras 3 and Lamina "
                                                 "(InverseTimeDecay); compile the model again with one"
                                               : "compile the model again in Lamina"});
  }
  return Json{{"module", "keras.optimizers"}, {"class_name", cls}, {"config", lamina}, {"registered_name", nullptr}};
}

// A Keras loss (a name, or a serialized loss object) as a Lamina loss.
LossArg translate_loss(const Json& j) {
  if (j.is_string()) return LossArg(j.get<std::string>());
  if (j.is_object() && j.contains("class_name") && j["class_name"].is_string()) {
    const std::string cls = j["class_name"].get<std::string>();
    Json config = losses::get(cls)->get_config();
    const Json keras = j.value("config", Json::object());
    if (keras.is_object())
      for (auto& [key, value] : config.items())
        if (key != "type" && keras.contains(key) && !keras[key].is_null()) value = keras[key];
    return LossArg(losses::loss_from_config(config));
  }
  throw ValueError({.problem = "a loss is neither a name nor a serialized loss",
                    .expected = "\"mse\" or {\"class_name\": ..., \"config\": ...}",
                    .found = short_json(j)});
}

std::vector<MetricArg> translate_metrics(const Json& j) {
  std::vector<MetricArg> out;
  if (j.is_null()) return out;
  const Json list = j.is_array() ? j : Json::array({j});
  for (const auto& m : list) {
    if (m.is_string()) out.emplace_back(m.get<std::string>());
    else if (m.is_object() && m.contains("class_name") && m["class_name"].is_string())
      out.emplace_back(keras_snake_case(m["class_name"].get<std::string>()));
    else if (!m.is_null())
      throw ValueError({.problem = "a metric is neither a name nor a serialized metric",
                        .expected = "\"accuracy\"",
                        .found = short_json(m)});
  }
  return out;
}

// Per output: a single value for one output, a list by position, or a dict by output name.
template <class T, class F>
std::map<std::string, T> per_output(const Model& model, const Json& j, F convert, bool single_is_shared) {
  std::map<std::string, T> out;
  const auto& names = model.output_names();
  if (j.is_null()) return out;
  if (j.is_object() && !j.contains("class_name")) {
    for (const auto& [k, v] : j.items()) out.emplace(k, convert(v));
  } else if (j.is_array() && names.size() > 1 && j.size() == names.size() && !single_is_shared) {
    for (std::size_t i = 0; i < names.size(); ++i) out.emplace(names[i], convert(j[i]));
  } else {
    for (const auto& n : names) out.emplace(n, convert(j));
  }
  return out;
}

void compile_with(const Model& model, const Json& optimizer, const Json& loss, const Json& loss_weights,
                  const Json& metrics, const Json& weighted, bool legacy) {
  CompileOptions o{.optimizer = optimizers::optimizer_from_config(translate_optimizer(optimizer, legacy))};
  auto losses = per_output<LossArg>(model, loss, translate_loss, false);
  if (!losses.empty()) o.loss = LossConfig(std::vector<LossArg>());
  std::vector<LossArg> by_position;
  for (const auto& n : model.output_names())
    if (losses.count(n)) by_position.push_back(losses.at(n));
  if (by_position.size() == model.output_names().size()) o.loss = LossConfig(by_position);
  else if (!losses.empty())
    throw ValueError({.problem = "the losses name outputs the model does not have",
                      .expected = fmt::format("outputs {}", fmt::join(model.output_names(), ", ")),
                      .found = short_json(loss)});
  auto weights = per_output<double>(model, loss_weights, [](const Json& v) { return v.is_number() ? v.get<double>() : 1.0; }, false);
  if (!weights.empty()) o.loss_weights = LossWeights(weights);
  // A flat list of metric names applies to every output (as in Lamina and Keras 3).
  auto metric_map = [&](const Json& m) {
    std::map<std::string, std::vector<MetricArg>> out;
    if (m.is_null()) return out;
    const bool nested = m.is_array() && !m.empty() && (m[0].is_array() || m[0].is_null()) &&
                        m.size() == model.output_names().size();
    if (m.is_object()) {
      for (const auto& [k, v] : m.items()) out[k] = translate_metrics(v);
    } else if (nested) {
      for (std::size_t i = 0; i < m.size(); ++i) out[model.output_names()[i]] = translate_metrics(m[i]);
    } else {
      for (const auto& n : model.output_names()) out[n] = translate_metrics(m);
    }
    return out;
  };
  o.metrics = MetricsConfig(metric_map(metrics));
  o.weighted_metrics = MetricsConfig(metric_map(weighted));
  model.compile(o);
}

}  // namespace

void import_compile_config(const Model& model, const Json& c, const ImportContext& ctx, KerasNotes* notes) {
  if (!c.is_object() || !c.contains("optimizer")) return;
  try {
    compile_with(model, c["optimizer"], c.value("loss", Json()), c.value("loss_weights", Json()),
                 c.value("metrics", Json()), c.value("weighted_metrics", Json()), false);
  } catch (const Error& e) {
    note(notes, fmt::format("'{}': the model is not compiled: its compile settings do not translate: {}", ctx.source,
                            e.details().problem));
  }
}

void import_training_config(const Model& model, const Json& c, const ImportContext& ctx, KerasNotes* notes) {
  if (!c.is_object() || !c.contains("optimizer_config")) return;
  try {
    compile_with(model, c["optimizer_config"], c.value("loss", Json()), c.value("loss_weights", Json()),
                 c.value("metrics", Json()), c.value("weighted_metrics", Json()), true);
  } catch (const Error& e) {
    note(notes, fmt::format("'{}': the model is not compiled: its training settings do not translate: {}", ctx.source,
                            e.details().problem));
  }
}

Json export_compile_config(const Model& model) {
  if (!model.compiled()) return nullptr;
  Json lamina = model.get_compile_config();
  auto loss_json = [](const Json& l) -> Json {
    if (l.is_null()) return nullptr;
    Json config = l;
    const std::string type = config.value("type", std::string());
    config.erase("type");
    return Json{{"module", "keras.losses"}, {"class_name", type}, {"config", config}, {"registered_name", nullptr}};
  };
  auto metric_json = [](const Json& m) -> Json {
    if (m.is_string()) return m;
    Json config = m.value("config", Json::object());
    const std::string type = config.value("type", std::string());
    config.erase("type");
    return Json{{"module", "keras.metrics"}, {"class_name", type}, {"config", config}, {"registered_name", nullptr}};
  };
  const Json& outs = lamina["outputs"];
  Json loss, weights, metrics, weighted;
  if (outs.size() == 1) {
    loss = loss_json(outs[0]["loss"]);
    metrics = Json::array();
    for (const auto& m : outs[0]["metrics"]) metrics.push_back(metric_json(m));
    weighted = Json::array();
    for (const auto& m : outs[0]["weighted_metrics"]) weighted.push_back(metric_json(m));
    weights = nullptr;
  } else {
    loss = Json::object(), weights = Json::object(), metrics = Json::object(), weighted = Json::object();
    for (const auto& o : outs) {
      const std::string name = o["name"].get<std::string>();
      loss[name] = loss_json(o["loss"]);
      weights[name] = o["loss_weight"];
      metrics[name] = Json::array();
      for (const auto& m : o["metrics"]) metrics[name].push_back(metric_json(m));
      weighted[name] = Json::array();
      for (const auto& m : o["weighted_metrics"]) weighted[name].push_back(metric_json(m));
    }
  }
  if (weighted.empty()) weighted = nullptr;
  return Json{{"optimizer", lamina["optimizer"]}, {"loss", loss}, {"loss_weights", weights}, {"metrics", metrics},
              {"weighted_metrics", weighted}, {"run_eagerly", false}, {"steps_per_execution", 1},
              {"jit_compile", false}};
}

std::vector<Variable> keras_trainable_order(const Model& model) {
  std::vector<Variable> out;
  walk_keras3_vars(model, "", [&](const std::string&, const std::string&, const std::vector<Variable>& vars) {
    for (const auto& v : vars)
      if (v.trainable()) out.push_back(v);
  });
  return out;
}

std::vector<Variable> keras_optimizer_variables(const Model& model) {
  auto opt = model.optimizer();
  if (!opt) return {};
  // Lamina builds the optimizer for model.trainable_weights() (its own order); Keras builds
  // it for the trainable variables in Keras's order. A twin built in Keras's order names the
  // variables in the order Keras stores them; they are found by name in the real optimizer.
  auto keras_order = keras_trainable_order(model);
  if (!opt->built()) opt->build(model.trainable_weights());
  auto twin = optimizers::optimizer_from_config(optimizers::serialize(*opt));
  twin->build(keras_order);
  std::map<std::string, Variable> by_name;
  for (const auto& v : opt->variables()) by_name.emplace(v.name(), v);
  std::vector<Variable> out;
  for (const auto& v : twin->variables()) {
    auto it = by_name.find(v.name());
    if (it == by_name.end())
      throw ValueError({.problem = fmt::format("optimizer variable '{}' has no counterpart in Keras's order", v.name()),
                        .expected = "an optimizer whose variables are named after the weights",
                        .found = v.name(),
                        .hint = "optimizer state cannot be exported; re-compile before saving"});
    out.push_back(it->second);
  }
  return out;
}

}  // namespace lamina::io::keras
