// The optimizer's state and interface: variables() in Keras 3's order and names, iterations,
// set_learning_rate, count_params, names, get(), configs, and bad inputs.
#include "optimizer_test_util.hpp"

namespace lm = lamina;
namespace opt = lamina::optimizers;
using namespace lamina::testing;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

struct Weights {
  lm::Variable kernel{"dense/kernel", lm::full({2, 3}, 0.5f)};
  lm::Variable bias{"dense/bias", lm::full({3}, -0.25f)};
  std::vector<lm::Variable> list() const { return {kernel, bias}; }
  lm::TensorList grads(float k, float b) const { return {lm::full({2, 3}, k), lm::full({3}, b)}; }
};

}  // namespace

TEST(OptimizerState, VariablesInKerasOrderWithKerasNames) {
  Weights w;
  auto names = [&](opt::OptimizerRef o) {
    o->build(w.list());
    return variable_names(*o);
  };
  EXPECT_THAT(names(opt::Adam(0.1, {.name = "adam"})),
              ElementsAre("adam/iteration", "adam/learning_rate", "adam/dense_kernel_momentum",
                          "adam/dense_kernel_velocity", "adam/dense_bias_momentum", "adam/dense_bias_velocity"));
  EXPECT_THAT(names(opt::Adam(0.1, {.amsgrad = true, .name = "a"})),
              ElementsAre("a/iteration", "a/learning_rate", "a/dense_kernel_momentum", "a/dense_kernel_velocity",
                          "a/dense_bias_momentum", "a/dense_bias_velocity", "a/dense_kernel_velocity_hat",
                          "a/dense_bias_velocity_hat"));
  EXPECT_THAT(names(opt::SGD(0.1, {.name = "s"})), ElementsAre("s/iteration", "s/learning_rate"));
  EXPECT_THAT(names(opt::SGD(0.1, {.momentum = 0.9, .name = "s"})),
              ElementsAre("s/iteration", "s/learning_rate", "s/dense_kernel_momentum", "s/dense_bias_momentum"));
  // RMSprop: all velocities, then all momentums, then all average gradients.
  EXPECT_THAT(names(opt::RMSprop(0.1, {.momentum = 0.5, .centered = true, .name = "r"})),
              ElementsAre("r/iteration", "r/learning_rate", "r/dense_kernel_velocity", "r/dense_bias_velocity",
                          "r/dense_kernel_momentum", "r/dense_bias_momentum", "r/dense_kernel_average_gradient",
                          "r/dense_bias_average_gradient"));
  EXPECT_THAT(names(opt::Adagrad(0.1, {.name = "g"})),
              ElementsAre("g/iteration", "g/learning_rate", "g/dense_kernel_accumulator", "g/dense_bias_accumulator"));
  EXPECT_THAT(names(opt::Nadam(0.1, {.name = "n"})),
              ElementsAre("n/iteration", "n/learning_rate", "n/dense_kernel_momentum", "n/dense_kernel_velocity",
                          "n/dense_bias_momentum", "n/dense_bias_velocity", "n/u_product"));
  EXPECT_THAT(names(opt::Adamax(0.1, {.name = "x"})),
              ElementsAre("x/iteration", "x/learning_rate", "x/dense_kernel_momentum", "x/dense_kernel_norm",
                          "x/dense_bias_momentum", "x/dense_bias_norm"));
  EXPECT_THAT(names(opt::Adam(opt::ExponentialDecay(0.1, 10, 0.5), {.name = "e"})),
              ElementsAre("e/iteration", "e/dense_kernel_momentum", "e/dense_kernel_velocity", "e/dense_bias_momentum",
                          "e/dense_bias_velocity"));
}

