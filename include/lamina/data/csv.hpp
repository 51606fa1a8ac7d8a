#pragma once
// CSV files (RFC 4180): records separated by CRLF or LF, fields by commas; a field in double
// quotes may hold commas, quotes (doubled: "") and line breaks. The first record is the
// header (unless header = false); every record must have as many fields as the first.
//
//   auto table = lm::data::read_csv("digits.csv");
//   auto labels = table.column("label");
//
// Strict where RFC 4180 is: a quote inside an unquoted field, text after a closing quote, an
// unterminated quoted field, or a ragged row is a ValueError naming the row and its line.
// Lines that are completely empty (outside quotes) are ignored; a UTF-8 byte order mark at
// the start is dropped; the text must be valid UTF-8 (or invalid_utf8 = "replace").
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lamina::data {

struct CsvOptions {
  bool header = true;                  // the first record names the columns
  char delimiter = ',';                // e.g. ';' or '\t'; not '"', '\r' or '\n'
  std::string invalid_utf8 = "error";  // "error" | "replace" (U+FFFD)
};

struct CsvTable {
  std::vector<std::string> header;             // column names (empty when header = false)
  std::vector<std::vector<std::string>> rows;  // data records, all of the same width
  std::vector<std::int64_t> row_lines;         // the line where each row starts (1-based)
  std::string source;                          // the name given to parse_csv, for messages

  std::size_t size() const { return rows.size(); }
  // Index of the column named `name`; ValueError listing the columns when there is none.
  std::size_t column_index(std::string_view name) const;
  std::vector<std::string> column(std::string_view name) const;
};

CsvTable parse_csv(std::string_view bytes, const std::string& name = "<memory>", const CsvOptions& options = {});
// IOError naming the path when the file is missing or unreadable.
CsvTable read_csv(const std::string& path, const CsvOptions& options = {});

}  // namespace lamina::data
