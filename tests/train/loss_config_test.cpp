// Losses by name and alias, get_config / loss_from_config round trips.
#include "test_util.hpp"

namespace lm = lamina;
namespace L = lamina::losses;
using lamina::Json;
using ::testing::HasSubstr;

TEST(LossConfig, NamesAndAliases) {
  struct Case {
    const char* name;
    const char* type;
    const char* loss_name;
  } cases[] = {
      {"mse", "MeanSquaredError", "mean_squared_error"},
      {"MSE", "MeanSquaredError", "mean_squared_error"},
      {"mean_squared_error", "MeanSquaredError", "mean_squared_error"},
      {"MeanSquaredError", "MeanSquaredError", "mean_squared_error"},
      {"mae", "MeanAbsoluteError", "mean_absolute_error"},
      {"mape", "MeanAbsolutePercentageError", "mean_absolute_percentage_error"},
      {"msle", "MeanSquaredLogarithmicError", "mean_squared_logarithmic_error"},
      {"bce", "BinaryCrossentropy", "binary_crossentropy"},
      {"binary_crossentropy", "BinaryCrossentropy", "binary_crossentropy"},
      {"categorical_crossentropy", "CategoricalCrossentropy", "categorical_crossentropy"},
      {"sparse_categorical_crossentropy", "SparseCategoricalCrossentropy", "sparse_categorical_crossentropy"},
      {"kld", "KLDivergence", "kl_divergence"},
      {"KLD", "KLDivergence", "kl_divergence"},
      {"kullback_leibler_divergence", "KLDivergence", "kl_divergence"},
      {"huber", "Huber", "huber_loss"},
      {"huber_loss", "Huber", "huber_loss"},
      {"logcosh", "LogCosh", "log_cosh"},
      {"cosine_similarity", "CosineSimilarity", "cosine_similarity"},
      {"poisson", "Poisson", "poisson"},
      {"hinge", "Hinge", "hinge"},
      {"squared_hinge", "SquaredHinge", "squared_hinge"},
      {"categorical_hinge", "CategoricalHinge", "categorical_hinge"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto loss = L::get(c.name);
    EXPECT_EQ(loss->type(), c.type);
    EXPECT_EQ(loss->name(), c.loss_name);
  }
  // The alias computes the same thing: mse on a known pair.
  EXPECT_NEAR((*L::get("mse"))(lm::tensor({{1.0, 3.0}}), lm::tensor({{0.0, 1.0}})).item<double>(), 2.5, 1e-12);
  EXPECT_LAMINA_ERROR(L::get("mean_square_error"), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("unknown loss 'mean_square_error'"));
    EXPECT_THAT(msg, HasSubstr("mean_squared_error"));
    EXPECT_THAT(msg, HasSubstr("sparse_categorical_crossentropy"));
  });
}

TEST(LossConfig, ConfigsAreKeras) {
  auto c = L::BinaryCrossentropy({.from_logits = true, .label_smoothing = 0.1, .axis = -1})->get_config();
  EXPECT_EQ(c["type"], "BinaryCrossentropy");
  EXPECT_EQ(c["name"], "binary_crossentropy");
  EXPECT_EQ(c["reduction"], "sum_over_batch_size");
  EXPECT_EQ(c["from_logits"], true);
  EXPECT_DOUBLE_EQ(c["label_smoothing"].get<double>(), 0.1);
  EXPECT_EQ(c["axis"], -1);
  auto s = L::SparseCategoricalCrossentropy({.ignore_class = 0})->get_config();
  EXPECT_EQ(s["ignore_class"], 0);
  EXPECT_TRUE(L::SparseCategoricalCrossentropy()->get_config()["ignore_class"].is_null());
  EXPECT_DOUBLE_EQ(L::Huber(2.5)->get_config()["delta"].get<double>(), 2.5);
  EXPECT_EQ(L::CosineSimilarity(1)->get_config()["axis"], 1);
}