TEST(OptimizerState, VariablesHaveTheRightShapesDtypesAndStartValues) {
  Weights w;
  auto adam = opt::Adam(0.1, {.amsgrad = true});
  EXPECT_EQ(adam->variables().size(), 2u);  // before build: iteration and learning_rate
  EXPECT_FALSE(adam->built());
  adam->build(w.list());
  EXPECT_TRUE(adam->built());
  auto vars = adam->variables();
  EXPECT_EQ(vars[0].dtype(), lm::Int64);
  EXPECT_EQ(vars[0].shape(), lm::Shape{});
  EXPECT_EQ(vars[1].dtype(), lm::Float32);
  EXPECT_EQ(vars[1].shape(), lm::Shape{});
  for (std::size_t i = 2; i < vars.size(); ++i) {
    EXPECT_FALSE(vars[i].trainable());
    bool kernel_slot = i == 2 || i == 3 || i == 6;  // momentum, velocity, then velocity_hat
    EXPECT_EQ(vars[i].shape(), kernel_slot ? w.kernel.shape() : w.bias.shape()) << i;
    for (double x : values_of(vars[i])) EXPECT_EQ(x, 0.0);
  }
  // 1 + 1 + 3 slots * (6 + 3) elements.
  EXPECT_EQ(adam->count_params(), 29);
  // Building again with the same (or fewer) variables changes nothing.
  adam->build(w.list());
  adam->build({w.bias});
  EXPECT_EQ(adam->variables().size(), vars.size());
  // float64 variables get float64 slots.
  lm::Variable d("d", lm::zeros({4}, lm::Float64));
  auto a64 = opt::Adam();
  a64->build({d});
  EXPECT_EQ(a64->variables()[2].dtype(), lm::Float64);
}

TEST(OptimizerState, DefaultNamesAreKerasSnakeCaseMadeUnique) {
  lm::clear_session();
  EXPECT_EQ(opt::Adam()->name(), "adam");
  EXPECT_EQ(opt::Adam()->name(), "adam_1");
  EXPECT_EQ(opt::SGD()->name(), "sgd");
  EXPECT_EQ(opt::AdamW()->name(), "adam_w");
  EXPECT_EQ(opt::RMSprop()->name(), "rm_sprop");
  EXPECT_EQ(opt::Adam(0.1, {.name = "mine"})->name(), "mine");
  // A refused optimizer does not use up a name.
  EXPECT_THROW(opt::Nadam(0.1, {.beta_1 = 2}), lm::ValueError);
  EXPECT_EQ(opt::Nadam()->name(), "nadam");
  lm::clear_session();
}

TEST(OptimizerState, IterationsCountSteps) {
  Weights w;
  auto s = opt::SGD(0.1);
  EXPECT_EQ(s->iterations(), 0);
  s->apply_gradients(w.grads(1, 1), w.list());
  s->apply_gradients(w.grads(1, 1), w.list());
  EXPECT_EQ(s->iterations(), 2);
  // A step where some gradients are missing still counts; empty lists are a no-op (Keras).
  s->apply_gradients({lm::full({2, 3}, 1.0f), lm::Tensor()}, w.list());
  EXPECT_EQ(s->iterations(), 3);
  s->apply_gradients(lm::TensorList{}, {});
  EXPECT_EQ(s->iterations(), 3);
  // The iteration variable is the state: assigning it (as loading does) moves the count.
  s->variables()[0].assign(lm::scalar(std::int64_t{41}, lm::Int64));
  EXPECT_EQ(s->iterations(), 41);
}

TEST(OptimizerState, UndefinedGradientsSkipTheirVariables) {
  Weights w;
  auto adam = opt::Adam(0.1, {.name = "skip"});
  adam->apply_gradients({lm::full({2, 3}, 1.0f), lm::Tensor()}, w.list());
  EXPECT_VALUES(w.bias.value(), {-0.25, -0.25, -0.25});
  EXPECT_VALUES(find_variable(*adam, "skip/dense_bias_momentum").value(), {0, 0, 0});
  EXPECT_LT(values_of(w.kernel)[0], 0.5);
  // GradientTape's optional form.
  std::vector<std::optional<lm::Tensor>> g = {std::nullopt, lm::full({3}, 1.0f)};
  adam->apply_gradients(g, w.list());
  EXPECT_LT(values_of(w.bias)[0], -0.25);
  // All undefined is Keras's "No gradients provided for any variable".
  EXPECT_LAMINA_ERROR(adam->apply_gradients({lm::Tensor(), lm::Tensor()}, w.list()), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("no gradients provided for any variable")); });
}

