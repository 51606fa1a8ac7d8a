#include "lamina/data/csv.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "data/file_bytes.hpp"
#include "data/lines.hpp"
#include "data/printable.hpp"
#include "lamina/core/error.hpp"
#include "lamina/data/utf8.hpp"

namespace lamina::data {

namespace {

std::string columns_text(const std::vector<std::string>& header) {
  std::string s;
  for (const auto& h : header) {
    if (s.size() > 200) return s + ", ...";
    s += (s.empty() ? "" : ", ") + fmt::format("\"{}\"", detail::printable(h, 40));
  }
  return s;
}

// The text, checked (or repaired) as UTF-8; an error names the physical line and the byte
// offset within it.
std::string checked_text(std::string_view bytes, const std::string& name, const std::string& policy) {
  auto bad = find_invalid_utf8(bytes);
  if (!bad) return std::string(bytes);
  if (policy == "replace") return replace_invalid_utf8(bytes);
  std::size_t begin = bytes.rfind('\n', *bad);
  begin = begin == std::string_view::npos ? 0 : begin + 1;
  std::size_t end = std::min(bytes.find('\n', *bad), bytes.size());
  auto line =
      static_cast<std::int64_t>(std::count(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(begin), '\n')) +
      1;
  throw_invalid_utf8(bytes.substr(begin, end - begin), *bad - begin, {.source = name, .line = line});
}

class Parser {
 public:
  Parser(std::string_view text, const std::string& name, char delimiter) : s_(text), name_(name), delim_(delimiter) {}

  bool done() const { return pos_ >= s_.size(); }
  std::int64_t line() const { return line_; }

  // The next record; an empty vector for a completely empty line.
  std::vector<std::string> record(std::int64_t row) {
    std::vector<std::string> fields;
    const std::int64_t start_line = line_;
    if (at_line_end()) {  // an empty line
      skip_line_end();
      return fields;
    }
    while (true) {
      fields.push_back(peek() == '"' ? quoted(row, start_line) : unquoted(row));
      if (done()) break;
      if (s_[pos_] == delim_) {
        ++pos_;
        continue;
      }
      skip_line_end();  // field() stops only at a delimiter or a line end
      break;
    }
    return fields;
  }

 private:
  char peek() const { return done() ? '\0' : s_[pos_]; }
  // "\n", "\r\n", or a "\r" ending the text (a lone "\r" elsewhere is data).
  bool at_line_end() const {
    if (done()) return false;
    if (s_[pos_] == '\n') return true;
    return s_[pos_] == '\r' && (pos_ + 1 == s_.size() || s_[pos_ + 1] == '\n');
  }
  void skip_line_end() {
    if (peek() == '\r') ++pos_;
    if (peek() == '\n') ++pos_, ++line_;
  }

  [[noreturn]] void fail(std::int64_t row, std::int64_t line, const std::string& problem, std::string found,
                         const std::string& hint) const {
    throw ValueError(
        {.problem = fmt::format("malformed CSV in '{}', {} (line {}): {}", name_, row_name(row), line, problem),
         .expected = "RFC 4180 CSV: fields separated by the delimiter, quoted fields in \"...\" with \"\" for a quote",
         .found = std::move(found),
         .hint = hint});
  }
  static std::string row_name(std::int64_t row) { return row == 0 ? "the header" : fmt::format("row {}", row); }

  std::string context() const {
    std::size_t begin = s_.rfind('\n', pos_ == 0 ? 0 : pos_ - 1);
    begin = begin == std::string_view::npos ? 0 : begin + 1;
    std::size_t end = std::min(s_.find('\n', pos_), s_.size());
    return fmt::format("byte offset {} of the line: \"{}\"", pos_ - begin,
                       detail::printable(s_.substr(begin, end - begin), 80));
  }

  std::string unquoted(std::int64_t row) {
    std::size_t begin = pos_;
    while (!done() && s_[pos_] != delim_ && !at_line_end()) {
      if (s_[pos_] == '"')
        fail(row, line_, "a quote inside an unquoted field", context(),
             "put the whole field in quotes and double the quotes inside it: \"say \"\"hi\"\"\"");
      ++pos_;
    }
    return std::string(s_.substr(begin, pos_ - begin));
  }

