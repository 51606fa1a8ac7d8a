// lamina predict MODEL [FILE|-]: label and probability for every line, streaming (it answers
// each line as it arrives, so it works at the end of a pipe).
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli.hpp"
#include "lamina/core/config.hpp"
#include "lamina/core/error.hpp"
#include "lamina/data/utf8.hpp"
#include "text_classifier.hpp"

namespace lamina::tools {

namespace {

struct PredictArgs {
  std::string model, input = "-";
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

void run_predict(const PredictArgs& a) {
  if (a.threads > 0) set_num_threads(a.threads);
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
  CLI::App* cmd = app.add_subcommand("predict", "Label and probability for every line of text");
  cmd->add_option("MODEL", a->model, "A model saved by `lamina train`")->required();
  cmd->add_option("INPUT", a->input, "Text lines to classify, or - for standard input")->capture_default_str();
  cmd->add_option("--top-k", a->top_k, "Print the K most likely labels")->check(CLI::PositiveNumber);
  cmd->add_flag("--json", a->json, "One JSON object per line: {\"line\", \"label\", \"probability\", \"top_k\"}");
  cmd->add_option("--invalid-utf8", a->invalid_utf8, "error, or replace (with U+FFFD)")
      ->check(CLI::IsMember({"error", "replace"}));
  cmd->add_option("--threads", a->threads, "Threads (default: all cores)")->check(CLI::NonNegativeNumber);
  cmd->callback([a] { run_predict(*a); });
}

}  // namespace lamina::tools