TEST(OptimizerState, LaterStepsMayUpdateASubsetInAnyOrder) {
  Weights w, same;
  auto a = opt::SGD(0.5), b = opt::SGD(0.5);
  a->build(w.list());
  a->apply_gradients({lm::full({3}, 1.0f)}, {w.bias});
  b->apply_gradients({lm::full({3}, 1.0f), lm::full({2, 3}, 2.0f)}, {same.bias, same.kernel});
  EXPECT_VALUES(w.bias.value(), {-0.75, -0.75, -0.75});
  EXPECT_VALUES(same.kernel.value(), {-0.5, -0.5, -0.5, -0.5, -0.5, -0.5});
  EXPECT_EQ(b->built_variables()[0], same.bias);
}

TEST(OptimizerState, SetLearningRate) {
  auto s = opt::SGD(0.5);
  auto w = run_steps(*s, {1.0}, {{1.0}}, lm::Float64);
  s->set_learning_rate(0.25);
  EXPECT_EQ(s->learning_rate(), 0.25);
  s->apply_gradients({vec_tensor({1.0}, lm::Float64)}, {w});
  EXPECT_CLOSE(values_of(w), (Vec{0.25}), lm::Float64, "w");
  // Stored as float32, like Keras's learning_rate variable.
  s->set_learning_rate(0.1);
  EXPECT_EQ(s->learning_rate(), f32(0.1));
  EXPECT_EQ(s->variables()[1].value().item<float>(), 0.1f);
  EXPECT_LAMINA_ERROR(s->set_learning_rate(-1), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("learning_rate")); });
  EXPECT_LAMINA_ERROR(s->set_learning_rate(NAN), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("learning_rate")); });
}

TEST(OptimizerState, UpdatesAreNotRecordedOnTapes) {
  // A recorder that counts everything it is told; an optimizer step must tell it nothing.
  struct Counter : lm::Recorder {
    int events = 0;
    bool tracks(std::uint64_t) const override { return true; }
    void record(std::shared_ptr<const lm::OpRecord>) override { ++events; }
    void on_variable_read(const lm::Tensor&, bool) override { ++events; }
  } counter;
  Weights w;
  auto adam = opt::Adam(0.1, {.weight_decay = 0.1, .clipnorm = 1.0});
  lm::TensorList grads = w.grads(1, 2);
  lm::detail::active_recorders().push_back(&counter);
  adam->apply_gradients(grads, w.list());
  lm::detail::active_recorders().pop_back();
  EXPECT_EQ(counter.events, 0);
  // A step inside a real tape works and leaves the recorded computation alone.
  lm::Variable v("v", lm::tensor({2.0f}));
  lm::GradientTape tape;
  lm::Tensor x = v.value();
  lm::Tensor loss = lm::sum(x * x);
  opt::SGD(0.5)->apply_gradients({lm::tensor({1.0f})}, {v});
  EXPECT_VALUES(v.value(), {1.5});
  auto g = tape.gradient(loss, lm::TensorList{x});
  ASSERT_TRUE(g[0].has_value());
  EXPECT_VALUES(*g[0], {4.0});
}

TEST(OptimizerState, GradientMasksAreIgnored) {
  auto a = opt::Adam(0.1), b = opt::Adam(0.1);
  lm::Variable x("x", lm::tensor({{1.f, 2.f}, {3.f, 4.f}})), y("y", lm::tensor({{1.f, 2.f}, {3.f, 4.f}}));
  lm::Tensor g = lm::tensor({{0.5f, -1.f}, {2.f, 0.25f}});
  a->apply_gradients({g.with_mask(lm::tensor({true, false}))}, {x});
  b->apply_gradients({g}, {y});
  EXPECT_EQ(x.value().to_vector<float>(), y.value().to_vector<float>());
  EXPECT_FALSE(x.value().has_mask());
}

