// lamina predict MODEL [FILE|-]: label and probability for every line, streaming (it answers
// each line as it arrives, so it works at the end of a pipe).
// lamina predict MODEL --input x.npy [--input x2.npy ...] [--mask m.npy ...] --output y.npy:
// any model (Lamina's, .keras or .h5) on arrays; the outputs go to y.npy, y_1.npy, ... in
// the model's output order.
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli.hpp"
#include "lamina/core/config.hpp"
#include "lamina/core/error.hpp"
#include "lamina/data/utf8.hpp"
#include "lamina/io/keras.hpp"
#include "lamina/io/npy.hpp"
#include "lamina/model/model.hpp"
#include "text_classifier.hpp"

namespace lamina::tools {

namespace {

struct PredictArgs {
  std::string model, input = "-";
  std::vector<std::string> arrays, masks;  // --input, --mask
  std::string output;
  std::int64_t batch_size = 32;
  int top_k = 1;
  bool json = false;
  int threads = 0;
  std::string invalid_utf8 = "error";
};

void print(const Prediction& p, std::int64_t line, bool json, int top_k) {
  if (json) {
    Json top = Json::array();
    for (const auto& [label, prob] : p.top) top.push_back({{"label", label}, {"probability", prob}});
    Json out{{"line", line}, {"label", p.top[0].first}, {"probability", p.top[0].second}};
    if (top_k > 1) out["top_k"] = top;
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::string text;
    for (std::size_t k = 0; k < p.top.size(); ++k)
      text += fmt::format("{}{}\t{:.4f}", k ? "\t" : "", p.top[k].first, p.top[k].second);
    std::printf("%s\n", text.c_str());
  }
  std::fflush(stdout);
}

// y.npy, y_1.npy, y_2.npy, ...: output k of the model.
std::string output_path(const std::string& first, std::size_t k) {
  if (k == 0) return first;
  const std::size_t slash = first.find_last_of('/');
  const std::size_t dot = first.find_last_of('.');
  const bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
  return has_ext ? fmt::format("{}_{}{}", first.substr(0, dot), k, first.substr(dot)) : fmt::format("{}_{}", first, k);
}

void run_predict_arrays(const PredictArgs& a) {
  if (a.output.empty())
    throw ValueError({.problem = "--input needs --output",
                      .expected = "--output y.npy (the first output; y_1.npy, ... for the others)",
                      .found = "no --output",
                      .hint = "add --output predictions.npy"});
  Model model = io::load_any_model(a.model);
  if (a.arrays.size() != model.input_names().size())
    throw ValueError({.problem = fmt::format("'{}' takes {} input(s)", a.model, model.input_names().size()),
                      .expected = fmt::format("one --input per model input, in order: {}",
                                              fmt::join(model.input_names(), ", ")),
                      .found = fmt::format("{} --input", a.arrays.size()),
                      .hint = "lamina summary MODEL shows the inputs"});
  if (a.masks.size() > a.arrays.size())
    throw ValueError({.problem = "more --mask than --input",
                      .expected = fmt::format("at most {} --mask (one per input, in order)", a.arrays.size()),
                      .found = fmt::format("{} --mask", a.masks.size()),
                      .hint = "give the masks in the order of the inputs they belong to"});
  TensorList xs;
  for (std::size_t i = 0; i < a.arrays.size(); ++i) {
    Tensor x = io::load_npy(a.arrays[i]);
    if (i < a.masks.size()) {
      Tensor m = io::load_npy(a.masks[i]);
      if (m.dtype() != Bool || m.rank() < 1 || m.rank() > x.rank() || m.shape() != x.shape().prefix(m.rank()))
        throw ValueError({.problem = fmt::format("'{}' is not a mask of '{}'", a.masks[i], a.arrays[i]),
                          .expected = fmt::format("a bool array whose shape is a leading part of {}", x.shape().str()),
                          .found = fmt::format("{} {}", std::string(dtype_name(m.dtype())), m.shape().str()),
                          .hint = "save it from NumPy as x != 0 (dtype bool), e.g. shape (batch, time)"});
      x = x.with_mask(m);
    }
    xs.push_back(x);
  }
  Outputs ys = model.predict(Data(xs), {.batch_size = a.batch_size});
  for (std::size_t k = 0; k < ys.size(); ++k) {
    const std::string path = output_path(a.output, k);
    io::save_npy(path, ys[k].without_mask());
    const std::string name = k < model.output_names().size() ? model.output_names()[k] : "";
    std::printf("wrote %s: %s %s %s\n", path.c_str(), name.c_str(), std::string(dtype_name(ys[k].dtype())).c_str(),
                ys[k].shape().str().c_str());
  }
}

void run_predict(const PredictArgs& a) {
  if (a.threads > 0) set_num_threads(a.threads);
  if (!a.arrays.empty()) return run_predict_arrays(a);
  if (!a.masks.empty() || !a.output.empty())
    throw ValueError({.problem = "--mask and --output go with --input",
                      .expected = "--input x.npy [--mask m.npy] --output y.npy, or text lines",
                      .found = "no --input",
                      .hint = "lamina predict MODEL --input x.npy --output y.npy"});
  TextClassifier classifier = TextClassifier::load(a.model);
  std::FILE* in = a.input == "-" ? stdin : std::fopen(a.input.c_str(), "rb");
  if (!in)
    throw IOError({.problem = fmt::format("cannot open '{}'", a.input),
                   .expected = "a readable file, or - for standard input",
                   .found = std::strerror(errno),
                   .hint = "check the path"});
  std::int64_t line_number = 0, empty = 0;
  std::string line;
  char buf[1 << 16];
  auto handle = [&](std::string text) {
    ++line_number;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    text = data::checked_utf8(text, a.invalid_utf8, {.source = a.input == "-" ? "<stdin>" : a.input, .line = line_number});
    if (text.find_first_not_of(" \t") == std::string::npos) {
      ++empty;  // nothing to classify: documented as skipped, counted at the end
      return;
    }
    print(classifier.predict({text}, a.top_k)[0], line_number, a.json, a.top_k);
  };
  while (std::fgets(buf, sizeof buf, in)) {
    line += buf;
    if (!line.empty() && line.back() == '\n') {
      line.pop_back();
      handle(std::move(line));
      line.clear();
    }
  }
  if (!line.empty()) handle(std::move(line));
  if (in != stdin) std::fclose(in);
  if (empty) std::fprintf(stderr, "lamina: skipped %lld empty line(s)\n", (long long)empty);
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto a = std::make_shared<PredictArgs>();
  CLI::App* cmd = app.add_subcommand("predict", "Label and probability for every line of text, or outputs for arrays");
  cmd->add_option("MODEL", a->model, "A model saved by `lamina train`")->required();
  cmd->add_option("INPUT", a->input, "Text lines to classify, or - for standard input")->capture_default_str();
  cmd->add_option("--top-k", a->top_k, "Print the K most likely labels")->check(CLI::PositiveNumber);
  cmd->add_flag("--json", a->json, "One JSON object per line: {\"line\", \"label\", \"probability\", \"top_k\"}");
  cmd->add_option("--invalid-utf8", a->invalid_utf8, "error, or replace (with U+FFFD)")
      ->check(CLI::IsMember({"error", "replace"}));
  cmd->add_option("--input", a->arrays, "An input array (.npy), one per model input in order; any model")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--mask", a->masks, "A bool .npy mask for the input of the same position (optional)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--output", a->output, "Where the first output goes (.npy); others go to NAME_1.npy, ...");
  cmd->add_option("--batch-size", a->batch_size, "Rows per forward pass with --input")->check(CLI::PositiveNumber);
  cmd->add_option("--threads", a->threads, "Threads (default: all cores)")->check(CLI::NonNegativeNumber);
  cmd->callback([a] { run_predict(*a); });
}

}  // namespace lamina::tools
