// Exporting to Keras 3's `.keras`: a model trained in Lamina (Embedding(mask_zero) ->
// Bidirectional(LSTM) -> GRU -> Dense) written and read back predicts identically, and the
// file is laid out as Keras 3 lays it out, checked with h5py and Python's zipfile (not with
// Lamina's own readers).
#include <fmt/format.h>

#include "keras_test_util.hpp"
#include "lamina/io/keras.hpp"

namespace lm = lamina;
using namespace lamina::layers;
using lamina::iotest::TempDir;

namespace {

lm::Model text_model() {
  auto tokens = lm::Input({lm::None}, lm::Int32, "tokens");
  auto x = Embedding(30, 6, {.mask_zero = true})(tokens);
  x = Bidirectional(LSTM(4, {.return_sequences = true}))(x);
  x = GRU(5)(x);
  return lm::Model(tokens, Dense(3, {.activation = "softmax"})(x), "text");
}

// Right-padded, left-padded, a hole, a fully masked row.
lm::Tensor ids() { return lm::tensor({{1, 5, 7, 0, 0}, {0, 0, 4, 9, 11}, {8, 0, 3, 0, 2}, {0, 0, 0, 0, 0}}); }
lm::Tensor labels() { return lm::tensor({0, 1, 2, 1}); }

lm::Model trained_text_model() {
  lm::set_seed(3);
  auto model = text_model();
  model.compile(
      {.optimizer = lm::optimizers::Adam(0.01), .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  model.fit(ids(), labels(), {.batch_size = 2, .epochs = 2, .verbose = 0});
  return model;
}

// Every member of the zip and every object of model.weights.h5, as Python sees them.
lm::Json python_view(const std::string& keras_file) {
  const char* script = R"(
import h5py, io, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
out = {"members": [[i.filename, i.compress_type] for i in z.infolist()],
       "config": json.loads(z.read("config.json")), "metadata": json.loads(z.read("metadata.json")), "h5": {}}
with h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:
    out["root_attrs"] = list(f.attrs.keys())
    def visit(name, obj):
        e = {"kind": "dataset" if isinstance(obj, h5py.Dataset) else "group", "attrs": {}}
        for k in obj.attrs:
            v = obj.attrs[k]
            t = h5py.check_string_dtype(obj.attrs.get_id(k).dtype)
            e["attrs"][k] = {"value": v if isinstance(v, str) else repr(v),
                             "vlen_utf8": t is not None and t.length is None and t.encoding == "utf-8"}
        if isinstance(obj, h5py.Dataset):
            e["shape"] = list(obj.shape)
            e["dtype"] = str(obj.dtype)
            e["contiguous"] = obj.chunks is None and obj.compression is None
        out["h5"][name] = e
    f.visititems(visit)
print(json.dumps(out))
)";
  return lm::Json::parse(lamina::kerastest::run_python(script, {keras_file}));
}

// The name of the model's layer `i` (the InputLayer counted as 0, as in Keras's layers list).
std::string layer_name(const lm::Model& model, std::size_t i) {
  auto layers = model.layers();
  std::size_t offset = layers.size() == 5 ? 0 : 1;
  if (i < offset || i - offset >= layers.size()) return "<no layer " + std::to_string(i) + ">";
  return layers[i - offset]->name();
}

// The wrapped LSTM's name, from the exported config (independent of the weights writer).
std::string lstm_name(const lm::Model& model) {
  for (const auto& l : model.layers())
    if (l->type() == "Bidirectional") return l->get_config().at("layer").at("name").get<std::string>();
  return "<no Bidirectional>";
}

}  // namespace

TEST(KerasExport, TrainedTextModelRoundTripsWithIdenticalOutputs) {
  auto model = trained_text_model();
  TempDir dir;
  const std::string path = dir.file("text.keras");
  model.save(path);
  auto back = lm::load_model(path);
  auto a = model(ids()), b = back(ids());
  EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());
  // Every weight came back bit for bit, by name.
  ASSERT_EQ(model.weights().size(), back.weights().size());
  for (std::size_t i = 0; i < model.weights().size(); ++i)
    EXPECT_EQ(model.weights()[i].value().to_vector<float>(), back.weights()[i].value().to_vector<float>()) << i;
  // The masks are those Keras computes: Embedding(mask_zero) marks the zeros.
  EXPECT_TRUE(back.compiled());
  EXPECT_EQ(back.optimizer()->iterations(), model.optimizer()->iterations());
}