TEST(OptimizerState, LargeBuffersAreDeterministicAndMatchTheRule) {
  // Big enough for the threaded path; 1 and 2 threads must give the same bits.
  const std::int64_t n = 200003;
  std::vector<float> w0(n), g0(n);
  for (std::int64_t i = 0; i < n; ++i) {
    w0[i] = 1.0f + 0.001f * static_cast<float>(i % 97);
    g0[i] = std::sin(0.37f * static_cast<float>(i));
  }
  auto run = [&](int threads) {
    lm::set_num_threads(threads);
    auto adam = opt::Adam(0.25, {.clipnorm = 10.0});
    lm::Variable w("w", lm::tensor(w0, lm::Shape{n}));
    for (int step = 0; step < 3; ++step) adam->apply_gradients({lm::tensor(g0, lm::Shape{n})}, {w});
    return w.value().to_vector<float>();
  };
  int saved = lm::num_threads();
  auto one = run(1), two = run(2), again = run(2);
  lm::set_num_threads(saved);
  EXPECT_EQ(one, two);
  EXPECT_EQ(two, again);
  // Spot-check against the rule: the same clipped gradient each step.
  double norm = 0;
  for (float x : g0) norm += static_cast<double>(x) * x;
  double scale = 10.0 / std::max(std::sqrt(norm), 10.0);
  for (std::int64_t i : {std::int64_t{0}, std::int64_t{12345}, n - 1}) {
    double w = w0[i], m = 0, v = 0, g = g0[i] * scale;
    for (int t = 1; t <= 3; ++t) {
      m += (g - m) * 0.1;
      v += (g * g - v) * (1 - 0.999);
      w -= m * (0.25 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t))) / (std::sqrt(v) + 1e-7);
    }
    EXPECT_NEAR(one[i], w, 1e-6 * std::fabs(w)) << i;
  }
}

TEST(OptimizerState, ZeroSizeAndScalarVariables) {
  lm::Variable empty("empty", lm::zeros({0, 3})), s("s", lm::scalar(2.0f));
  auto adam = opt::Adam(0.5);
  adam->apply_gradients({lm::zeros({0, 3}), lm::scalar(1.0f)}, {empty, s});
  EXPECT_EQ(empty.shape(), (lm::Shape{0, 3}));
  EXPECT_NEAR(s.value().item<double>(), 1.5, 1e-5);
}

// ---- bad inputs ---------------------------------------------------------------------------

TEST(OptimizerState, MismatchedInputsAreTypedErrorsNamingTheVariable) {
  Weights w;
  auto adam = opt::Adam(0.1, {.name = "adam_bad"});
  EXPECT_LAMINA_ERROR(adam->apply_gradients({lm::full({2, 3}, 1.0f)}, w.list()), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("one gradient per variable"));
    EXPECT_THAT(msg, HasSubstr("optimizer 'adam_bad' (Adam)"));
  });
  EXPECT_LAMINA_ERROR(adam->apply_gradients({lm::full({2, 3}, 1.0f), lm::full({4}, 1.0f)}, w.list()), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("'dense/bias'"));
    EXPECT_THAT(msg, HasSubstr("found:    (4,)"));
  });
  EXPECT_LAMINA_ERROR(adam->apply_gradients({lm::full({2, 3}, 1.0, lm::Float64), lm::full({3}, 1.0f)}, w.list()),
                      lm::DTypeError, {
                        EXPECT_THAT(msg, HasSubstr("'dense/kernel'"));
                        EXPECT_THAT(msg, HasSubstr("float64"));
                      });
  // Nothing was built or changed by the failed calls.
  EXPECT_FALSE(adam->built());
  EXPECT_EQ(adam->iterations(), 0);
  EXPECT_VALUES(w.bias.value(), {-0.25, -0.25, -0.25});

  lm::Variable ints("counts", lm::zeros({2}, lm::Int32));
  EXPECT_LAMINA_ERROR(adam->apply_gradients({lm::zeros({2}, lm::Int32)}, {ints}), lm::DTypeError,
                      { EXPECT_THAT(msg, HasSubstr("'counts'")); });
  EXPECT_LAMINA_ERROR(adam->build({w.kernel, w.kernel}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("listed twice")); });
  EXPECT_LAMINA_ERROR(adam->build({lm::Variable()}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("empty Variable")); });
  lm::Tensor symbolic = lm::placeholder({lm::Shape{3}, lm::Float32});
  EXPECT_LAMINA_ERROR(adam->apply_gradients({lm::full({2, 3}, 1.0f), symbolic}, w.list()), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("symbolic")); });

  adam->apply_gradients(w.grads(1, 1), w.list());
  lm::Variable other("other/kernel", lm::zeros({3}));
  EXPECT_LAMINA_ERROR(adam->apply_gradients({lm::zeros({3})}, {other}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("'other/kernel' is not one of the variables"));
    EXPECT_THAT(msg, HasSubstr("create a new optimizer"));
  });
  EXPECT_LAMINA_ERROR(adam->build({other}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("'other/kernel'")); });
  EXPECT_EQ(adam->iterations(), 1);
}

