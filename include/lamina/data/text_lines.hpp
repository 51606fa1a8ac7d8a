#pragma once
// Plain text files, one example per line (e.g. a corpus for a language model, or the input of
// `predict`). Lines end at "\n"; a "\r" before it is dropped (CRLF files), a UTF-8 byte order
// mark at the start is dropped, and a final "\n" does not add an empty line.
#include <string>
#include <string_view>
#include <vector>

namespace lamina::data {

struct LineOptions {
  bool skip_empty = false;             // leave out lines that are empty or only whitespace
  std::string invalid_utf8 = "error";  // "error": ValueError naming the line; "replace": U+FFFD
};

// `name` (a file name, or "<memory>") appears in error messages.
std::vector<std::string> parse_lines(std::string_view bytes, const std::string& name = "<memory>",
                                     const LineOptions& options = {});
// IOError naming the path when the file is missing or unreadable.
std::vector<std::string> read_lines(const std::string& path, const LineOptions& options = {});

}  // namespace lamina::data
