// The `.keras` flavour tf.keras 2.13-2.15 wrote, built here with Python's zipfile and h5py
// (independently of Lamina's writer): "module": "keras.layers" objects with string dtypes,
// InputLayer's `batch_input_shape`, legacy inbound nodes in functional configs, weights under
// `_layer_checkpoint_dependencies/...`, and the optimizer's variables without the learning
// rate ([iteration, m, v, m, v, ...]). The reference outputs are computed in NumPy by the
// same script from Keras's LSTM equations.
#include <fmt/format.h>

#include "keras_test_util.hpp"
#include "lamina/io/keras.hpp"
#include "lamina/train/optimizer.hpp"

namespace lm = lamina;
using lamina::iotest::TempDir;

namespace {

// argv: output path, "sequential" or "functional". Prints {"x": ids, "y": predictions,
// "slots": [every optimizer dataset after the iteration, flattened]}.
const char* kWriteTfKeras215 = R"(
import io, json, sys, zipfile
import h5py, numpy as np

path, kind = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(7)
vocab, dim, units = 6, 3, 2
emb = rng.normal(0, 0.5, (vocab, dim)).astype("float32")
W = rng.normal(0, 0.5, (dim, 4 * units)).astype("float32")
U = rng.normal(0, 0.5, (units, 4 * units)).astype("float32")
b = rng.normal(0, 0.5, (4 * units,)).astype("float32")
Wd = rng.normal(0, 0.5, (units, 1)).astype("float32")
bd = rng.normal(0, 0.5, (1,)).astype("float32")

def init(cls, **cfg):
    return {"module": "keras.initializers", "class_name": cls, "config": cfg, "registered_name": None}

def layer(cls, cfg, build_shape=None):
    obj = {"module": "keras.layers", "class_name": cls, "config": cfg, "registered_name": None}
    if build_shape is not None:
        obj["build_config"] = {"input_shape": build_shape}
    return obj

input_cfg = {"batch_input_shape": [None, None], "dtype": "int32", "sparse": False, "ragged": False,
             "name": "tokens"}
embedding = layer("Embedding", {"name": "embedding", "trainable": True, "dtype": "float32",
                                "batch_input_shape": [None, None], "input_dim": vocab, "output_dim": dim,
                                "embeddings_initializer": init("RandomUniform", minval=-0.05, maxval=0.05, seed=None),
                                "embeddings_regularizer": None, "activity_regularizer": None,
                                "embeddings_constraint": None, "mask_zero": True, "input_length": None},
                  [None, None])
lstm = layer("LSTM", {"name": "lstm", "trainable": True, "dtype": "float32", "return_sequences": False,
                      "return_state": False, "go_backwards": False, "stateful": False, "unroll": False,
                      "time_major": False, "units": units, "activation": "tanh", "recurrent_activation": "sigmoid",
                      "use_bias": True, "kernel_initializer": init("GlorotUniform", seed=None),
                      "recurrent_initializer": init("Orthogonal", gain=1.0, seed=None),
                      "bias_initializer": init("Zeros"), "unit_forget_bias": True, "kernel_regularizer": None,
                      "recurrent_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
                      "kernel_constraint": None, "recurrent_constraint": None, "bias_constraint": None,
                      "dropout": 0.0, "recurrent_dropout": 0.0, "implementation": 2},
             [None, None, dim])
dense = layer("Dense", {"name": "dense", "trainable": True, "dtype": "float32", "units": 1, "activation": "sigmoid",
                        "use_bias": True, "kernel_initializer": init("GlorotUniform", seed=None),
                        "bias_initializer": init("Zeros"), "kernel_regularizer": None, "bias_regularizer": None,
                        "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None},
              [None, units])
if kind == "sequential":
    model = {"module": "keras", "class_name": "Sequential",
             "config": {"name": "sequential", "layers": [
                 {"module": "keras.layers", "class_name": "InputLayer", "config": input_cfg, "registered_name": None},
                 embedding, lstm, dense]},
             "registered_name": None, "build_config": {"input_shape": [None, None]}}
else:
    inp = {"module": "keras.layers", "class_name": "InputLayer", "config": input_cfg, "registered_name": None,
           "name": "tokens", "inbound_nodes": []}
    for obj, src in ((embedding, "tokens"), (lstm, "embedding"), (dense, "lstm")):
        obj["name"] = obj["config"]["name"]
        obj["inbound_nodes"] = [[[src, 0, 0, {}]]]
    model = {"module": "keras.src.engine.functional", "class_name": "Functional",
             "config": {"name": "model", "trainable": True, "layers": [inp, embedding, lstm, dense],
                        "input_layers": [["tokens", 0, 0]], "output_layers": [["dense", 0, 0]]},
             "registered_name": "Functional", "build_config": {"input_shape": [None, None]}}
model["compile_config"] = {
    "optimizer": {"module": "keras.optimizers", "class_name": "Adam",
                  "config": {"name": "Adam", "weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                             "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
                             "ema_overwrite_frequency": None, "jit_compile": False, "is_legacy_optimizer": False,
                             "learning_rate": 0.009999999776482582, "beta_1": 0.9, "beta_2": 0.999,
                             "epsilon": 1e-07, "amsgrad": False},
                  "registered_name": None},
    "loss": "binary_crossentropy", "metrics": ["accuracy"], "loss_weights": None, "weighted_metrics": None,
    "run_eagerly": None, "steps_per_execution": None, "jit_compile": None}

weights = io.BytesIO()
slots = []
with h5py.File(weights, "w") as f:
    f.create_group("vars")
    root = "_layer_checkpoint_dependencies"
    f.create_group(root + "/input_layer/vars")
    for group, values in (("embedding", [emb]), ("lstm/cell", [W, U, b]), ("dense", [Wd, bd])):
        g = f.create_group(f"{root}/{group}/vars")
        for i, v in enumerate(values):
            g.create_dataset(str(i), data=v)
    f.create_group(root + "/lstm/vars")
    opt = f.create_group("optimizer/vars")
    opt.create_dataset("0", data=np.int64(7))
    for i, v in enumerate([emb, W, U, b, Wd, bd]):
        for k in range(2):  # m then v, per variable
            s = rng.uniform(0.001, 0.01, v.shape).astype("float32")
            opt.create_dataset(str(1 + 2 * i + k), data=s)
            slots.append(s.reshape(-1).tolist())
with zipfile.ZipFile(path, "w") as z:
    z.writestr("metadata.json", json.dumps({"keras_version": "2.15.0", "date_saved": "2024-01-09@10:11:12"}))
    z.writestr("config.json", json.dumps(model))
    z.writestr("model.weights.h5", weights.getvalue())

def sigmoid(v):
    return 1 / (1 + np.exp(-v))

x = np.array([[1, 2, 3, 0, 0], [4, 0, 0, 0, 0], [5, 1, 2, 3, 4]])
y = []
for row in x:
    h = np.zeros(units); c = np.zeros(units)
    for t in row:
        if t == 0:
            continue  # masked: the state carries over
        z = emb[t].astype("float64") @ W + h @ U + b
        i, fg, g, o = sigmoid(z[:units]), sigmoid(z[units:2 * units]), np.tanh(z[2 * units:3 * units]), sigmoid(z[3 * units:])
        c = fg * c + i * g
        h = o * np.tanh(c)
    y.append(float(sigmoid(h @ Wd + bd)[0]))
print(json.dumps({"x": x.tolist(), "y": y, "slots": slots}))
)";

void expect_tf215_model_loads(const std::string& kind) {
  if (!lamina::kerastest::have_h5py()) GTEST_SKIP() << "python3-h5py is not installed";
  TempDir dir;
  const std::string path = dir.file("model.keras");
  lm::Json ref = lm::Json::parse(lamina::kerastest::run_python(kWriteTfKeras215, {path, kind}));
  auto model = lm::load_model(path);

  auto ids = ref["x"].get<std::vector<std::vector<std::int32_t>>>();
  std::vector<std::int32_t> flat;
  for (const auto& row : ids) flat.insert(flat.end(), row.begin(), row.end());
  lm::Tensor x = lm::tensor(flat, lm::Shape({3, 5}));
  auto y = model(x).to_vector<double>();
  auto want = ref["y"].get<std::vector<double>>();
  ASSERT_EQ(y.size(), want.size());
  for (std::size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], want[i], 1e-5) << kind << " sample " << i;

