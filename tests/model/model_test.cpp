// Functional Model and Sequential: graphs, several inputs/outputs, nesting, masks, weights.
#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;
using ::testing::HasSubstr;

namespace {

// A Dense layer with known weights: kernel k (in x out, row-major), bias b.
void set_dense(const lm::LayerRef& layer, std::vector<float> k, std::vector<float> b) {
  auto ws = layer->weights();
  ws[0].assign(lm::tensor(k, ws[0].shape()));
  ws[1].assign(lm::tensor(b, ws[1].shape()));
}

}  // namespace

TEST(Model, RunsTheGraphOnConcreteInputs) {
  auto in = lm::Input({2}, lm::Float32, "x");
  auto dense = Dense(2, {.name = "d"});
  auto out = dense(in) * 2.f + 1.f;  // ops between layers are steps of the graph
  lm::Model model(in, out, "m");
  set_dense(dense, {1, 2, 3, 4}, {0.5f, -0.5f});
  // [1, 1] @ [[1,2],[3,4]] + [0.5, -0.5] = [4.5, 5.5]; * 2 + 1 = [10, 12]
  auto y = model(lm::tensor({{1.f, 1.f}}));
  EXPECT_VALUES(y, {10, 12});
  EXPECT_EQ(model.name(), "m");
  EXPECT_EQ(model.input_names(), std::vector<std::string>{"x"});
  EXPECT_EQ(model.output_names(), std::vector<std::string>{"add"});
}

TEST(Model, SeveralInputsAndOutputsByPositionAndName) {
  auto a = lm::Input({1}, lm::Float32, "a");
  auto b = lm::Input({1}, lm::Float32, "b");
  auto sum = Add({.name = "sum"})(lm::TensorList{a, b});
  auto diff = Subtract({.name = "diff"})(lm::TensorList{a, b});
  lm::Model model({a, b}, {sum, diff});
  EXPECT_EQ(model.output_names(), (std::vector<std::string>{"sum", "diff"}));
  auto ys = model.predict({lm::tensor({{5.f}, {1.f}}), lm::tensor({{2.f}, {3.f}})});
  ASSERT_EQ(ys.size(), 2u);
  EXPECT_VALUES(ys[0], {7, 4});
  EXPECT_VALUES(ys[1], {3, -2});
  auto by_name = model.predict(std::map<std::string, lm::Tensor>{{"b", lm::tensor({{2.f}})}, {"a", lm::tensor({{5.f}})}});
  EXPECT_VALUES(by_name[1], {3});
  EXPECT_LAMINA_ERROR(model.predict(std::map<std::string, lm::Tensor>{{"c", lm::tensor({{2.f}})}}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("'c'")); });
}

TEST(Model, MasksTravelThroughTheGraphAndAreVisibleSymbolically) {
  auto tokens = lm::Input({lm::None}, lm::Int32, "tokens");
  auto x = Embedding(10, 3, {.mask_zero = true})(tokens);
  x = x * 0.5f + 1.0f;  // still masked
  lm::Model inner(tokens, x, "inner");
  auto outer_in = lm::Input({lm::None}, lm::Int32);
  auto y = inner(outer_in);  // a model is a layer: its output mask is known here
  EXPECT_EQ(y.mask_rank(), 2);
  auto pooled = GlobalAveragePooling1D()(y);
  lm::Model outer(outer_in, pooled);
  auto ids = lm::tensor({{1, 2, 0, 0}, {3, 0, 0, 0}});
  auto direct = inner(ids);
  EXPECT_MASK(direct, lm::Shape({2, 4}), {true, true, false, false, true, false, false, false});
  // The masked mean over valid steps equals the plain mean of the unpadded rows.
  auto emb = inner(lm::tensor({{1, 2}}));
  auto expect = lm::mean(emb.without_mask(), 1);
  auto got = outer(lm::tensor({{1, 2, 0, 0}}));
  EXPECT_VALUES(got, expect.to_vector<double>(), 1e-6);
  EXPECT_EQ(outer.layers().size(), 2u);  // the nested model and the pooling
  EXPECT_EQ(outer.weights().size(), 1u);  // the embedding's, through the nested model
}

TEST(Model, NestedModelSharesWeightsWithTheOriginal) {
  auto in = lm::Input({2});
  auto dense = Dense(1, {.name = "shared_dense"});
  lm::Model inner(in, dense(in));
  auto in2 = lm::Input({2});
  lm::Model outer(in2, inner(in2) + inner(in2));
  set_dense(dense, {1, 1}, {0});
  EXPECT_VALUES(outer(lm::tensor({{1.f, 2.f}})), {6});
  EXPECT_EQ(outer.weights().size(), 2u);
}

TEST(Model, InputsAreCheckedAndConvertedAsKerasDoes) {
  auto in = lm::Input({3}, lm::Float32, "features");
  lm::Model model(in, Dense(1)(in));
  // Integers and float64 become float32.
  EXPECT_SHAPE(model(lm::tensor({{1, 2, 3}})), lm::Shape({1, 1}));
  EXPECT_SHAPE(model(lm::tensor({{1.0, 2.0, 3.0}}, lm::Float64)), lm::Shape({1, 1}));
  EXPECT_LAMINA_ERROR(model(lm::tensor({{1.f, 2.f}})), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("'features'"));
    EXPECT_THAT(msg, HasSubstr("(None, 3)"));
    EXPECT_THAT(msg, HasSubstr("(1, 2)"));
  });
  auto ids = lm::Input({2}, lm::Int32, "ids");
  lm::Model m2(ids, Embedding(5, 2)(ids));
  EXPECT_LAMINA_ERROR(m2(lm::tensor({{1.5f, 2.f}})), lm::DTypeError, {
    EXPECT_THAT(msg, HasSubstr("'ids'"));
    EXPECT_THAT(msg, HasSubstr("hint"));
  });
}

