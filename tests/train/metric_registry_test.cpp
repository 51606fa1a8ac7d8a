// "accuracy" resolution, metrics by name, get_config / metric_from_config round trips.
#include "test_util.hpp"

namespace lm = lamina;
namespace M = lamina::metrics;
namespace L = lamina::losses;
using lamina::Json;
using ::testing::HasSubstr;

namespace {
lm::TensorSpec spec(lm::Shape s, lm::DType dt = lm::Float32) { return {std::move(s), dt, -1}; }
}  // namespace

TEST(MetricRegistry, AccuracyFromShapes) {
  struct Case {
    lm::Shape t, p;
    const char* type;
  } cases[] = {
      {{lm::None, 1}, {lm::None, 1}, "BinaryAccuracy"},
      {{lm::None}, {lm::None, 1}, "BinaryAccuracy"},
      {{lm::None}, {lm::None, 10}, "SparseCategoricalAccuracy"},
      {{lm::None, 1}, {lm::None, 10}, "SparseCategoricalAccuracy"},
      {{lm::None, 20}, {lm::None, 20, 5000}, "SparseCategoricalAccuracy"},
      {{lm::None, 10}, {lm::None, 10}, "CategoricalAccuracy"},
      {{lm::None, 20, 1}, {lm::None, 20, 1}, "BinaryAccuracy"},
  };
  for (const auto& c : cases)
    for (const char* name : {"accuracy", "acc"}) {
      SCOPED_TRACE(c.t.str() + " " + c.p.str() + " " + name);
      auto m = M::get(name, spec(c.t), spec(c.p));
      EXPECT_EQ(m->type(), c.type);
      EXPECT_EQ(m->name(), name);  // named after the identifier, as Keras
    }
  // The loss decides first: multi-label binary crossentropy gets binary accuracy.
  auto ml = M::get("accuracy", spec({lm::None, 5}), spec({lm::None, 5}), L::BinaryCrossentropy());
  EXPECT_EQ(ml->type(), "BinaryAccuracy");
  EXPECT_EQ(M::get("accuracy", spec({lm::None, 5}), spec({lm::None, 5}))->type(), "CategoricalAccuracy");
  EXPECT_EQ(M::get("acc", spec({lm::None}), spec({lm::None, 5}), L::SparseCategoricalCrossentropy())->type(),
            "SparseCategoricalAccuracy");
  EXPECT_EQ(M::get("acc", spec({lm::None, 5}), spec({lm::None, 5}), L::CategoricalCrossentropy())->type(),
            "CategoricalAccuracy");
  EXPECT_EQ(M::get("accuracy", spec({lm::None, 1}), spec({lm::None, 1}), L::MeanSquaredError())->type(),
            "BinaryAccuracy");
  EXPECT_LAMINA_ERROR(M::get("accuracy"), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("shapes")); });
}

TEST(MetricRegistry, NamesAndAliases) {
  struct Case {
    const char* name;
    const char* type;
  } cases[] = {{"binary_accuracy", "BinaryAccuracy"},
               {"SparseCategoricalAccuracy", "SparseCategoricalAccuracy"},
               {"top_k_categorical_accuracy", "TopKCategoricalAccuracy"},
               {"sparse_top_k_categorical_accuracy", "SparseTopKCategoricalAccuracy"},
               {"precision", "Precision"},
               {"recall", "Recall"},
               {"auc", "AUC"},
               {"AUC", "AUC"},
               {"mse", "MeanSquaredError"},
               {"mean_absolute_error", "MeanAbsoluteError"},
               {"bce", "BinaryCrossentropy"},
               {"sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"},
               {"kl_divergence", "KLDivergence"},
               {"mean", "Mean"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto m = M::get(c.name, spec({lm::None, 3}), spec({lm::None, 3}));
    EXPECT_EQ(m->type(), c.type);
    EXPECT_EQ(m->name(), c.name);
  }
  EXPECT_LAMINA_ERROR(M::get("accuracyy"), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("unknown metric 'accuracyy'"));
    EXPECT_THAT(msg, HasSubstr("sparse_categorical_accuracy"));
  });
}

TEST(MetricRegistry, ConfigRoundTrips) {
  std::vector<lm::metrics::MetricRef> all = {
      M::Mean("loss"),
      M::BinaryAccuracy(0.3),
      M::CategoricalAccuracy(),
      M::SparseCategoricalAccuracy(),
      M::TopKCategoricalAccuracy(3),
      M::SparseTopKCategoricalAccuracy(2),
      M::Precision(0.4),
      M::Recall(0.6),
      M::AUC(M::AUCOptions{.num_thresholds = 50, .curve = "PR", .summation_method = "majoring", .from_logits = true}),
      M::MeanSquaredError(),
      M::LossMetric(L::BinaryCrossentropy({.from_logits = true, .label_smoothing = 0.1})),
      M::LossMetric(L::SparseCategoricalCrossentropy({.ignore_class = 0}))};
  all[2]->set_name("acc");
  for (const auto& m : all) {
    SCOPED_TRACE(m->name());
    Json config = m->get_config();
    EXPECT_EQ(config["dtype"], "float32");
    auto copy = M::metric_from_config(Json::parse(config.dump()));
    EXPECT_EQ(copy->get_config(), config);
    EXPECT_EQ(copy->name(), m->name());
  }
  EXPECT_EQ(M::BinaryAccuracy(0.3)->get_config()["threshold"], 0.3);
  EXPECT_EQ(M::AUC()->get_config()["num_thresholds"], 200);
  // The rebuilt metric behaves like the original (the threshold survives).
  auto copy = M::metric_from_config(M::BinaryAccuracy(0.65)->get_config());
  copy->update_state(lm::tensor({{1.0}, {0.0}, {1.0}, {0.0}}), lm::tensor({{0.7}, {0.6}, {0.4}, {0.1}}));
  EXPECT_DOUBLE_EQ(copy->result(), 0.75);
  // Keras's serialised form; Precision's thresholds may be null (0.5).
  auto keras = M::metric_from_config(Json::parse(R"({"class_name": "Precision", "config":
      {"name": "precision", "dtype": "float32", "thresholds": null, "top_k": null, "class_id": null}})"));
  EXPECT_EQ(keras->get_config()["thresholds"], 0.5);
  Json bad = M::TopKCategoricalAccuracy()->get_config();
  bad.erase("k");
  EXPECT_LAMINA_ERROR(M::metric_from_config(bad), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("TopKCategoricalAccuracy"));
    EXPECT_THAT(msg, HasSubstr("'k'"));
  });
  EXPECT_LAMINA_ERROR(M::metric_from_config(Json{{"type", "F1"}, {"name", "f1"}, {"dtype", "float32"}}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("unknown metric type 'F1'")); });
}
