#pragma once
// Splitting file contents into lines the way every data reader does (library-internal):
// a UTF-8 byte order mark at the very start is dropped, lines end at "\n", a "\r" right
// before the "\n" (or at the end of the last line) is dropped, and a final "\n" does not
// start another line.
#include <cstdint>
#include <string_view>

namespace lamina::data::detail {

inline std::string_view strip_bom(std::string_view bytes) {
  return bytes.substr(0, 3) == "\xEF\xBB\xBF" ? bytes.substr(3) : bytes;
}

// Calls fn(line, number) for each line (number is 1-based); the views point into `bytes`.
template <class Fn>
void for_each_line(std::string_view bytes, Fn&& fn) {
  bytes = strip_bom(bytes);
  std::int64_t number = 0;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t end = bytes.find('\n', pos);
    std::size_t next = end == std::string_view::npos ? bytes.size() : end + 1;
    if (end == std::string_view::npos) end = bytes.size();
    std::string_view line = bytes.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    fn(line, ++number);
    pos = next;
  }
}

}  // namespace lamina::data::detail