// Keras 3's layout rules: each layer's state under layers/<snake_case(class)>[_n] (the
// InputLayer too, in a functional model), a vars group per object with a "name" attribute
// (variable-length UTF-8, as h5py writes a str), datasets 0..n-1 in the layer's variable order,
// RNN weights under "cell", Bidirectional's under forward_layer/backward_layer, and the
// optimizer's iterations (int64 scalar), learning rate (float32 scalar) and Adam's
// (momentum, velocity) per trainable variable.
TEST(KerasExport, FileLayoutIsKeras3s) {
  auto model = trained_text_model();
  TempDir dir;
  const std::string path = dir.file("text.keras");
  lm::io::save_keras(model, path);
  lm::Json view = python_view(path);

  // Three members, stored uncompressed (compress_type 0), in Keras's order.
  EXPECT_EQ(view["members"], lm::Json::parse(R"([["metadata.json", 0], ["config.json", 0], ["model.weights.h5", 0]])"));
  EXPECT_TRUE(view["metadata"]["keras_version"].get<std::string>().rfind("3.", 0) == 0) << view["metadata"];
  EXPECT_TRUE(view["metadata"].contains("date_saved"));

  // name -> (kind, shape); shapes worked out by hand: Embedding 30x6; LSTM(4) on 6 features:
  // kernel 6x16, recurrent 4x16, bias 16; GRU(5) on 8 (2 x 4) features, reset_after: kernel
  // 8x15, recurrent 5x15, bias 2x15; Dense 5x3 and 3.
  const std::map<std::string, std::vector<std::int64_t>> datasets = {
      {"layers/embedding/vars/0", {30, 6}},
      {"layers/bidirectional/forward_layer/cell/vars/0", {6, 16}},
      {"layers/bidirectional/forward_layer/cell/vars/1", {4, 16}},
      {"layers/bidirectional/forward_layer/cell/vars/2", {16}},
      {"layers/bidirectional/backward_layer/cell/vars/0", {6, 16}},
      {"layers/bidirectional/backward_layer/cell/vars/1", {4, 16}},
      {"layers/bidirectional/backward_layer/cell/vars/2", {16}},
      {"layers/gru/cell/vars/0", {8, 15}},
      {"layers/gru/cell/vars/1", {5, 15}},
      {"layers/gru/cell/vars/2", {2, 15}},
      {"layers/dense/vars/0", {5, 3}},
      {"layers/dense/vars/1", {3}},
  };
  const std::map<std::string, std::string> vars_groups = {
      {"vars", "text"},
      {"layers/input_layer/vars", "tokens"},
      {"layers/embedding/vars", layer_name(model, 1)},
      {"layers/bidirectional/vars", layer_name(model, 2)},
      // Keras 3 names the directions forward_<wrapped layer> and backward_<wrapped layer>.
      {"layers/bidirectional/forward_layer/vars", "forward_" + lstm_name(model)},
      {"layers/bidirectional/backward_layer/vars", "backward_" + lstm_name(model)},
      {"layers/bidirectional/forward_layer/cell/vars", "lstm_cell"},
      {"layers/bidirectional/backward_layer/cell/vars", "lstm_cell"},
      {"layers/gru/vars", layer_name(model, 3)},
      {"layers/gru/cell/vars", "gru_cell"},
      {"layers/dense/vars", layer_name(model, 4)},
      {"optimizer/vars", model.optimizer()->name()},
  };
  const lm::Json h5 = view.at("h5");
  for (const auto& [name, shape] : datasets) {
    ASSERT_TRUE(h5.contains(name)) << name;
    EXPECT_EQ(h5[name]["kind"], "dataset") << name;
    EXPECT_EQ(h5[name]["shape"].get<std::vector<std::int64_t>>(), shape) << name;
    EXPECT_EQ(h5[name]["dtype"], "float32") << name;
    EXPECT_TRUE(h5[name]["contiguous"].get<bool>()) << name;
    EXPECT_TRUE(h5[name]["attrs"].empty()) << name;
  }
  for (const auto& [name, layer_name] : vars_groups) {
    ASSERT_TRUE(h5.contains(name)) << name;
    EXPECT_EQ(h5[name]["kind"], "group") << name;
    ASSERT_TRUE(h5[name]["attrs"].contains("name")) << name;
    EXPECT_EQ(h5[name]["attrs"]["name"]["value"], layer_name) << name;
    EXPECT_TRUE(h5[name]["attrs"]["name"]["vlen_utf8"].get<bool>()) << name;
  }
  // Optimizer: iterations, learning rate, then 2 slots for each of the 12 trainable weights.
  ASSERT_TRUE(h5.contains("optimizer/vars/0"));
  EXPECT_EQ(h5["optimizer/vars/0"]["dtype"], "int64");
  EXPECT_EQ(h5["optimizer/vars/0"]["shape"], lm::Json::array());
  EXPECT_EQ(h5["optimizer/vars/1"]["dtype"], "float32");
  EXPECT_EQ(h5["optimizer/vars/1"]["shape"], lm::Json::array());
  std::size_t k = 0;
  for (const auto& [name, shape] : datasets) {
    (void)name;
    (void)shape;
    ++k;
  }
  EXPECT_EQ(k, 12u);
  // Slots in Keras's variable order: embedding, forward cell (3), backward cell (3), gru cell (3), dense (2).
  const std::vector<std::string> order = {"layers/embedding/vars/0",
                                          "layers/bidirectional/forward_layer/cell/vars/0",
                                          "layers/bidirectional/forward_layer/cell/vars/1",
                                          "layers/bidirectional/forward_layer/cell/vars/2",
                                          "layers/bidirectional/backward_layer/cell/vars/0",
                                          "layers/bidirectional/backward_layer/cell/vars/1",
                                          "layers/bidirectional/backward_layer/cell/vars/2",
                                          "layers/gru/cell/vars/0",
                                          "layers/gru/cell/vars/1",
                                          "layers/gru/cell/vars/2",
                                          "layers/dense/vars/0",
                                          "layers/dense/vars/1"};
  for (std::size_t i = 0; i < order.size(); ++i)
    for (std::size_t slot = 0; slot < 2; ++slot) {
      const std::string opt = fmt::format("optimizer/vars/{}", 2 + 2 * i + slot);
      ASSERT_TRUE(h5.contains(opt)) << opt;
      EXPECT_EQ(h5[opt]["shape"], h5[order[i]]["shape"]) << opt << " for " << order[i];
    }
  EXPECT_FALSE(h5.contains(fmt::format("optimizer/vars/{}", 2 + 2 * order.size())));
  // Nothing else: every object is one of the above or a parent group of one.
  std::set<std::string> known;
  auto add_parents = [&](std::string p) {
    for (known.insert(p); p.find('/') != std::string::npos;) known.insert(p = p.substr(0, p.rfind('/')));
  };
  for (const auto& [name, shape] : datasets) add_parents(name);
  for (const auto& [name, layer] : vars_groups) add_parents(name);
  for (std::size_t i = 0; i < 2 + 2 * order.size(); ++i) add_parents(fmt::format("optimizer/vars/{}", i));
  for (const auto& [name, entry] : h5.items()) EXPECT_TRUE(known.count(name)) << "unexpected object " << name;
  EXPECT_EQ(known.size(), h5.size());
}

