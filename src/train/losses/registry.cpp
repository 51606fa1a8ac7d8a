// Losses by Keras name and alias, and rebuilt from configs.
#include "lamina/layers/registry.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>
#include <map>

#include "lamina/core/error.hpp"
#include "lamina/train/losses.hpp"

namespace lamina::losses {

namespace {

using Factory = std::function<LossRef()>;

const std::map<std::string, Factory>& names() {
  static const std::map<std::string, Factory> table = [] {
    std::map<std::string, Factory> t;
    auto add = [&t](std::initializer_list<const char*> keys, Factory f) {
      for (const char* k : keys) t[k] = f;
    };
    add({"MeanSquaredError", "mean_squared_error", "mse", "MSE"}, [] { return MeanSquaredError(); });
    add({"MeanAbsoluteError", "mean_absolute_error", "mae", "MAE"}, [] { return MeanAbsoluteError(); });
    add({"MeanAbsolutePercentageError", "mean_absolute_percentage_error", "mape", "MAPE"},
        [] { return MeanAbsolutePercentageError(); });
    add({"MeanSquaredLogarithmicError", "mean_squared_logarithmic_error", "msle", "MSLE"},
        [] { return MeanSquaredLogarithmicError(); });
    add({"Huber", "huber", "huber_loss"}, [] { return Huber(); });
    add({"LogCosh", "log_cosh", "logcosh"}, [] { return LogCosh(); });
    add({"Poisson", "poisson"}, [] { return Poisson(); });
    add({"KLDivergence", "kl_divergence", "kld", "KLD", "kullback_leibler_divergence"}, [] { return KLDivergence(); });
    add({"CosineSimilarity", "cosine_similarity"}, [] { return CosineSimilarity(); });
    add({"Hinge", "hinge"}, [] { return Hinge(); });
    add({"SquaredHinge", "squared_hinge"}, [] { return SquaredHinge(); });
    add({"CategoricalHinge", "categorical_hinge"}, [] { return CategoricalHinge(); });
    add({"BinaryCrossentropy", "binary_crossentropy", "bce", "BCE"}, [] { return BinaryCrossentropy(); });
    add({"CategoricalCrossentropy", "categorical_crossentropy"}, [] { return CategoricalCrossentropy(); });
    add({"SparseCategoricalCrossentropy", "sparse_categorical_crossentropy"},
        [] { return SparseCategoricalCrossentropy(); });
    return t;
  }();
  return table;
}

// The Keras class names: the "type" of a config.
const std::vector<std::string>& types() {
  static const std::vector<std::string> t = {"BinaryCrossentropy",
                                             "CategoricalCrossentropy",
                                             "CategoricalHinge",
                                             "CosineSimilarity",
                                             "Hinge",
                                             "Huber",
                                             "KLDivergence",
                                             "LogCosh",
                                             "MeanAbsoluteError",
                                             "MeanAbsolutePercentageError",
                                             "MeanSquaredError",
                                             "MeanSquaredLogarithmicError",
                                             "Poisson",
                                             "SparseCategoricalCrossentropy",
                                             "SquaredHinge"};
  return t;
}

}  // namespace

std::vector<std::string> known_names() {
  std::vector<std::string> out;
  for (const auto& [k, f] : names()) out.push_back(k);
  return out;
}

LossRef get(const std::string& name) {
  if (name == "crossentropy" || name == "ce")
    throw ValueError({.problem = fmt::format("loss '{}' depends on the shapes of y_true and y_pred", name),
                      .expected = "losses::get(name, y_true_spec, y_pred_spec)",
                      .found = fmt::format("'{}' without shapes", name),
                      .hint = "pass the specs, or name the loss: \"binary_crossentropy\", "
                              "\"sparse_categorical_crossentropy\", \"categorical_crossentropy\""});
  auto it = names().find(name);
  if (it == names().end())
    throw ValueError({.problem = fmt::format("unknown loss '{}'", name),
                      .expected = fmt::format("a Keras loss name or alias: {}", fmt::join(known_names(), ", ")),
                      .found = fmt::format("'{}'", name),
                      .hint = "names are case-sensitive, as in Keras (\"mse\", \"sparse_categorical_crossentropy\")"});
  return it->second();
}

LossRef get(const std::string& name, const TensorSpec& y_true, const TensorSpec& y_pred) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower != "crossentropy" && lower != "ce") return get(name);
  const Shape& t = y_true.shape;
  const Shape& p = y_pred.shape;
  std::int64_t t_last = t.rank() > 0 ? t[t.rank() - 1] : None;
  std::int64_t p_last = p.rank() > 0 ? p[p.rank() - 1] : None;
  if (p_last == 1) return BinaryCrossentropy();
  if (t.rank() < p.rank() || (t_last == 1 && p_last > 1)) return SparseCategoricalCrossentropy();
  return CategoricalCrossentropy();
}

LossRef loss_from_config(const Json& config) {
  // Keras's serialised form {"class_name": ..., "config": {...}} is accepted too.
  Json c = config;
  if (c.is_object() && c.contains("class_name") && c.contains("config") && c["config"].is_object() &&
      c["class_name"].is_string()) {
    Json inner = c["config"];
    inner["type"] = c["class_name"];
    c = inner;
  }
  if (!c.is_object() || !c.contains("type") || !c["type"].is_string())
    throw ValueError({.problem = "a loss config must be a JSON object with a string field 'type'",
                      .expected = R"({"type": "MeanSquaredError", "name": ..., "reduction": ..., ...options})",
                      .found = config.dump(-1, ' ', false, Json::error_handler_t::replace).substr(0, 80),
                      .hint = "rebuild from the output of Loss::get_config()"});
  layers::ConfigReader r(c);
  const std::string& type = r.type();
  auto it = names().find(type);
  if (it == names().end() || std::find(types().begin(), types().end(), type) == types().end())
    throw ValueError({.problem = fmt::format("unknown loss type '{}'", type),
                      .expected = fmt::format("one of {}", fmt::join(types(), ", ")),
                      .found = fmt::format("'{}'", type),
                      .hint = "'type' is the Keras class name, as get_config() writes it"});
  r.string("name");
  std::string reduction = r.string("reduction");
  if (reduction != "sum_over_batch_size")
    r.fail("reduction", {.problem = "is not supported",
                         .expected = "\"sum_over_batch_size\" (the only reduction Lamina's losses use)",
                         .hint = "the training loop normalises by the number of valid entries"});
  if (type == "Huber") return Huber(r.number("delta"));
  if (type == "CosineSimilarity") return CosineSimilarity(r.integer("axis"));
  if (type == "BinaryCrossentropy" || type == "CategoricalCrossentropy") {
    CrossentropyOptions o{.from_logits = r.boolean("from_logits"),
                          .label_smoothing = r.number("label_smoothing"),
                          .axis = r.integer("axis")};
    return type == "BinaryCrossentropy" ? BinaryCrossentropy(o) : CategoricalCrossentropy(o);
  }
  if (type == "SparseCategoricalCrossentropy") {
    r.at("ignore_class");  // required, may be null
    return SparseCategoricalCrossentropy({.from_logits = r.boolean("from_logits"),
                                          .ignore_class = r.optional_integer("ignore_class"),
                                          .axis = r.integer("axis")});
  }
  return it->second();
}

}  // namespace lamina::losses
