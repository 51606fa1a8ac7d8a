// Optimizers by name and from configs (Keras's optimizers.get / serialize / deserialize).
#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <mutex>

#include "lamina/core/error.hpp"
#include "train/optimizers/builtin.hpp"

namespace lamina::optimizers {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Entry {
  std::string class_name;  // Keras's spelling
  OptimizerFactory from_config;
  std::function<OptimizerRef()> make_default;  // built-ins only
};

// Keyed by the lower-case class name (lookups are case-insensitive, as Keras's deserialize).
std::map<std::string, Entry> builtins() {
  std::map<std::string, Entry> m;
  m["sgd"] = {"SGD", detail::sgd_from_config, [] { return SGD(); }};
  m["adam"] = {"Adam", detail::adam_from_config, [] { return Adam(); }};
  m["adamw"] = {"AdamW", detail::adamw_from_config, [] { return AdamW(); }};
  m["rmsprop"] = {"RMSprop", detail::rmsprop_from_config, [] { return RMSprop(); }};
  m["adagrad"] = {"Adagrad", detail::adagrad_from_config, [] { return Adagrad(); }};
  m["nadam"] = {"Nadam", detail::nadam_from_config, [] { return Nadam(); }};
  m["adamax"] = {"Adamax", detail::adamax_from_config, [] { return Adamax(); }};
  return m;
}

std::mutex& registry_mutex() {
  static std::mutex mu;
  return mu;
}
std::map<std::string, Entry>& registry() {
  static std::map<std::string, Entry> m = builtins();
  return m;
}

std::optional<Entry> lookup(const std::string& class_name) {
  std::lock_guard lock(registry_mutex());
  auto it = registry().find(lower(class_name));
  if (it == registry().end()) return std::nullopt;
  return it->second;
}

std::string known_list() {
  std::string out;
  for (const auto& n : registered_optimizers()) out += (out.empty() ? "" : ", ") + n;
  return out;
}

bool is_builtin(const std::string& class_name) {
  static const auto names = builtins();
  auto it = names.find(lower(class_name));
  return it != names.end() && it->second.class_name == class_name;
}

// A Keras base option Lamina does not implement: absent, or at its off value.
void unsupported(detail::ConfigFields& f, const std::string& field, bool off, const std::string& what) {
  if (!f.consume_if_present(field) || off) return;
  f.fail(field, "asks for " + what + ", which Lamina does not implement", "the option off (as Keras's default)");
}

}  // namespace

detail::BaseConfig detail::read_base_config(ConfigFields& f) {
  std::string name = f.string("name");
  const Json& lr_json = f.at("learning_rate");
  std::optional<LearningRate> lr;
  if (lr_json.is_object())
    lr = LearningRate(schedule_from_config(lr_json));
  else
    lr = LearningRate(f.number("learning_rate"));
  OptimizerOptions o{.weight_decay = f.optional_number("weight_decay"),
                     .clipnorm = f.optional_number("clipnorm"),
                     .clipvalue = f.optional_number("clipvalue"),
                     .global_clipnorm = f.optional_number("global_clipnorm"),
                     .name = name};
  unsupported(f, "use_ema", !f.has("use_ema") || f.at("use_ema") == false, "an exponential moving average (use_ema)");
  if (f.consume_if_present("ema_momentum") && !f.at("ema_momentum").is_number())
    f.fail("ema_momentum", "is not a number", "a number (unused without use_ema)");
  unsupported(f, "ema_overwrite_frequency",
              !f.has("ema_overwrite_frequency") || f.at("ema_overwrite_frequency").is_null(),
              "ema_overwrite_frequency");
  unsupported(f, "loss_scale_factor", !f.has("loss_scale_factor") || f.at("loss_scale_factor").is_null(),
              "loss scaling (loss_scale_factor)");
  unsupported(f, "gradient_accumulation_steps",
              !f.has("gradient_accumulation_steps") || f.at("gradient_accumulation_steps").is_null(),
              "gradient accumulation (gradient_accumulation_steps)");
  return {*lr, o};
}

OptimizerRef get(const std::string& name) {
  std::optional<Entry> e = lookup(name);
  if (!e || !e->make_default)
    throw ValueError({.op = "optimizers::get",
                      .problem = "unknown optimizer '" + name + "'",
                      .expected = "one of " + known_list() + " (case-insensitive)",
                      .found = "'" + name + "'",
                      .hint = "or create one with options, e.g. lm::optimizers::Adam(1e-3)"});
  return e->make_default();
}

Json serialize(const Optimizer& optimizer) {
  bool builtin = is_builtin(optimizer.class_name());
  return {{"module", builtin ? Json("keras.optimizers") : Json(nullptr)},
          {"class_name", optimizer.class_name()},
          {"config", optimizer.get_config()},
          {"registered_name", builtin ? Json(nullptr) : Json(optimizer.class_name())}};
}

OptimizerRef optimizer_from_config(const Json& serialized) {
  if (!serialized.is_object() || !serialized.contains("class_name") || !serialized["class_name"].is_string() ||
      !serialized.contains("config") || !serialized["config"].is_object())
    throw ValueError({.op = "optimizer_from_config",
                      .problem = "an optimizer config needs a string \"class_name\" and an object \"config\"",
                      .expected = R"({"class_name": "Adam", "config": {...}}, as serialize() writes)",
                      .found = serialized.dump().substr(0, 120)});
  std::string name = serialized["class_name"].get<std::string>();
  std::optional<Entry> e = lookup(name);
  if (!e)
    throw ValueError({.op = "optimizer_from_config",
                      .problem = "unknown optimizer class '" + name + "'",
                      .expected = "one of " + known_list() + " (case-insensitive)",
                      .found = "'" + name + "'",
                      .hint = "register custom optimizers with register_optimizer()"});
  try {
    OptimizerRef opt = e->from_config(serialized["config"]);
    if (!opt)
      throw ValueError({.op = "optimizer_from_config",
                        .problem = "the factory registered for optimizer class '" + name + "' returned nothing",
                        .expected = "an optimizer",
                        .found = "a null OptimizerRef"});
    return opt;
  } catch (const Error&) {
    throw;
  } catch (const std::exception& ex) {
    throw ValueError({.op = "optimizer_from_config",
                      .problem = "rebuilding optimizer class '" + name + "' failed: " + ex.what(),
                      .expected = "a config the optimizer accepts",
                      .found = serialized["config"].dump().substr(0, 120)});
  }
}

void register_optimizer(const std::string& class_name, OptimizerFactory factory) {
  if (class_name.empty() || !factory)
    throw ValueError({.op = "register_optimizer",
                      .problem = "an optimizer factory needs a class name and a callable",
                      .expected = "a non-empty name and a non-empty factory",
                      .found = class_name.empty() ? "an empty name" : "an empty factory for '" + class_name + "'"});
  if (builtins().count(lower(class_name)))
    throw ValueError({.op = "register_optimizer",
                      .problem = "'" + class_name + "' is a built-in optimizer and cannot be replaced",
                      .expected = "a class name other than " + known_list(),
                      .found = "'" + class_name + "'",
                      .hint = "give the custom optimizer its own class name"});
  std::lock_guard lock(registry_mutex());
  registry()[lower(class_name)] = Entry{class_name, std::move(factory), nullptr};
}

std::vector<std::string> registered_optimizers() {
  std::lock_guard lock(registry_mutex());
  std::vector<std::string> out;
  for (const auto& [k, e] : registry()) out.push_back(e.class_name);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace lamina::optimizers