TEST(Model, GraphErrorsNameWhatIsMissing) {
  auto a = lm::Input({2}, lm::Float32, "a");
  auto b = lm::Input({2}, lm::Float32, "b");
  auto out = Add()(lm::TensorList{a, b});
  EXPECT_LAMINA_ERROR(lm::Model(a, out), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("graph disconnected"));
    EXPECT_THAT(msg, HasSubstr("'b'"));
  });
  EXPECT_LAMINA_ERROR(lm::Model(lm::tensor({1.f}), out), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("not an lm::Input")); });
  auto d1 = Dense(2, {.name = "same"}), d2 = Dense(2, {.name = "same"});
  EXPECT_LAMINA_ERROR(lm::Model(a, d2(d1(a))), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("'same'")); });
}

TEST(Model, GetAndSetWeightsCheckEverythingBeforeAssigning) {
  auto in = lm::Input({2});
  auto d = Dense(3, {.name = "d"});
  lm::Model model(in, d(in));
  auto w = model.get_weights();
  ASSERT_EQ(w.size(), 2u);
  auto before = w[0].to_vector<float>();
  lm::TensorList bad = {lm::ones({2, 3}), lm::ones({4})};
  EXPECT_LAMINA_ERROR(model.set_weights(bad), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("'d/bias'"));
    EXPECT_THAT(msg, HasSubstr("(3,)"));
  });
  EXPECT_EQ(model.get_weights()[0].to_vector<float>(), before);  // nothing assigned
  EXPECT_LAMINA_ERROR(model.set_weights({lm::ones({2, 3})}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("2 weights")); });
  EXPECT_LAMINA_ERROR(model.set_weights({lm::ones({2, 3}, lm::Float64), lm::ones({3})}), lm::DTypeError,
                      { EXPECT_THAT(msg, HasSubstr("'d/kernel'")); });
  model.set_weights({lm::ones({2, 3}), lm::zeros({3})});
  EXPECT_VALUES(model(lm::tensor({{1.f, 2.f}})), {3, 3, 3});
}

TEST(Model, GetLayerAndTrainable) {
  auto in = lm::Input({2});
  auto d1 = Dense(3, {.name = "first"});
  auto d2 = Dense(1, {.name = "second"});
  lm::Model model(in, d2(d1(in)));
  EXPECT_EQ(model.get_layer("second")->name(), "second");
  EXPECT_LAMINA_ERROR(model.get_layer("third"), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("'first'"));
    EXPECT_THAT(msg, HasSubstr("'second'"));
  });
  EXPECT_EQ(model.trainable_weights().size(), 4u);
  model.get_layer("first")->set_trainable(false);
  EXPECT_EQ(model.trainable_weights().size(), 2u);
  EXPECT_EQ(model.non_trainable_weights().size(), 2u);
  model.set_trainable(false);
  EXPECT_EQ(model.trainable_weights().size(), 0u);
}

TEST(Sequential, BuildsFromAnInputOrOnFirstCall) {
  lm::Sequential with_input({lm::Input({3}), Dense(2, {.name = "a"}), Dense(1, {.name = "b"})});
  EXPECT_EQ(with_input.layers().size(), 2u);
  EXPECT_EQ(with_input.weights().size(), 4u);
  EXPECT_SHAPE(with_input(lm::ones({5, 3})), lm::Shape({5, 1}));

  lm::Sequential lazy;
  lazy.add(Dense(4));
  lazy.add(Dense(2));
  EXPECT_FALSE(lazy->graph_built());
  EXPECT_SHAPE(lazy(lm::ones({2, 7})), lm::Shape({2, 2}));  // built from the first call
  EXPECT_TRUE(lazy->graph_built());
  EXPECT_EQ(lazy.weights()[0].shape(), lm::Shape({7, 4}));
  EXPECT_LAMINA_ERROR(lazy(lm::ones({2, 6})), lm::ShapeError, { EXPECT_THAT(msg, HasSubstr("(None, 7)")); });
  // Adding after it is built extends the graph.
  lazy.add(Dense(5));
  EXPECT_SHAPE(lazy(lm::ones({1, 7})), lm::Shape({1, 5}));
  lazy.pop();
  EXPECT_SHAPE(lazy(lm::ones({1, 7})), lm::Shape({1, 2}));
}

TEST(Sequential, RejectsMisuse) {
  lm::Sequential s;
  EXPECT_LAMINA_ERROR(s(lm::ones({1, 2})), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("no layers")); });
  auto d = Dense(2, {.name = "dup"});
  s.add(d);
  EXPECT_LAMINA_ERROR(s.add(d), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("'dup'")); });
  EXPECT_LAMINA_ERROR(s.add(lm::Input({2})), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("first")); });
}

TEST(Sequential, MaskedSequenceModel) {
  lm::Sequential model({lm::Input({lm::None}, lm::Int32), Embedding(20, 4, {.mask_zero = true}),
                        LSTM(3, {.return_sequences = true}), Dense(1)});
  auto y = model(lm::tensor({{4, 5, 0}}));
  EXPECT_MASK(y, lm::Shape({1, 3}), {true, true, false});
}
