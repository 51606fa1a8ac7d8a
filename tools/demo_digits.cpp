// lamina demo digits: an MLP on the 1,797 8x8 handwritten digits shipped in data/digits.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "demos.hpp"
#include "cli.hpp"
#include "lamina/core/error.hpp"
#include "lamina/core/random.hpp"
#include "lamina/io/gzip.hpp"
#include "lamina/lamina.hpp"
#include "plots.hpp"

namespace lamina::tools {

using namespace lamina::layers;

namespace {

// digits.csv: 64 pixel values (0..16) then the label, one image per line, no header.
void read_digits(const std::string& path, std::vector<float>& pixels, std::vector<std::int32_t>& labels) {
  std::string text = io::read_maybe_gzip(path);
  std::size_t pos = 0, line = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string row = text.substr(pos, end - pos);
    pos = end + 1;
    ++line;
    if (row.empty() || row == "\r") continue;
    std::vector<double> values;
    std::size_t start = 0;
    while (start <= row.size()) {
      std::size_t comma = row.find(',', start);
      if (comma == std::string::npos) comma = row.size();
      try {
        std::size_t used = 0;
        std::string field = row.substr(start, comma - start);
        values.push_back(std::stod(field, &used));
        if (used == 0) throw std::invalid_argument(field);
      } catch (const std::exception&) {
        throw ValueError({.problem = fmt::format("{}:{}: a field is not a number", path, line),
                          .expected = "65 numbers separated by commas",
                          .found = row.substr(0, 80),
                          .hint = "check the data with bash scripts/check_data.sh"});
      }
      start = comma + 1;
    }
    if (values.size() != 65 || values[64] < 0 || values[64] > 9)
      throw ValueError({.problem = fmt::format("{}:{}: not an 8x8 image and a digit", path, line),
                        .expected = "64 pixels and a label 0..9",
                        .found = fmt::format("{} fields", values.size()),
                        .hint = "check the data with bash scripts/check_data.sh"});
    for (int i = 0; i < 64; ++i) pixels.push_back(static_cast<float>(values[i] / 16.0));
    labels.push_back(static_cast<std::int32_t>(values[64]));
  }
}

}  // namespace

void run_demo_digits(const DemoArgs& a) {
  std::filesystem::create_directories(a.out);
  std::vector<float> pixels;
  std::vector<std::int32_t> labels;
  read_digits(data_dir(a.data) + "/digits/digits.csv.gz", pixels, labels);
  const auto n = static_cast<std::int64_t>(labels.size());
  // A fixed shuffle, then 80% for training (the last 20% held out by fit's validation_split).
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) order[i] = i;
  Generator g(a.seed);
  for (std::int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[static_cast<std::int64_t>(g.uniform() * (i + 1))]);
  std::vector<float> xs;
  std::vector<std::int32_t> ys;
  for (auto i : order) {
    xs.insert(xs.end(), pixels.begin() + i * 64, pixels.begin() + (i + 1) * 64);
    ys.push_back(labels[i]);
  }
  Tensor x = tensor(xs, Shape{n, 64}), y = tensor(ys, Shape{n});
  std::printf("Handwritten digits: %lld images of 8x8 pixels, 10 classes\n", static_cast<long long>(n));
  set_seed(a.seed);
  Sequential model({Input({64}), Dense(64, {.activation = "relu"}), Dense(64, {.activation = "relu"}),
                    Dense(10, {.activation = "softmax"})},
                   "digits_mlp");
  model.compile({.optimizer = optimizers::Adam(1e-2), .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  model.summary();
  History h = model.fit(x, y, {.batch_size = 32, .epochs = a.quick ? 1 : (a.epochs > 0 ? a.epochs : 30),
                               .verbose = a.verbose == 1 ? 2 : a.verbose, .validation_split = 0.2});
  std::printf("validation accuracy: %.4f\n", h["val_accuracy"].back());
  std::string path = a.out + "/digits.lamina";
  model.save(path);
  std::printf("saved %s\n", path.c_str());
  if (!a.no_plots) {
    plot_history(h, a.out + "/digits_curves", "Digits MLP");
    std::printf("Pictures: %s/digits_curves.png (and .svg)\n", a.out.c_str());
  }
}

}  // namespace lamina::tools
