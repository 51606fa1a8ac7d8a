#include "lamina/data/tsv.hpp"

#include <fmt/format.h>

#include <optional>

#include "data/file_bytes.hpp"
#include "data/lines.hpp"
#include "data/printable.hpp"
#include "lamina/core/error.hpp"
#include "lamina/data/utf8.hpp"

namespace lamina::data {

namespace {

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r\v\f") == std::string_view::npos; }

// What is wrong with a (valid UTF-8) line, or nullopt.
std::optional<std::string> malformed(std::string_view line) {
  std::size_t tab = line.find('\t');
  if (tab == std::string_view::npos) return "no TAB between label and text";
  if (tab == 0) return "the label before the TAB is empty";
  if (blank(line.substr(tab + 1))) return "the text after the TAB is empty";
  return std::nullopt;
}

}  // namespace

TsvData parse_tsv(std::string_view bytes, const std::string& name, const TsvOptions& options) {
  check_invalid_utf8_option(options.invalid_utf8, "parse_tsv invalid_utf8");
  TsvData out;
  detail::for_each_line(bytes, [&](std::string_view raw, std::int64_t number) {
    if (blank(raw)) return;
    std::string line;
    if (auto bad = find_invalid_utf8(raw)) {
      if (options.invalid_utf8 == "replace") {
        line = replace_invalid_utf8(raw);
      } else if (options.skip_bad_lines) {
        out.skipped.push_back({number, fmt::format("invalid UTF-8 at byte offset {}", *bad)});
        return;
      } else {
        throw_invalid_utf8(raw, *bad, {.source = name, .line = number});
      }
    } else {
      line = raw;
    }
    if (auto why = malformed(line)) {
      if (options.skip_bad_lines) {
        out.skipped.push_back({number, *why});
        return;
      }
      throw ValueError({.problem = fmt::format("malformed line {} of '{}': {}", number, name, *why),
                        .expected = "label<TAB>text on every line, both non-empty",
                        .found = fmt::format("\"{}\"", detail::printable(line, 80)),
                        .hint = "fix or remove the line, or pass skip_bad_lines = true to skip such lines"});
    }
    std::size_t tab = line.find('\t');
    out.labels.push_back(line.substr(0, tab));
    out.texts.push_back(line.substr(tab + 1));
    out.lines.push_back(number);
  });
  return out;
}

TsvData read_tsv(const std::string& path, const TsvOptions& options) {
  return parse_tsv(detail::read_file_bytes(path), path, options);
}

}  // namespace lamina::data
