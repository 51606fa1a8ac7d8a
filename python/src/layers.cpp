// lamina.layers: every built-in layer under its Keras name. A layer's Keras arguments (the
// positional ones in Keras's order, then keywords) become the layer's config, which Lamina's
// layer_from_config reads with the layer's defaults (Keras's): so the keyword names are
// exactly Keras's, and an argument Lamina does not know is a lamina.ValueError naming it.
#include "common.hpp"
#include "py_layer.hpp"

namespace lamina::python {

namespace {

using namespace lamina::layers;

// Keras arguments Lamina's configs do not hold, handled here.
Json layer_config(const std::string& type, const std::vector<const char*>& positional, py::args args, py::kwargs kwargs,
                  py::object& input_shape, std::optional<bool>& trainable) {
  if (args.size() > positional.size())
    throw ValueError({.op = type,
                      .problem = "too many positional arguments",
                      .expected = std::to_string(positional.size()) + " positional arguments",
                      .found = std::to_string(args.size()),
                      .hint = "pass the others by keyword, as in Keras"});
  Json config = Json::object();
  auto put = [&](const std::string& key, py::handle value) {
    if (value.is_none()) return;  // Keras's None: the default
    if (key == "input_shape") {
      input_shape = py::reinterpret_borrow<py::object>(value);
    } else if (key == "batch_input_shape") {
      py::list dims;
      bool first = true;
      for (auto d : value) {
        if (!first) dims.append(d);
        first = false;
      }
      input_shape = py::tuple(dims);
    } else if (key == "trainable") {
      trainable = value.cast<bool>();
    } else if (key == "dtype") {
      if (parse_dtype(value) != Float32)
        throw DTypeError({.op = type,
                          .problem = "layers compute in float32",
                          .expected = "dtype=\"float32\"",
                          .found = py::str(value).cast<std::string>(),
                          .hint = "cast the inputs instead"});
    } else if (py::isinstance<Layer>(value)) {  // Bidirectional's and TimeDistributed's layer
      config[key] = as_layer(value)->get_config();
    } else {
      config[key] = to_json(value);
    }
  };
  for (std::size_t i = 0; i < args.size(); ++i) put(positional[i], args[i]);
  for (auto item : kwargs) put(item.first.cast<std::string>(), item.second);
  config["type"] = type;
  return config;
}

template <class L>
void bind_layer(py::module_& m, const char* name, std::vector<const char*> positional, const char* doc = "") {
  py::class_<L, Layer, std::shared_ptr<L>>(m, name, py::dynamic_attr(), doc)
      .def(py::init([name, positional](py::args args, py::kwargs kwargs) {
        py::object input_shape = py::none();
        std::optional<bool> trainable;
        Json config = layer_config(name, positional, args, kwargs, input_shape, trainable);
        LayerRef layer = layer_from_config(config);
        if (trainable) layer->set_trainable(*trainable);
        auto typed = std::dynamic_pointer_cast<L>(layer.ptr());
        if (!typed) throw std::logic_error(std::string("layer_from_config gave another type for ") + name);
        if (!input_shape.is_none()) pending_input_shapes()[typed.get()] = parse_shape(input_shape);
        return typed;
      }));
}

py::object call_layer(py::object self, py::args args, py::kwargs kwargs) {
  LayerRef layer = as_layer(self);
  CallOptions options;
  py::list inputs;
  for (std::size_t i = 0; i < args.size(); ++i) {
    py::handle a = args[i];
    if (i == 0 && (py::isinstance<py::list>(a) || py::isinstance<py::tuple>(a))) {
      for (auto x : a) inputs.append(x);
    } else {
      inputs.append(a);
    }
  }
  for (auto item : kwargs) {
    std::string key = item.first.cast<std::string>();
    py::handle v = item.second;
    if (key == "inputs") {
      if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) {
        for (auto x : v) inputs.append(x);
      } else {
        inputs.append(v);
      }
    } else if (key == "mask") {
      if (!v.is_none()) options.mask = to_tensor(v);
    } else if (key == "training") {
      if (!v.is_none()) options.training = v.cast<bool>();
    } else if (key == "initial_state") {
      if (!v.is_none()) options.initial_state = to_tensor_list(v);
    } else if (key == "value" || key == "key" || key == "query") {  // attention layers' keywords
      inputs.append(v);
    } else {
      throw ValueError({.op = layer->name(),
                        .problem = "unknown argument to the layer call: " + key,
                        .expected = "inputs, mask, training, initial_state",
                        .found = key,
                        .hint = "see the layer's call signature in Keras"});
    }
  }
  TensorList xs;
  for (auto x : inputs) xs.push_back(to_tensor(x));
  TensorList outs;
  {
    py::gil_scoped_release release;  // Python Lambdas and layers take it back
    outs = (*layer)(xs, options);
  }
  if (outs.size() == 1) return py::cast(outs[0]);
  return py::cast(outs);
}

py::list numpy_list(const std::vector<Variable>& vs) {
  py::list out;
  for (const auto& v : vs) out.append(to_numpy(v.value()));
  return out;
}

}  // namespace