// config.json as Keras 3 serializes a functional model: {module, class_name, config,
// registered_name} objects, InputLayer with batch_shape, keras tensors in inbound_nodes,
// input_layers/output_layers, and the compile_config.
TEST(KerasExport, ConfigJsonIsKeras3s) {
  auto model = trained_text_model();
  TempDir dir;
  const std::string path = dir.file("text.keras");
  lm::io::save_keras(model, path);
  lm::Json config = python_view(path)["config"];
  // Functional is not public API: Keras 3 writes its source module.
  EXPECT_EQ(config["module"], "keras.src.models.functional");
  EXPECT_EQ(config["class_name"], "Functional");
  EXPECT_TRUE(config.contains("registered_name"));
  const auto& c = config["config"];
  EXPECT_EQ(c["name"], "text");
  ASSERT_EQ(c["layers"].size(), 5u);
  const std::vector<std::pair<std::string, std::string>> classes = {{"keras.layers", "InputLayer"},
                                                                    {"keras.layers", "Embedding"},
                                                                    {"keras.layers", "Bidirectional"},
                                                                    {"keras.layers", "GRU"},
                                                                    {"keras.layers", "Dense"}};
  for (std::size_t i = 0; i < classes.size(); ++i) {
    const auto& l = c["layers"][i];
    EXPECT_EQ(l["module"], classes[i].first) << i;
    EXPECT_EQ(l["class_name"], classes[i].second) << i;
    EXPECT_TRUE(l.contains("registered_name")) << i;
    EXPECT_EQ(l["config"]["name"], l["name"]) << i;
  }
  const auto& input = c["layers"][0]["config"];
  EXPECT_EQ(input["batch_shape"], lm::Json::parse("[null, null]"));
  EXPECT_EQ(input["dtype"], "int32");
  EXPECT_EQ(c["layers"][1]["config"]["mask_zero"], true);
  EXPECT_EQ(c["layers"][1]["config"]["input_dim"], 30);
  EXPECT_EQ(c["layers"][1]["config"]["output_dim"], 6);
  const auto& bidi = c["layers"][2]["config"];
  EXPECT_EQ(bidi["merge_mode"], "concat");
  EXPECT_EQ(bidi["layer"]["class_name"], "LSTM");
  EXPECT_EQ(bidi["layer"]["config"]["units"], 4);
  EXPECT_EQ(bidi["layer"]["config"]["return_sequences"], true);
  EXPECT_EQ(c["layers"][3]["config"]["reset_after"], true);
  EXPECT_EQ(c["layers"][4]["config"]["activation"], "softmax");
  // The embedding reads the input layer's tensor 0 of node 0.
  const auto& node = c["layers"][1]["inbound_nodes"][0];
  const auto& history = node["args"][0]["config"]["keras_history"];
  EXPECT_EQ(node["args"][0]["class_name"], "__keras_tensor__");
  EXPECT_EQ(history, lm::Json::array({"tokens", 0, 0}));
  EXPECT_EQ(c["input_layers"], lm::Json::parse(R"([["tokens", 0, 0]])"));
  EXPECT_EQ(c["output_layers"][0][0], c["layers"][4]["name"]);
  const auto& compile = config["compile_config"];
  EXPECT_EQ(compile["optimizer"]["class_name"], "Adam");
  EXPECT_NEAR(compile["optimizer"]["config"]["learning_rate"].get<double>(), 0.01, 1e-8);
  // Keras keeps the loss as it was given: a name, or a serialized loss object.
  const auto& loss = compile["loss"];
  if (loss.is_string())
    EXPECT_EQ(loss, "sparse_categorical_crossentropy");
  else {
    EXPECT_EQ(loss["module"], "keras.losses");
    EXPECT_EQ(loss["class_name"], "SparseCategoricalCrossentropy");
    EXPECT_EQ(loss["config"]["from_logits"], false);
  }
}

