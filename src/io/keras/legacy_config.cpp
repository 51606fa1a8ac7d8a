// Keras 3 serialized configs -> the legacy form of .h5 files (legacy_config.hpp).
#include "io/keras/legacy_config.hpp"

namespace lamina::io::keras {

namespace {

bool is_serialized_object(const Json& j) {
  return j.is_object() && j.contains("class_name") && j.contains("config") && j.contains("module");
}

Json legacy_tensor_ref(const Json& t) {
  Json h = t["config"]["keras_history"];
  return Json::array({h[0], h[1], h[2], Json::object()});
}

// [{"args": [...], "kwargs": {...}}] -> [[[name, node, tensor, kwargs], ...]]
Json legacy_nodes(const Json& nodes) {
  Json out = Json::array();
  for (const auto& n : nodes) {
    Json refs = Json::array();
    std::function<void(const Json&)> flatten = [&](const Json& a) {
      if (a.is_object() && a.value("class_name", std::string()) == "__keras_tensor__") refs.push_back(legacy_tensor_ref(a));
      else if (a.is_array())
        for (const auto& x : a) flatten(x);
    };
    flatten(n.value("args", Json::array()));
    Json kwargs = Json::object();
    const Json k = n.value("kwargs", Json::object());
    if (k.contains("training")) kwargs["training"] = k["training"];
    if (k.contains("initial_state")) {
      Json states = Json::array();
      for (const auto& s : k["initial_state"]) {
        Json h = s["config"]["keras_history"];
        states.push_back(Json::array({h[0], h[1], h[2]}));
      }
      kwargs["initial_state"] = states;
    }
    if (!refs.empty()) refs[0][3] = kwargs;
    out.push_back(refs);
  }
  return out;
}

}  // namespace

Json legacy_value(const Json& j) {
  if (is_serialized_object(j)) {
    const std::string cls = j["class_name"].get<std::string>();
    if (cls == "DTypePolicy") return j["config"].value("name", std::string("float32"));
    return Json{{"class_name", cls}, {"config", legacy_value(j["config"])}};
  }
  if (j.is_object()) {
    Json out = Json::object();
    for (const auto& [k, v] : j.items()) out[k] = legacy_value(v);
    return out;
  }
  if (j.is_array()) {
    Json out = Json::array();
    for (const auto& v : j) out.push_back(legacy_value(v));
    return out;
  }
  return j;
}

Json legacy_model_config(const Json& model) {
  const std::string cls = model["class_name"].get<std::string>();
  Json config = model["config"];
  Json layers = Json::array();
  for (const auto& l : config["layers"]) {
    const std::string lcls = l["class_name"].get<std::string>();
    Json entry;
    if (lcls == "Sequential" || lcls == "Functional") {
      entry = legacy_model_config(l);
    } else {
      entry = Json{{"class_name", lcls}, {"config", legacy_value(l["config"])}};
      Json& c = entry["config"];
      if (lcls == "InputLayer" && c.contains("batch_shape")) {
        c["batch_input_shape"] = c["batch_shape"];
        c.erase("batch_shape");
        c["ragged"] = false;
      }
      if (lcls == "Lambda" && c.contains("function") && c["function"].is_object()) {
        c["function"] = c["function"].value("config", Json());
        c["function_type"] = "function";
        c["module"] = nullptr;
        c["output_shape"] = nullptr;
        c["output_shape_type"] = "raw";
        c["output_shape_module"] = nullptr;
      }
    }
    if (l.contains("name")) entry["name"] = l["name"];
    if (l.contains("inbound_nodes")) entry["inbound_nodes"] = legacy_nodes(l["inbound_nodes"]);
    layers.push_back(entry);
  }
  Json c{{"name", config["name"]}, {"layers", layers}};
  if (config.contains("trainable")) c["trainable"] = config["trainable"];
  if (cls == "Functional") {
    c["input_layers"] = config["input_layers"];
    c["output_layers"] = config["output_layers"];
  }
  return Json{{"class_name", cls}, {"config", c}};
}

}  // namespace lamina::io::keras