std::map<const Layer*, Shape>& pending_input_shapes() {
  static std::map<const Layer*, Shape> shapes;
  return shapes;
}

void init_layers(py::module_& root) {
  py::module_ m = root.def_submodule("layers", "keras.layers");
  py::class_<Layer, std::shared_ptr<Layer>> base(m, "Layer", py::dynamic_attr(),
                                                 "Base of every layer; subclass it for Python layers (build, call).");
  base.def(py::init([](const std::string& type, py::object name) {
             return std::static_pointer_cast<Layer>(
                 std::make_shared<PyLayer>(type, name.is_none() ? "" : name.cast<std::string>()));
           }),
           py::arg("_type"), py::arg("name") = py::none());
  base.def("__call__", &call_layer);
  base.def_property_readonly("name", &Layer::name);
  base.def_property_readonly("type", &Layer::type);
  base.def_property_readonly("built", &Layer::built);
  base.def_property("trainable", &Layer::trainable, &Layer::set_trainable);
  base.def_property_readonly("weights", &Layer::weights);
  base.def_property_readonly("trainable_weights", &Layer::trainable_weights);
  base.def_property_readonly("non_trainable_weights", &Layer::non_trainable_weights);
  base.def_property_readonly("variables", &Layer::weights);
  base.def("count_params", &Layer::count_params);
  base.def("get_weights", [](const Layer& l) { return numpy_list(l.weights()); });
  base.def("set_weights", [](const Layer& l, py::list values) {
    auto ws = l.weights();
    if (py::len(values) != ws.size())
      throw ValueError({.op = l.name(),
                        .problem = "set_weights got the wrong number of arrays",
                        .expected = std::to_string(ws.size()),
                        .found = std::to_string(py::len(values)),
                        .hint = "pass one array per weight, in the order of get_weights()"});
    for (std::size_t i = 0; i < ws.size(); ++i) ws[i].assign(to_tensor(values[i], ws[i].dtype()));
  });
  base.def("__repr__", [](const Layer& l) { return "<" + l.type() + " name=" + l.name() + ">"; });

  bind_layer<ActivationLayer>(m, "Activation", {"activation"});
  bind_layer<AddLayer>(m, "Add", {});
  bind_layer<AttentionLayer>(m, "Attention", {"use_scale", "score_mode"});
  bind_layer<AverageLayer>(m, "Average", {});
  bind_layer<AveragePooling1DLayer>(m, "AveragePooling1D", {"pool_size", "strides", "padding", "data_format"});
  bind_layer<BatchNormalizationLayer>(m, "BatchNormalization", {"axis", "momentum", "epsilon"});
  // The wrappers wrap the layer object given (as in C++), not a copy made from its config.
  py::class_<BidirectionalLayer, Layer, std::shared_ptr<BidirectionalLayer>>(m, "Bidirectional", py::dynamic_attr())
      .def(py::init([](py::object layer, std::string merge_mode, py::object weights, py::object backward_layer,
                       py::object name) {
             auto recurrent = [](py::handle obj) {
               auto rnn = std::dynamic_pointer_cast<RNNLayer>(as_layer(obj).ptr());
               if (!rnn)
                 throw DTypeError({.op = "Bidirectional",
                                   .problem = "wraps a recurrent layer",
                                   .expected = "LSTM, GRU or SimpleRNN",
                                   .found = as_layer(obj)->type(),
                                   .hint = "Bidirectional(LSTM(64))"});
               return LayerHandle<RNNLayer>(rnn);
             };
             BidirectionalOptions o{.merge_mode = merge_mode};
             if (!backward_layer.is_none()) o.backward_layer = recurrent(backward_layer);
             if (!name.is_none()) o.name = name.cast<std::string>();
             return Bidirectional(recurrent(layer), o).ptr();
           }),
           py::arg("layer"), py::arg("merge_mode") = "concat", py::arg("weights") = py::none(),
           py::arg("backward_layer") = py::none(), py::arg("name") = py::none());
  bind_layer<ConcatenateLayer>(m, "Concatenate", {"axis"});
  bind_layer<Conv1DLayer>(m, "Conv1D", {"filters", "kernel_size", "strides", "padding"});
  bind_layer<Cropping1DLayer>(m, "Cropping1D", {"cropping"});
  bind_layer<DenseLayer>(m, "Dense", {"units", "activation"});
  bind_layer<DropoutLayer>(m, "Dropout", {"rate", "noise_shape", "seed"});
  bind_layer<EmbeddingLayer>(m, "Embedding", {"input_dim", "output_dim"});
  bind_layer<FlattenLayer>(m, "Flatten", {"data_format"});
  bind_layer<GaussianNoiseLayer>(m, "GaussianNoise", {"stddev", "seed"});
  bind_layer<GlobalAveragePooling1DLayer>(m, "GlobalAveragePooling1D", {"data_format"});
  bind_layer<GlobalMaxPooling1DLayer>(m, "GlobalMaxPooling1D", {"data_format"});
  bind_layer<IdentityLayer>(m, "Identity", {});
  bind_layer<LayerNormalizationLayer>(m, "LayerNormalization", {"axis", "epsilon"});
  bind_layer<MaskingLayer>(m, "Masking", {"mask_value"});
  bind_layer<MaxPooling1DLayer>(m, "MaxPooling1D", {"pool_size", "strides", "padding", "data_format"});
  bind_layer<MaximumLayer>(m, "Maximum", {});
  bind_layer<MinimumLayer>(m, "Minimum", {});
  bind_layer<MultiHeadAttentionLayer>(m, "MultiHeadAttention", {"num_heads", "key_dim", "value_dim", "dropout"});
  bind_layer<MultiplyLayer>(m, "Multiply", {});
  bind_layer<PermuteLayer>(m, "Permute", {"dims"});
  bind_layer<RepeatVectorLayer>(m, "RepeatVector", {"n"});
  bind_layer<ReshapeLayer>(m, "Reshape", {"target_shape"});
  py::class_<RNNLayer, Layer, std::shared_ptr<RNNLayer>>(m, "RNN", py::dynamic_attr(), "Base of the recurrent layers");
  bind_layer<SimpleRNNLayer>(m, "SimpleRNN", {"units", "activation"});
  bind_layer<LSTMLayer>(m, "LSTM", {"units", "activation", "recurrent_activation"});
  bind_layer<GRULayer>(m, "GRU", {"units", "activation", "recurrent_activation"});
  bind_layer<SpatialDropout1DLayer>(m, "SpatialDropout1D", {"rate", "seed"});
  bind_layer<SubtractLayer>(m, "Subtract", {});
  py::class_<TimeDistributedLayer, Layer, std::shared_ptr<TimeDistributedLayer>>(m, "TimeDistributed",
                                                                                 py::dynamic_attr())
      .def(py::init([](py::object layer, py::object name) {
             return TimeDistributed(as_layer(layer), name.is_none() ? "" : name.cast<std::string>()).ptr();
           }),
           py::arg("layer"), py::arg("name") = py::none());
  bind_layer<UpSampling1DLayer>(m, "UpSampling1D", {"size"});
  bind_layer<ZeroPadding1DLayer>(m, "ZeroPadding1D", {"padding"});

  m.def("serialize", [](py::object layer) { return from_json(as_layer(layer)->get_config()); });
  m.def("deserialize", [](py::object config) { return layer_from_config(to_json(config)).ptr(); });

  root.def(
      "Input",
      [](py::object shape, py::object dtype, py::object name, py::object batch_size) {
        return Input(parse_shape(shape), parse_dtype(dtype).value_or(Float32),
                     name.is_none() ? "" : name.cast<std::string>());
      },
      py::arg("shape") = py::none(), py::arg("dtype") = py::none(), py::arg("name") = py::none(),
      py::arg("batch_size") = py::none(), "A symbolic model input; shape excludes the batch dimension (Keras).");
}

}  // namespace lamina::python