  std::string quoted(std::int64_t row, std::int64_t start_line) {
    const std::int64_t open_line = line_;
    ++pos_;  // the opening quote
    std::string out;
    while (true) {
      if (done())
        fail(row, start_line, fmt::format("the quoted field opened on line {} is never closed", open_line),
             "the end of the file inside quotes", "add the closing quote (a quote inside a field is written \"\")");
      char c = s_[pos_++];
      if (c == '"') {
        if (peek() == '"') {
          out += '"';
          ++pos_;
          continue;
        }
        if (!done() && s_[pos_] != delim_ && !at_line_end())
          fail(row, line_, "text after the closing quote of a field", context(),
               "a quote inside a quoted field is written twice (\"\"); the delimiter must follow the closing quote");
        return out;
      }
      if (c == '\n') ++line_;
      out += c;
    }
  }

  std::string_view s_;
  const std::string& name_;
  char delim_;
  std::size_t pos_ = 0;
  std::int64_t line_ = 1;
};

}  // namespace

std::size_t CsvTable::column_index(std::string_view name) const {
  auto it = std::find(header.begin(), header.end(), name);
  if (it == header.end())
    throw ValueError({.problem = fmt::format("'{}' has no column \"{}\"", source, detail::printable(name)),
                      .expected = header.empty() ? std::string("a header (this table was read with header = false)")
                                                 : "one of the columns " + columns_text(header),
                      .found = fmt::format("\"{}\"", detail::printable(name)),
                      .hint = header.empty() ? "read the file with header = true, or index the rows by position"
                                             : "column names are case-sensitive"});
  return static_cast<std::size_t>(it - header.begin());
}

std::vector<std::string> CsvTable::column(std::string_view name) const {
  std::size_t k = column_index(name);
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(r[k]);
  return out;
}

CsvTable parse_csv(std::string_view bytes, const std::string& name, const CsvOptions& options) {
  check_invalid_utf8_option(options.invalid_utf8, "parse_csv invalid_utf8");
  if (options.delimiter == '"' || options.delimiter == '\r' || options.delimiter == '\n' ||
      static_cast<unsigned char>(options.delimiter) >= 0x80)
    throw ValueError({.problem = "the CSV delimiter cannot be a quote, a line break or a non-ASCII byte",
                      .expected = "an ASCII delimiter such as ',', ';' or '\\t'",
                      .found = fmt::format("delimiter 0x{:02X}", static_cast<unsigned char>(options.delimiter))});
  const std::string text = checked_text(detail::strip_bom(bytes), name, options.invalid_utf8);
  CsvTable table;
  table.source = name;
  Parser p(text, name, options.delimiter);
  std::size_t width = 0;
  bool first = true;
  std::int64_t row = options.header ? 0 : 1;  // 0 is the header
  while (!p.done()) {
    std::int64_t line = p.line();
    auto fields = p.record(row);
    if (fields.empty()) continue;  // an empty line
    if (first) {
      width = fields.size();
      first = false;
      if (options.header) {
        std::set<std::string> seen;
        for (const auto& f : fields)
          if (!seen.insert(f).second)
            throw ValueError({.problem = fmt::format("the header of '{}' names a column twice", name),
                              .expected = "distinct column names",
                              .found = fmt::format("\"{}\" repeated in {}", detail::printable(f), columns_text(fields)),
                              .hint = "rename one of the columns"});
        table.header = std::move(fields);
        row = 1;
        continue;
      }
    } else if (fields.size() != width) {
      throw ValueError(
          {.problem = fmt::format("ragged CSV in '{}': row {} (line {}) has {} field{}", name, row, line, fields.size(),
                                  fields.size() == 1 ? "" : "s"),
           .expected = options.header
                           ? fmt::format("{} fields, as the header has ({})", width, columns_text(table.header))
                           : fmt::format("{} fields, as the first row has", width),
           .found = fmt::format("{} field{}", fields.size(), fields.size() == 1 ? "" : "s"),
           .hint = "quote fields that contain the delimiter; every row needs a value (maybe empty) for each column"});
    }
    table.rows.push_back(std::move(fields));
    table.row_lines.push_back(line);
    ++row;
  }
  if (options.header && first)
    throw ValueError({.problem = fmt::format("'{}' has no header: it is empty", name),
                      .expected = "a first line naming the columns",
                      .found = "no records",
                      .hint = "pass header = false for a file without a header"});
  return table;
}

CsvTable read_csv(const std::string& path, const CsvOptions& options) {
  return parse_csv(detail::read_file_bytes(path), path, options);
}

}  // namespace lamina::data
