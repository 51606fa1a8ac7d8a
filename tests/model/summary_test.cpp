// model.summary(): Keras 3's table (as Keras draws it with rich) with a Mask column, verbatim.
// The widths follow Keras's rule: column widths from fixed positions of the line, each padded
// by one space either side, then reduced evenly to fit between the borders.
#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;

namespace {

lm::Model austen_model() {
  auto tokens = lm::Input({lm::None}, lm::Int32, "tokens");
  auto x = Embedding(1000, 16, {.mask_zero = true, .name = "embedding"})(tokens);
  x = Lambda([](const lm::Tensor& t) { return lm::tanh(t); }, {.name = "squash"})(x);
  x = Bidirectional(LSTM(8, {.return_sequences = true}), {.name = "bidirectional"})(x);
  x = GlobalAveragePooling1D({.name = "pool"})(x);
  auto probs = Dense(6, {.activation = "softmax", .name = "probs"})(x);
  return lm::Model(tokens, probs, "austen");
}

}  // namespace

// Embedding 1000*16; BiLSTM 2 * 4*8*(16+8+1); Dense 16*6+6. The pooled output keeps a
// per-sample mask (None,), which is how an all-padding sample drops out of the loss.
TEST(Summary, MaskedEmbeddingLambdaAndBidirectionalLstm) {
  auto model = austen_model();
  EXPECT_EQ(model.summary_string(), R"(Model: "austen"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                        ┃ Output Shape            ┃ Mask             ┃ Param #       ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ tokens (InputLayer)                 │ (None, None)            │ -                │             0 │
├─────────────────────────────────────┼─────────────────────────┼──────────────────┼───────────────┤
│ embedding (Embedding)               │ (None, None, 16)        │ (None, None)     │        16,000 │
├─────────────────────────────────────┼─────────────────────────┼──────────────────┼───────────────┤
│ squash (Lambda)                     │ (None, None, 16)        │ (None, None)     │             0 │
├─────────────────────────────────────┼─────────────────────────┼──────────────────┼───────────────┤
│ bidirectional (Bidirectional)       │ (None, None, 16)        │ (None, None)     │         1,600 │
├─────────────────────────────────────┼─────────────────────────┼──────────────────┼───────────────┤
│ pool (GlobalAveragePooling1D)       │ (None, 16)              │ (None,)          │             0 │
├─────────────────────────────────────┼─────────────────────────┼──────────────────┼───────────────┤
│ probs (Dense)                       │ (None, 6)               │ (None,)          │           102 │
└─────────────────────────────────────┴─────────────────────────┴──────────────────┴───────────────┘
 Total params: 17,702 (69.15 KB)
 Trainable params: 17,702 (69.15 KB)
 Non-trainable params: 0 (0.00 B)
)");
}

// Once compiled and built, the optimizer's variables are counted: Adam's two slots per
// weight, its iteration counter (int64) and its learning rate.
TEST(Summary, CountsOptimizerParamsOnceBuilt) {
  auto model = austen_model();
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
  model.train_on_batch(lm::tensor({{1, 2, 0}}), lm::tensor({3}));
  EXPECT_EQ(model.summary_string(), R"(Model: "austen"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                        ┃ Output Shape            ┃ Mask             ┃ Param #       ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ tokens (InputLayer)                 │ (None, None)            │ -                │             0 │
├─────────────────────────────────────┼─────────────────────────┼──────────────────┼───────────────┤
│ embedding (Embedding)               │ (None, None, 16)        │ (None, None)     │        16,000 │
├─────────────────────────────────────┼─────────────────────────┼──────────────────┼───────────────┤
│ squash (Lambda)                     │ (None, None, 16)        │ (None, None)     │             0 │
├─────────────────────────────────────┼─────────────────────────┼──────────────────┼───────────────┤
│ bidirectional (Bidirectional)       │ (None, None, 16)        │ (None, None)     │         1,600 │
├─────────────────────────────────────┼─────────────────────────┼──────────────────┼───────────────┤
│ pool (GlobalAveragePooling1D)       │ (None, 16)              │ (None,)          │             0 │
├─────────────────────────────────────┼─────────────────────────┼──────────────────┼───────────────┤
│ probs (Dense)                       │ (None, 6)               │ (None,)          │           102 │
└─────────────────────────────────────┴─────────────────────────┴──────────────────┴───────────────┘
 Total params: 53,108 (207.46 KB)
 Trainable params: 17,702 (69.15 KB)
 Non-trainable params: 0 (0.00 B)
 Optimizer params: 35,406 (138.31 KB)
)");
}