TEST(OptimizerState, BadBaseOptionsAreValueErrorsNamingThem) {
  EXPECT_LAMINA_ERROR(opt::SGD(-0.01), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("learning_rate"));
    EXPECT_THAT(msg, HasSubstr("-0.01"));
  });
  EXPECT_LAMINA_ERROR(opt::Adam(INFINITY), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("learning_rate")); });
  EXPECT_LAMINA_ERROR(opt::Adam(NAN), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("learning_rate")); });
  EXPECT_LAMINA_ERROR(opt::Adam(1e300), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("float32")); });
  EXPECT_LAMINA_ERROR(opt::Adagrad(0.1, {.weight_decay = -1}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("weight_decay")); });
}

// ---- get and configs ----------------------------------------------------------------------

TEST(OptimizerConfig, GetByKerasName) {
  EXPECT_EQ(opt::get("adam")->class_name(), "Adam");
  EXPECT_EQ(opt::get("ADAM")->class_name(), "Adam");
  EXPECT_EQ(opt::get("sgd")->class_name(), "SGD");
  EXPECT_EQ(opt::get("RMSprop")->class_name(), "RMSprop");
  EXPECT_EQ(opt::get("adamw")->class_name(), "AdamW");
  EXPECT_EQ(opt::get("adagrad")->class_name(), "Adagrad");
  EXPECT_EQ(opt::get("nadam")->class_name(), "Nadam");
  EXPECT_EQ(opt::get("adamax")->class_name(), "Adamax");
  EXPECT_NEAR(opt::get("sgd")->learning_rate(), 0.01, 1e-9);
  EXPECT_LAMINA_ERROR(opt::get("adamm"), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("unknown optimizer 'adamm'"));
    EXPECT_THAT(msg, HasSubstr("Adam, AdamW, Adamax"));
  });
}

namespace {
// Runs three steps on a fresh kernel/bias pair and returns the final values.
std::vector<std::vector<double>> three_steps(opt::Optimizer& o) {
  Weights w;
  for (float k : {1.0f, -0.5f, 2.0f}) o.apply_gradients(w.grads(k, -k * 0.5f), w.list());
  return {values_of(w.kernel), values_of(w.bias)};
}
}  // namespace