// Conv1D and the 1-D poolings go out with Keras's option lists and come back identical.
TEST(KerasExport, Conv1DAndPoolingRoundTrip) {
  lm::set_seed(5);
  auto x = lm::Input({12, 3}, lm::Float32, "signal");
  auto y = Conv1D(4, 3, {.padding = "same", .dilation_rate = 2, .activation = "relu"})(x);
  y = MaxPooling1D(2)(y);
  y = AveragePooling1D(3, {.strides = 1, .padding = "same"})(y);
  y = GlobalAveragePooling1D()(y);
  lm::Model model(x, Dense(2)(y), "conv");
  auto input = lm::random_uniform({2, 12, 3}, {.minval = -1, .maxval = 1});
  TempDir dir;
  model.save(dir.file("conv.keras"));
  auto back = lm::load_model(dir.file("conv.keras"));
  EXPECT_EQ(model(input).to_vector<float>(), back(input).to_vector<float>());
  lm::Json config = python_view(dir.file("conv.keras"))["config"]["config"];
  const auto& conv = config["layers"][1]["config"];
  EXPECT_EQ(conv["kernel_size"], lm::Json::parse("[3]"));
  EXPECT_EQ(conv["dilation_rate"], lm::Json::parse("[2]"));
  EXPECT_EQ(conv["padding"], "same");
  EXPECT_EQ(config["layers"][2]["class_name"], "MaxPooling1D");
  EXPECT_EQ(config["layers"][2]["config"]["pool_size"], lm::Json::parse("[2]"));
  EXPECT_EQ(config["layers"][3]["config"]["strides"], lm::Json::parse("[1]"));
}

// lamina convert's library half: .h5 -> .keras -> Lamina's format -> .h5, outputs unchanged.
TEST(KerasExport, ConvertBetweenEveryFormat) {
  const std::string h5 = lamina::kerastest::sample("dl4j_simple_rnn_tf_keras_2_model.h5");
  TempDir dir;
  lm::io::KerasNotes notes;
  lm::io::convert(h5, dir.file("a.keras"), &notes);
  lm::io::convert(dir.file("a.keras"), dir.file("b.lamina"));
  lm::io::convert(dir.file("b.lamina"), dir.file("c.h5"));
  EXPECT_EQ(lm::io::sniff_model_file(dir.file("a.keras")), lm::io::ModelFileKind::Keras);
  EXPECT_EQ(lm::io::sniff_model_file(dir.file("b.lamina")), lm::io::ModelFileKind::Lamina);
  EXPECT_EQ(lm::io::sniff_model_file(dir.file("c.h5")), lm::io::ModelFileKind::KerasH5);
  auto x = lm::random_uniform({4, 1, 1}, {.minval = -1, .maxval = 1});
  auto want = lm::io::load_any_model(h5)(x).to_vector<float>();
  for (const char* f : {"a.keras", "b.lamina", "c.h5"})
    EXPECT_EQ(lm::io::load_any_model(dir.file(f))(x).to_vector<float>(), want) << f;
}