TEST(Summary, TwoInputFunctionalModelShowsConnections) {
  auto a = lm::Input({5}, lm::Float32, "a");
  auto b = lm::Input({3}, lm::Float32, "b");
  auto s = Add({.name = "add"})(lm::TensorList{Dense(4, {.name = "da"})(a), Dense(4, {.name = "db"})(b)});
  lm::Model two({a, b}, Dense(1, {.name = "out"})(s), "two_inputs");
  EXPECT_EQ(two.summary_string(), R"(Model: "two_inputs"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)               ┃ Output Shape         ┃ Mask             ┃ Param #    ┃ Connected to                         ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ a (InputLayer)             │ (None, 5)            │ -                │          0 │ -                                    │
├────────────────────────────┼──────────────────────┼──────────────────┼────────────┼──────────────────────────────────────┤
│ b (InputLayer)             │ (None, 3)            │ -                │          0 │ -                                    │
├────────────────────────────┼──────────────────────┼──────────────────┼────────────┼──────────────────────────────────────┤
│ da (Dense)                 │ (None, 4)            │ -                │         24 │ a[0][0]                              │
├────────────────────────────┼──────────────────────┼──────────────────┼────────────┼──────────────────────────────────────┤
│ db (Dense)                 │ (None, 4)            │ -                │         16 │ b[0][0]                              │
├────────────────────────────┼──────────────────────┼──────────────────┼────────────┼──────────────────────────────────────┤
│ add (Add)                  │ (None, 4)            │ -                │          0 │ da[0][0], db[0][0]                   │
├────────────────────────────┼──────────────────────┼──────────────────┼────────────┼──────────────────────────────────────┤
│ out (Dense)                │ (None, 1)            │ -                │          5 │ add[0][0]                            │
└────────────────────────────┴──────────────────────┴──────────────────┴────────────┴──────────────────────────────────────┘
 Total params: 45 (180.00 B)
 Trainable params: 45 (180.00 B)
 Non-trainable params: 0 (0.00 B)
)");
}

TEST(Summary, SequentialListsItsLayers) {
  lm::Sequential seq({lm::Input({lm::None}, lm::Int32), Embedding(50, 4, {.mask_zero = true, .name = "emb"}),
                      LSTM(3, {.name = "lstm"})},
                     "seq");
  EXPECT_EQ(seq.summary_string(), R"(Model: "seq"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                        ┃ Output Shape            ┃ Mask             ┃ Param #       ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ emb (Embedding)                     │ (None, None, 4)         │ (None, None)     │           200 │
├─────────────────────────────────────┼─────────────────────────┼──────────────────┼───────────────┤
│ lstm (LSTM)                         │ (None, 3)               │ -                │            96 │
└─────────────────────────────────────┴─────────────────────────┴──────────────────┴───────────────┘
 Total params: 296 (1.16 KB)
 Trainable params: 296 (1.16 KB)
 Non-trainable params: 0 (0.00 B)
)");
}

TEST(Summary, UnbuiltSequentialShowsUnknownShapes) {
  lm::Sequential seq({Dense(3, {.name = "d"})}, "lazy");
  auto text = seq.summary_string();
  EXPECT_THAT(text, ::testing::HasSubstr("d (Dense)"));
  EXPECT_THAT(text, ::testing::HasSubstr("0 (unbuilt)"));
}