  // The compile settings and the optimizer state: iteration 7, the learning rate from the
  // config, and each stored (m, v) in a slot of the matching variable.
  ASSERT_TRUE(model.compiled());
  auto opt = model.optimizer();
  ASSERT_TRUE(opt->built());
  EXPECT_EQ(opt->iterations(), 7);
  EXPECT_NEAR(opt->learning_rate(), 0.01, 1e-9);
  auto slots = opt->variables();
  for (const auto& s : ref["slots"]) {
    auto values = s.get<std::vector<float>>();
    bool found = false;
    for (const auto& v : slots) found = found || v.value().to_vector<float>() == values;
    EXPECT_TRUE(found) << kind << ": a stored slot of " << values.size() << " values is not in the optimizer";
  }
  // And it keeps training from there.
  lm::Tensor labels = lm::tensor({{1.0f}, {0.0f}, {1.0f}});
  model.train_on_batch(x, labels);
  EXPECT_EQ(opt->iterations(), 8);
}

}  // namespace

TEST(KerasTf215, SequentialKerasFileLoadsWithWeightsAndOptimizerState) { expect_tf215_model_loads("sequential"); }

TEST(KerasTf215, FunctionalKerasFileWithLegacyInboundNodesLoads) { expect_tf215_model_loads("functional"); }