TEST(LossConfig, RoundTrips) {
  std::vector<L::LossRef> all = {L::MeanSquaredError(),
                                 L::MeanAbsoluteError(),
                                 L::MeanAbsolutePercentageError(),
                                 L::MeanSquaredLogarithmicError(),
                                 L::Huber(0.3),
                                 L::LogCosh(),
                                 L::Poisson(),
                                 L::KLDivergence(),
                                 L::CosineSimilarity(0),
                                 L::Hinge(),
                                 L::SquaredHinge(),
                                 L::CategoricalHinge(),
                                 L::BinaryCrossentropy({.from_logits = true, .label_smoothing = 0.2}),
                                 L::CategoricalCrossentropy({.label_smoothing = 0.1, .axis = 1}),
                                 L::SparseCategoricalCrossentropy({.from_logits = true, .ignore_class = 3}),
                                 L::SparseCategoricalCrossentropy()};
  for (const auto& loss : all) {
    SCOPED_TRACE(loss->name());
    Json config = loss->get_config();
    auto copy = L::loss_from_config(Json::parse(config.dump()));
    EXPECT_EQ(copy->get_config(), config);
  }
  // The rebuilt loss computes what the original does (label smoothing survives).
  auto bce = L::BinaryCrossentropy({.label_smoothing = 0.2});
  auto copy = L::loss_from_config(bce->get_config());
  auto t = lm::tensor({{1.0}, {0.0}}), p = lm::tensor({{0.7}, {0.2}});
  EXPECT_DOUBLE_EQ((*copy)(t, p).item<double>(), (*bce)(t, p).item<double>());
  // Keras's serialised form is accepted.
  auto keras = L::loss_from_config(Json::parse(R"({"class_name": "CategoricalCrossentropy", "config":
      {"name": "categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": true,
       "label_smoothing": 0.0, "axis": -1}})"));
  EXPECT_EQ(keras->get_config()["from_logits"], true);
}

TEST(LossConfig, BadConfigs) {
  Json c = L::Huber()->get_config();
  c.erase("delta");
  EXPECT_LAMINA_ERROR(L::loss_from_config(c), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("Huber"));
    EXPECT_THAT(msg, HasSubstr("delta"));
  });
  Json b = L::BinaryCrossentropy()->get_config();
  b["from_logits"] = "yes";
  EXPECT_LAMINA_ERROR(L::loss_from_config(b), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("from_logits")); });
  Json r = L::MeanSquaredError()->get_config();
  r["reduction"] = "sum";
  EXPECT_LAMINA_ERROR(L::loss_from_config(r), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("reduction")); });
  EXPECT_LAMINA_ERROR(L::loss_from_config(Json{{"type", "mse"}, {"name", "x"}, {"reduction", "sum_over_batch_size"}}),
                      lm::ValueError, { EXPECT_THAT(msg, HasSubstr("unknown loss type 'mse'")); });
  EXPECT_LAMINA_ERROR(L::loss_from_config(Json::array()), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("type")); });
  EXPECT_LAMINA_ERROR(L::BinaryCrossentropy({.label_smoothing = 1.5}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("label_smoothing")); });
}

TEST(LossConfig, CrossentropyFromShapes) {
  auto spec = [](lm::Shape s) { return lm::TensorSpec{std::move(s), lm::Float32, -1}; };
  EXPECT_EQ(L::get("crossentropy", spec({lm::None, 1}), spec({lm::None, 1}))->type(), "BinaryCrossentropy");
  EXPECT_EQ(L::get("ce", spec({lm::None}), spec({lm::None, 7}))->type(), "SparseCategoricalCrossentropy");
  EXPECT_EQ(L::get("ce", spec({lm::None, 1}), spec({lm::None, 7}))->type(), "SparseCategoricalCrossentropy");
  EXPECT_EQ(L::get("crossentropy", spec({lm::None, 20}), spec({lm::None, 20, 9}))->type(),
            "SparseCategoricalCrossentropy");
  EXPECT_EQ(L::get("crossentropy", spec({lm::None, 7}), spec({lm::None, 7}))->type(), "CategoricalCrossentropy");
  EXPECT_EQ(L::get("mse", spec({lm::None, 7}), spec({lm::None, 7}))->type(), "MeanSquaredError");
  EXPECT_LAMINA_ERROR(L::get("crossentropy"), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("depends on the shapes")); });
}