TEST(OptimizerConfig, RoundTripGivesIdenticalUpdates) {
  std::vector<opt::OptimizerRef> all = {
      opt::SGD(0.1, {.momentum = 0.9, .nesterov = true, .weight_decay = 0.01, .clipnorm = 1.0}),
      opt::Adam(0.01, {.beta_1 = 0.8, .beta_2 = 0.99, .epsilon = 1e-6, .amsgrad = true, .clipvalue = 0.5}),
      opt::AdamW(opt::CosineDecay(0.0, 10, 0.1, 0.05, 2), {.weight_decay = 0.1, .global_clipnorm = 2.0}),
      opt::RMSprop(0.01, {.rho = 0.8, .momentum = 0.5, .epsilon = 1e-6, .centered = true}),
      opt::Adagrad(0.1, {.initial_accumulator_value = 0.5, .epsilon = 1e-5}),
      opt::Nadam(0.01, {.beta_1 = 0.85, .weight_decay = 0.05}),
      opt::Adamax(0.02, {.beta_2 = 0.9, .name = "custom_name"})};
  for (const auto& o : all) {
    lm::Json j = opt::serialize(*o);
    SCOPED_TRACE(j.dump());
    EXPECT_EQ(j["module"], "keras.optimizers");
    EXPECT_EQ(j["class_name"], o->class_name());
    auto copy = opt::optimizer_from_config(lm::Json::parse(j.dump()));
    EXPECT_EQ(copy->class_name(), o->class_name());
    EXPECT_EQ(copy->name(), o->name());
    EXPECT_EQ(copy->get_config(), o->get_config());
    EXPECT_EQ(three_steps(*copy), three_steps(*o));
  }
}

TEST(OptimizerConfig, CopyingTheVariablesContinuesIdentically) {
  // What saving and loading does: a rebuilt optimizer, built on the same kind of variables,
  // gets the state by assigning variables() in order.
  for (auto make : {+[] { return opt::Nadam(0.05); }, +[] { return opt::Adam(0.05, {.amsgrad = true}); },
                    +[] { return opt::RMSprop(0.05, {.momentum = 0.5, .centered = true}); }}) {
    Weights a, b;
    auto first = make();
    for (float k : {1.0f, -2.0f}) first->apply_gradients(a.grads(k, k), a.list());
    auto second = opt::optimizer_from_config(opt::serialize(*first));
    b.kernel.assign(a.kernel.value());
    b.bias.assign(a.bias.value());
    second->build(b.list());
    auto from = first->variables(), to = second->variables();
    ASSERT_EQ(from.size(), to.size());
    for (std::size_t i = 0; i < from.size(); ++i) to[i].assign(from[i].value());
    EXPECT_EQ(second->iterations(), 2);
    first->apply_gradients(a.grads(0.5f, -1.0f), a.list());
    second->apply_gradients(b.grads(0.5f, -1.0f), b.list());
    EXPECT_EQ(values_of(a.kernel), values_of(b.kernel));
    EXPECT_EQ(values_of(a.bias), values_of(b.bias));
  }
}

TEST(OptimizerConfig, ConfigHasKerasKeys) {
  lm::Json c = opt::Adam(0.001, {.clipnorm = 1.0})->get_config();
  for (const char* key : {"name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm", "clipvalue",
                          "use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                          "gradient_accumulation_steps", "beta_1", "beta_2", "epsilon", "amsgrad"})
    EXPECT_TRUE(c.contains(key)) << key;
  EXPECT_EQ(c.size(), 15u);
  EXPECT_EQ(c["clipnorm"], 1.0);
  EXPECT_EQ(c["use_ema"], false);
  lm::Json sched = opt::SGD(opt::ExponentialDecay(0.1, 10, 0.5))->get_config()["learning_rate"];
  EXPECT_EQ(sched["class_name"], "ExponentialDecay");
  EXPECT_EQ(sched["config"]["decay_steps"], 10);
}

TEST(OptimizerConfig, ReadsAKerasWrittenConfig) {
  // As Keras 3 writes Adam() into a model's compile config.
  lm::Json keras = lm::Json::parse(R"({"module": "keras.optimizers", "class_name": "Adam", "config": {
      "name": "adam", "learning_rate": 0.0010000000474974513, "weight_decay": null, "clipnorm": null,
      "global_clipnorm": null, "clipvalue": null, "use_ema": false, "ema_momentum": 0.99,
      "ema_overwrite_frequency": null, "loss_scale_factor": null, "gradient_accumulation_steps": null,
      "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": false}, "registered_name": null})");
  auto adam = opt::optimizer_from_config(keras);
  EXPECT_EQ(adam->class_name(), "Adam");
  EXPECT_EQ(adam->learning_rate(), f32(0.001));
  EXPECT_EQ(adam->get_config(), keras["config"]);
  // Class names are case-insensitive for the built-ins (Keras's deserialize); configs from
  // Keras versions before loss_scale_factor and gradient_accumulation_steps existed read too.
  keras["class_name"] = "adam";
  keras["config"].erase("loss_scale_factor");
  keras["config"].erase("gradient_accumulation_steps");
  EXPECT_EQ(opt::optimizer_from_config(keras)->class_name(), "Adam");
}

