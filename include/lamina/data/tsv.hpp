#pragma once
// Labelled text in TSV files: one example per line, `label<TAB>text`.
//
//   auto data = lm::data::read_tsv("train.tsv");            // ValueError naming a bad line
//   auto lenient = lm::data::read_tsv("train.tsv", {.skip_bad_lines = true});
//   lenient.skipped.size();                                 // how many lines were left out
//
// Rules: lines as in text_lines.hpp; a line that is empty or only whitespace is ignored (it
// is no example and no error); otherwise the label is everything before the first TAB and
// the text everything after it (further TABs belong to the text). A line is malformed when
// it has no TAB, its label is empty, or its text is empty or only whitespace -- and, with
// invalid_utf8 = "error", when it is not valid UTF-8.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lamina::data {

struct TsvOptions {
  bool skip_bad_lines = false;         // skip malformed lines (listed in `skipped`) instead of ValueError
  std::string invalid_utf8 = "error";  // "error" | "replace" (U+FFFD)
};

struct SkippedLine {
  std::int64_t line;   // 1-based line number
  std::string reason;  // e.g. "no TAB between label and text"
};

struct TsvData {
  std::vector<std::string> labels;
  std::vector<std::string> texts;
  std::vector<std::int64_t> lines;  // the line number of each example
  std::vector<SkippedLine> skipped;
  std::size_t size() const { return texts.size(); }
};

TsvData parse_tsv(std::string_view bytes, const std::string& name = "<memory>", const TsvOptions& options = {});
// IOError naming the path when the file is missing or unreadable.
TsvData read_tsv(const std::string& path, const TsvOptions& options = {});

}  // namespace lamina::data