// A nested model, TimeDistributed, BatchNormalization (trained, so its moving statistics are
// not the initial ones) and the merge layers: written, read back, the same outputs; the
// file as Python reads it has Keras 3's classes and one weight set per layer path.
TEST(KerasExport, NestedModelTimeDistributedBatchNormAndMergeLayersRoundTrip) {
  lm::set_seed(11);
  auto side_in = lm::Input({4}, lm::Float32, "side_in");
  lm::Model inner(side_in, Dense(3, {.activation = "relu", .name = "inner_dense"})(side_in), "inner");
  auto frames = lm::Input({5, 4}, lm::Float32, "frames");
  auto side = lm::Input({4}, lm::Float32, "side");
  auto a = TimeDistributed(Dense(3, {.name = "per_frame"}))(frames);
  a = BatchNormalization({.name = "norm"})(a);
  a = GlobalAveragePooling1D()(a);
  auto b = inner(side);
  auto merged = Concatenate(-1, {.name = "concat"})({Add({.name = "add"})({a, b}), b});
  lm::Model model({frames, side}, Dense(2, {.name = "head"})(merged), "outer");
  model.compile({.optimizer = lm::optimizers::Adam(0.05), .loss = "mse"});
  auto x1 = lm::random_normal({6, 5, 4}, {.seed = 1});
  auto x2 = lm::random_normal({6, 4}, {.seed = 2});
  model.fit(lm::Data(lm::TensorList{x1, x2}), lm::random_normal({6, 2}, {.seed = 3}),
            {.batch_size = 3, .epochs = 2, .verbose = 0});
  auto norm = model.get_layer("norm");
  TempDir dir;
  const std::string path = dir.file("nested.keras");
  model.save(path);
  auto back = lm::load_model(path);
  auto want = model(lm::TensorList{x1, x2})[0].to_vector<float>();
  EXPECT_EQ(back(lm::TensorList{x1, x2})[0].to_vector<float>(), want);
  // The moving statistics moved in training and came back.
  auto mean = back.get_layer("norm")->weights()[2].value().to_vector<float>();
  EXPECT_EQ(mean, norm->weights()[2].value().to_vector<float>());
  EXPECT_NE(mean, std::vector<float>(3, 0.f));

  lm::Json view = python_view(path);
  const lm::Json& layers = view["config"]["config"]["layers"];
  std::map<std::string, std::string> classes;
  for (const auto& l : layers) classes[l["config"]["name"].get<std::string>()] = l["class_name"].get<std::string>();
  EXPECT_EQ(classes["inner"], "Functional");
  EXPECT_EQ(classes["norm"], "BatchNormalization");
  EXPECT_EQ(classes["add"], "Add");
  EXPECT_EQ(classes["concat"], "Concatenate");
  for (const auto& l : layers)
    if (l["class_name"] == "TimeDistributed") {
      EXPECT_EQ(l["config"]["layer"]["class_name"], "Dense");
      EXPECT_EQ(l["config"]["layer"]["config"]["units"], 3);
    }
  // Keras 3's paths (class names in snake case, the nested model's layers below it, the
  // wrapped layer under "layer") and shapes by hand: per-frame Dense 4x3 + 3; BatchNormalization
  // gamma, beta, moving mean, moving variance, 3 each; the inner Dense 4x3 + 3; the head
  // (3 + 3) x 2 + 2.
  std::map<std::string, std::vector<std::int64_t>> datasets;
  for (const auto& [name, e] : view["h5"].items())
    if (e["kind"] == "dataset" && name.rfind("layers/", 0) == 0)  // not optimizer/vars
      datasets[name] = e["shape"].get<std::vector<std::int64_t>>();
  const std::map<std::string, std::vector<std::int64_t>> expected = {
      {"layers/time_distributed/layer/vars/0", {4, 3}}, {"layers/time_distributed/layer/vars/1", {3}},
      {"layers/batch_normalization/vars/0", {3}},       {"layers/batch_normalization/vars/1", {3}},
      {"layers/batch_normalization/vars/2", {3}},       {"layers/batch_normalization/vars/3", {3}},
      {"layers/functional/layers/dense/vars/0", {4, 3}}, {"layers/functional/layers/dense/vars/1", {3}},
      {"layers/dense/vars/0", {6, 2}},                  {"layers/dense/vars/1", {2}}};
  EXPECT_EQ(datasets, expected);
}