TEST(OptimizerConfig, BadConfigsAreValueErrorsNamingTheField) {
  lm::Json good = opt::serialize(*opt::Adam());
  auto fails_with = [](lm::Json j, const std::string& text) {
    EXPECT_LAMINA_ERROR(opt::optimizer_from_config(j), lm::ValueError, { EXPECT_THAT(msg, HasSubstr(text)); });
  };
  lm::Json j = good;
  j["class_name"] = "Adamm";
  fails_with(j, "unknown optimizer class 'Adamm'");
  j = good;
  j["config"].erase("beta_1");
  fails_with(j, "field 'beta_1' of the Adam config is missing");
  j = good;
  j["config"]["beta_1"] = "high";
  fails_with(j, "field 'beta_1' of the Adam config is not a number");
  j = good;
  j["config"]["beta_1"] = 1.0;
  fails_with(j, "beta_1 must be in [0, 1)");
  j = good;
  j["config"]["momentum"] = 0.9;
  fails_with(j, "unknown field 'momentum'");
  j = good;
  j["config"]["use_ema"] = true;
  fails_with(j, "use_ema");
  j = good;
  j["config"]["gradient_accumulation_steps"] = 4;
  fails_with(j, "gradient accumulation");
  j = good;
  j["config"]["learning_rate"] = lm::Json::object({{"class_name", "Nope"}, {"config", lm::Json::object()}});
  fails_with(j, "unknown learning-rate schedule class 'Nope'");
  fails_with(lm::Json::parse(R"({"config": {}})"), "class_name");
  lm::Json w = opt::serialize(*opt::AdamW());
  w["config"]["weight_decay"] = nullptr;
  fails_with(w, "weight_decay must be set");
}

namespace {
// A custom optimizer: plain gradient descent with a fixed step size, through the protected API.
class SignDescent : public opt::Optimizer {
 public:
  explicit SignDescent(double lr) : Optimizer("SignDescent", lr, {}) {}

 private:
  void build_slots(const std::vector<lm::Variable>&) override {}
  void update_step(const opt::VariableUpdate& u) override {
    std::vector<float> w = u.variable.value().to_vector<float>(), g = u.gradient.to_vector<float>();
    for (std::size_t i = 0; i < w.size(); ++i)
      w[i] -= static_cast<float>(u.learning_rate) * (g[i] > 0 ? 1.0f : g[i] < 0 ? -1.0f : 0.0f);
    u.variable.assign(lm::tensor(w, u.variable.shape()));
  }
  void add_config(lm::Json&) const override {}
};
}  // namespace

TEST(OptimizerConfig, CustomOptimizersRegisterAFactory) {
  auto mine = std::make_shared<SignDescent>(0.5);
  auto w = run_steps(*mine, {1.0, 1.0, 1.0}, {{3.0, -0.1, 0.0}});
  EXPECT_VALUES(w.value(), {0.5, 1.5, 1.0});
  lm::Json j = opt::serialize(*mine);
  EXPECT_EQ(j["registered_name"], "SignDescent");
  EXPECT_LAMINA_ERROR(opt::optimizer_from_config(j), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("SignDescent")); });
  opt::register_optimizer("SignDescent", [](const lm::Json& c) -> opt::OptimizerRef {
    return std::make_shared<SignDescent>(c.at("learning_rate").get<double>());
  });
  EXPECT_EQ(opt::optimizer_from_config(j)->class_name(), "SignDescent");
  EXPECT_LAMINA_ERROR(opt::register_optimizer("adam", [](const lm::Json&) { return opt::Adam(); }), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("built-in")); });
}
