#include "text_classifier.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "lamina/core/error.hpp"
#include "lamina/core/random.hpp"
#include "lamina/data/bucketed_batches.hpp"
#include "lamina/data/tsv.hpp"
#include "lamina/io/gzip.hpp"
#include "lamina/lamina.hpp"

namespace lamina::tools {

using namespace lamina::layers;

Model text_model(const std::string& arch, std::int64_t vocabulary, std::int64_t classes, std::int64_t embedding_dim,
                 std::int64_t units) {
  auto tokens = Input({None}, Int32, "tokens");
  Tensor x;
  if (arch == "bow") {
    // Logistic regression on the bag of words: the mean of per-word class scores is a linear
    // function of the normalised word counts; the Dense adds the class biases.
    x = GlobalAveragePooling1D()(Embedding(vocabulary, classes, {.mask_zero = true, .name = "word_scores"})(tokens));
    return Model(tokens, Dense(classes, {.activation = "softmax", .name = "classes"})(x), "bow_classifier");
  }
  x = Embedding(vocabulary, embedding_dim, {.mask_zero = true})(tokens);
  if (arch == "bilstm") {
    x = Bidirectional(LSTM(units, {.return_sequences = true}))(x);
    x = GlobalMaxPooling1D()(x);  // over valid steps only
  } else if (arch == "lstm") {
    x = LSTM(units)(x);
  } else if (arch == "gru") {
    x = GRU(units)(x);
  } else if (arch == "cnn") {
    x = Conv1D(units, 3, {.padding = "same", .activation = "relu"})(x);
    x = GlobalMaxPooling1D()(x);
  } else {
    throw ValueError({.problem = fmt::format("unknown architecture '{}'", arch),
                      .expected = "bilstm, lstm, gru, cnn or bow",
                      .found = arch,
                      .hint = "--arch bilstm"});
  }
  x = Dropout(0.3)(x);
  return Model(tokens, Dense(classes, {.activation = "softmax", .name = "classes"})(x), arch + "_classifier");
}

LabelledTexts read_labelled(const std::string& path, bool skip_bad_lines, std::int64_t* skipped_empty) {
  std::string bytes = io::read_maybe_gzip(path);
  data::TsvData tsv = data::parse_tsv(bytes, path, {.skip_bad_lines = skip_bad_lines});
  LabelledTexts out;
  out.source = path;
  std::int64_t empty = 0;
  for (std::size_t i = 0; i < tsv.size(); ++i) {
    if (tsv.texts[i].find_first_not_of(" \t\r\n") == std::string::npos) {
      ++empty;
      continue;
    }
    out.texts.push_back(tsv.texts[i]);
    out.labels.push_back(tsv.labels[i]);
    out.lines.push_back(tsv.lines[i]);
  }
  if (skipped_empty) *skipped_empty = empty + static_cast<std::int64_t>(tsv.skipped.size());
  if (out.texts.empty())
    throw ValueError({.problem = fmt::format("'{}' holds no examples", path),
                      .expected = "lines of the form label<TAB>text",
                      .found = bytes.empty() ? std::string("an empty file") : std::string("no line with a text"),
                      .hint = "check the file"});
  return out;
}

std::pair<LabelledTexts, LabelledTexts> split_validation(const LabelledTexts& data, double fraction,
                                                          std::uint64_t seed) {
  if (!(fraction > 0 && fraction < 1))
    throw ValueError({.problem = "the validation split must be a fraction",
                      .expected = "0 < fraction < 1, e.g. 0.1",
                      .found = fmt::format("{}", fraction),
                      .hint = "--validation-split 0.1, or --valid FILE"});
  std::vector<std::size_t> order(data.texts.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  Generator g(seed);
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[static_cast<std::size_t>(g.uniform() * i)]);
  auto n_valid = static_cast<std::size_t>(fraction * static_cast<double>(order.size()));
  if (n_valid == 0 || n_valid == order.size())
    throw ValueError({.problem = "the validation split leaves one side empty",
                      .expected = "enough examples for both training and validation",
                      .found = fmt::format("{} examples", order.size()),
                      .hint = "use more data or give --valid FILE"});
  LabelledTexts train, valid;
  train.source = valid.source = data.source;
  for (std::size_t k = 0; k < order.size(); ++k) {
    auto& to = k < n_valid ? valid : train;
    std::size_t i = order[k];
    to.texts.push_back(data.texts[i]);
    to.labels.push_back(data.labels[i]);
    to.lines.push_back(data.lines[i]);
  }
  return {train, valid};
}

TextClassifier::TextClassifier(const LabelledTexts& train, const ClassifierOptions& options)
    : options_(options),
      vectorizer_({.max_tokens = options.max_tokens, .split = options.level == "char" ? "character" : "whitespace"}) {
  if (options.level != "word" && options.level != "char")
    throw ValueError({.problem = fmt::format("unknown level '{}'", options.level),
                      .expected = "word or char",
                      .found = options.level,
                      .hint = "--level word"});
  std::set<std::string> names(train.labels.begin(), train.labels.end());
  labels_.assign(names.begin(), names.end());
  if (labels_.size() < 2)
    throw ValueError({.problem = "the training data has fewer than two labels",
                      .expected = "at least two classes",
                      .found = fmt::format("{} label(s)", labels_.size()),
                      .hint = "check the first column of the TSV"});
  vectorizer_.adapt(train.texts);
  set_seed(options.seed);
  model_ = text_model(options.arch, vectorizer_.vocabulary_size(), static_cast<std::int64_t>(labels_.size()),
                      options.embedding_dim, options.units);
  model_.compile({.optimizer = optimizers::Adam(options.learning_rate),
                  .loss = "sparse_categorical_crossentropy",
                  .metrics = {"accuracy"}});
}

TextClassifier TextClassifier::load(const std::string& path) {
  TextClassifier c;
  c.model_ = load_model(path);
  const auto& assets = c.model_->assets();
  auto vec = assets.find("text_vectorization");
  auto labels = assets.find("labels");
  if (vec == assets.end() || labels == assets.end() || !labels->second.is_array())
    throw ValueError({.problem = fmt::format("'{}' is a Lamina model but not a text classifier", path),
                      .expected = "a model saved by `lamina train` (with its vocabulary and labels)",
                      .found = "no text_vectorization/labels assets",
                      .hint = "use `lamina predict MODEL --input x.npy` for other models"});
  c.vectorizer_ = data::TextVectorization::from_config(vec->second);
  for (const auto& l : labels->second) {
    if (!l.is_string())
      throw ValueError({.problem = fmt::format("'{}' has an invalid label list", path),
                        .expected = "strings",
                        .found = l.dump(),
                        .hint = "save the model again"});
    c.labels_.push_back(l.get<std::string>());
  }
  return c;
}

void TextClassifier::save(const std::string& path) const {
  model_->assets()["text_vectorization"] = vectorizer_.get_config();
  model_->assets()["labels"] = labels_;
  model_->assets()["task"] = Json{{"kind", "text_classification"}, {"arch", options_.arch}, {"level", options_.level}};
  model_.save(path);
}

std::vector<std::vector<std::int64_t>> TextClassifier::sequences(const std::vector<std::string>& texts) const {
  auto seqs = vectorizer_.vectorize_ragged(texts);
  for (auto& s : seqs)
    if (static_cast<std::int64_t>(s.size()) > options_.max_length) s.resize(static_cast<std::size_t>(options_.max_length));
  return seqs;
}

std::vector<std::int64_t> TextClassifier::label_ids(const LabelledTexts& data) const {
  std::map<std::string, std::int64_t> index;
  for (std::size_t i = 0; i < labels_.size(); ++i) index[labels_[i]] = static_cast<std::int64_t>(i);
  std::vector<std::int64_t> ids;
  for (std::size_t i = 0; i < data.labels.size(); ++i) {
    auto it = index.find(data.labels[i]);
    if (it == index.end())
      throw ValueError({.problem = fmt::format("{}:{}: label '{}' was not seen in training", data.source,
                                               data.lines.empty() ? 0 : data.lines[i], data.labels[i]),
                        .expected = fmt::format("one of the model's labels: {}", fmt::join(labels_, ", ")),
                        .found = "'" + data.labels[i] + "'",
                        .hint = "evaluate on data with the training labels, or retrain with this label"});
    ids.push_back(it->second);
  }
  return ids;
}

History TextClassifier::fit(const LabelledTexts& train, const LabelledTexts& valid) {
  data::BucketedBatches batches(sequences(train.texts), data::Targets::labels(label_ids(train)),
                                {.batch_size = options_.batch_size, .seed = options_.seed});
  data::BucketedBatches valid_batches(sequences(valid.texts), data::Targets::labels(label_ids(valid)),
                                      {.batch_size = options_.batch_size, .shuffle = false});
  std::vector<CallbackRef> callbacks{
      callbacks::EarlyStopping({.patience = options_.patience, .restore_best_weights = true})};
  if (!options_.log_csv.empty()) callbacks.push_back(callbacks::CSVLogger(options_.log_csv));
  return model_.fit(batches, {.epochs = options_.epochs,
                              .verbose = options_.verbose,
                              .callbacks = callbacks,
                              .validation_data = ValidationData{.source = &valid_batches},
                              .distribution = options_.distributed ? DataParallel() : nullptr});
}

Evaluation TextClassifier::evaluate(const LabelledTexts& data) {
  auto ids = label_ids(data);
  data::BucketedBatches batches(sequences(data.texts), data::Targets::labels(ids),
                                {.batch_size = 64, .shuffle = false});
  Evaluation e;
  e.logs = model_.evaluate(batches, {.verbose = 0});
  const std::size_t c = labels_.size();
  e.confusion.assign(c, std::vector<std::int64_t>(c, 0));
  for (std::int64_t b = 0; b < batches.size(); ++b) {
    Tensor probs = model_.predict_on_batch(batches.get(b).x);
    auto p = probs.to_vector<float>();
    const auto& rows = batches.batch_indices(b);
    for (std::size_t r = 0; r < rows.size(); ++r) {
      std::size_t best = static_cast<std::size_t>(std::max_element(p.begin() + r * c, p.begin() + (r + 1) * c) -
                                                  (p.begin() + r * c));
      e.confusion[static_cast<std::size_t>(ids[rows[r]])][best]++;
      e.count++;
    }
  }
  for (std::size_t k = 0; k < c; ++k) {
    std::int64_t tp = e.confusion[k][k], predicted = 0, actual = 0;
    for (std::size_t j = 0; j < c; ++j) {
      predicted += e.confusion[j][k];
      actual += e.confusion[k][j];
    }
    double p = predicted ? double(tp) / double(predicted) : 0.0, r = actual ? double(tp) / double(actual) : 0.0;
    e.precision.push_back(p);
    e.recall.push_back(r);
    e.f1.push_back(p + r > 0 ? 2 * p * r / (p + r) : 0.0);
  }
  return e;
}

std::vector<Prediction> TextClassifier::predict(const std::vector<std::string>& texts, int top_k) {
  std::vector<Prediction> out;
  if (texts.empty()) return out;
  data::BucketedBatches batches(sequences(texts), {.batch_size = 64, .shuffle = false});
  out.resize(texts.size());
  const std::size_t c = labels_.size();
  const std::size_t k = std::min<std::size_t>(static_cast<std::size_t>(std::max(top_k, 1)), c);
  for (std::int64_t b = 0; b < batches.size(); ++b) {
    Tensor probs = model_.predict_on_batch(batches.get(b).x);
    auto p = probs.to_vector<float>();
    const auto& rows = batches.batch_indices(b);
    for (std::size_t r = 0; r < rows.size(); ++r) {
      std::vector<std::size_t> order(c);
      for (std::size_t j = 0; j < c; ++j) order[j] = j;
      std::stable_sort(order.begin(), order.end(), [&](auto a, auto bb) { return p[r * c + a] > p[r * c + bb]; });
      for (std::size_t j = 0; j < k; ++j) out[rows[r]].top.push_back({labels_[order[j]], p[r * c + order[j]]});
    }
  }
  return out;
}

std::string format_report(const Evaluation& e, const std::vector<std::string>& labels) {
  std::size_t w = 5;
  for (const auto& l : labels) w = std::max(w, l.size());
  std::string out = fmt::format("{:<{}}  {:>9}  {:>6}  {:>6}\n", "class", w, "precision", "recall", "f1");
  for (std::size_t k = 0; k < labels.size(); ++k)
    out += fmt::format("{:<{}}  {:>9.3f}  {:>6.3f}  {:>6.3f}\n", labels[k], w, e.precision[k], e.recall[k], e.f1[k]);
  out += "\nconfusion matrix (rows: true, columns: predicted)\n";
  out += fmt::format("{:<{}}", "", w);
  for (std::size_t k = 0; k < labels.size(); ++k) out += fmt::format(" {:>6}", labels[k].substr(0, 6));
  out += "\n";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    out += fmt::format("{:<{}}", labels[i], w);
    for (std::size_t j = 0; j < labels.size(); ++j) out += fmt::format(" {:>6}", e.confusion[i][j]);
    out += "\n";
  }
  return out;
}

}  // namespace lamina::tools
