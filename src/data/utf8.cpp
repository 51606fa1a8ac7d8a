#include "lamina/data/utf8.hpp"

#include <fmt/format.h>

#include "data/printable.hpp"
#include "lamina/core/error.hpp"

namespace lamina::data {

namespace {

unsigned char byte_at(std::string_view s, std::size_t i) { return static_cast<unsigned char>(s[i]); }

// Why the sequence at `offset` is ill-formed, in words.
std::string reason(std::string_view s, std::size_t offset) {
  unsigned char c = byte_at(s, offset);
  if (c >= 0x80 && c <= 0xBF) return "a continuation byte with no lead byte before it";
  if (c == 0xC0 || c == 0xC1 || c >= 0xF5) return "a byte that never occurs in UTF-8";
  Utf8Step step = decode_utf8_step(s, offset);
  std::size_t next = offset + step.length;
  if (next >= s.size()) return "a multi-byte sequence cut off by the end of the text";
  unsigned char d = byte_at(s, next);
  if (step.length == 1) {
    if ((c == 0xE0 && d >= 0x80 && d <= 0x9F) || (c == 0xF0 && d >= 0x80 && d <= 0x8F)) return "an overlong encoding";
    if (c == 0xED && d >= 0xA0 && d <= 0xBF) return "an encoded surrogate (U+D800..U+DFFF)";
    if (c == 0xF4 && d >= 0x90 && d <= 0xBF) return "a code point above U+10FFFF";
  }
  return fmt::format("a lead byte 0x{:02X} not followed by enough continuation bytes", c);
}

// A short excerpt around `offset`, printable (see detail::printable).
std::string excerpt(std::string_view s, std::size_t offset) {
  std::size_t begin = offset > 24 ? offset - 24 : 0;
  for (int k = 0; k < 3 && begin > 0 && (byte_at(s, begin) & 0xC0) == 0x80; ++k) --begin;
  std::size_t end = std::min(s.size(), offset + 16);
  return (begin > 0 ? "..." : "") + detail::printable(s.substr(begin, end - begin), 1000) +
         (end < s.size() ? "..." : "");
}

}  // namespace

Utf8Step decode_utf8_step(std::string_view s, std::size_t pos) {
  unsigned char c = byte_at(s, pos);
  if (c < 0x80) return {c, 1, true};
  int need = 0;
  char32_t cp = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the next byte (Table 3-7)
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1, cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2, cp = c & 0x0F;
    if (c == 0xE0) lo = 0xA0;  // overlong below U+0800
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3, cp = c & 0x07;
    if (c == 0xF0) lo = 0x90;  // overlong below U+10000
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return {kReplacementCharacter, 1, false};
  }
  std::size_t i = pos + 1;
  for (int k = 0; k < need; ++k, ++i) {
    if (i >= s.size() || byte_at(s, i) < lo || byte_at(s, i) > hi)
      return {kReplacementCharacter, static_cast<std::uint8_t>(i - pos), false};
    cp = (cp << 6) | (byte_at(s, i) & 0x3F);
    lo = 0x80, hi = 0xBF;
  }
  return {cp, static_cast<std::uint8_t>(need + 1), true};
}

std::optional<std::size_t> find_invalid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    if (byte_at(s, i) < 0x80) {  // ASCII fast path
      ++i;
      continue;
    }
    Utf8Step step = decode_utf8_step(s, i);
    if (!step.valid) return i;
    i += step.length;
  }
  return std::nullopt;
}

std::string replace_invalid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    Utf8Step step = decode_utf8_step(s, i);
    if (step.valid)
      out.append(s.substr(i, step.length));
    else
      append_utf8(out, kReplacementCharacter);
    i += step.length;
  }
  return out;
}

std::vector<char32_t> decode_utf8(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    Utf8Step step = decode_utf8_step(s, i);
    out.push_back(step.code_point);
    i += step.length;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = kReplacementCharacter;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string encode_utf8(const std::vector<char32_t>& code_points) {
  std::string out;
  out.reserve(code_points.size());
  for (char32_t cp : code_points) append_utf8(out, cp);
  return out;
}

void check_invalid_utf8_option(std::string_view value, std::string_view option) {
  if (value == "error" || value == "replace") return;
  throw ValueError({.problem = fmt::format("unknown {} option", option),
                    .expected = R"("error" (the default) or "replace")",
                    .found = fmt::format("{} = \"{}\"", option, detail::printable(value)),
                    .hint = R"("replace" substitutes U+FFFD for each invalid sequence)"});
}

void throw_invalid_utf8(std::string_view text, std::size_t offset, const TextOrigin& origin) {
  std::string where;
  if (origin.line > 0) where = fmt::format(" in {} {}", origin.line_word, origin.line);
  if (!origin.source.empty()) where += fmt::format(" {} '{}'", origin.line > 0 ? "of" : "in", origin.source);
  std::string unit = origin.line > 0 ? origin.line_word : std::string("text");
  throw ValueError(
      {.problem = "invalid UTF-8" + where,
       .expected = "UTF-8 text",
       .found = fmt::format("byte 0x{:02X} at byte offset {} of the {} ({}): \"{}\"", byte_at(text, offset), offset,
                            unit, reason(text, offset), excerpt(text, offset)),
       .hint = "convert the text to UTF-8 (e.g. iconv -f latin1 -t utf-8), or pass "
               "invalid_utf8 = \"replace\" to substitute U+FFFD for invalid bytes"});
}

std::string checked_utf8(std::string_view text, std::string_view policy, const TextOrigin& origin) {
  auto bad = find_invalid_utf8(text);
  if (!bad) return std::string(text);
  if (policy == "replace") return replace_invalid_utf8(text);
  throw_invalid_utf8(text, *bad, origin);
}

namespace detail {

std::string printable(std::string_view s, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    if (out.size() >= limit) {
      out += "...";
      break;
    }
    Utf8Step step = decode_utf8_step(s, i);
    if (!step.valid) {
      for (std::size_t k = 0; k < step.length; ++k) out += fmt::format("\\x{:02X}", byte_at(s, i + k));
    } else if (step.code_point < 0x20 || step.code_point == 0x7F) {
      out += fmt::format("\\x{:02X}", static_cast<unsigned>(step.code_point));
    } else {
      out.append(s.substr(i, step.length));
    }
    i += step.length;
  }
  return out;
}

}  // namespace detail

}  // namespace lamina::data
