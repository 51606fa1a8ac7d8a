#include "lamina/data/text_lines.hpp"

#include "data/file_bytes.hpp"
#include "data/lines.hpp"
#include "lamina/data/utf8.hpp"

namespace lamina::data {

namespace {

bool blank(std::string_view line) { return line.find_first_not_of(" \t\r\v\f") == std::string_view::npos; }

}  // namespace

std::vector<std::string> parse_lines(std::string_view bytes, const std::string& name, const LineOptions& options) {
  check_invalid_utf8_option(options.invalid_utf8, "parse_lines invalid_utf8");
  std::vector<std::string> out;
  detail::for_each_line(bytes, [&](std::string_view line, std::int64_t number) {
    if (options.skip_empty && blank(line)) return;
    out.push_back(checked_utf8(line, options.invalid_utf8, {.source = name, .line = number}));
  });
  return out;
}

std::vector<std::string> read_lines(const std::string& path, const LineOptions& options) {
  return parse_lines(detail::read_file_bytes(path), path, options);
}

}  // namespace lamina::data
