#pragma once
// UTF-8 decoding and validation for text read from untrusted files.
//
// Well-formed UTF-8 is exactly Unicode's Table 3-7: no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF. An ill-formed sequence is replaced, when asked,
// by one U+FFFD per "maximal subpart" (Unicode's recommended practice, as Python and web
// browsers do): a lead byte with the continuation bytes that were still possible, or a lone
// byte that cannot start a sequence.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lamina::data {

inline constexpr char32_t kReplacementCharacter = 0xFFFD;

// One decoding step at byte `pos` of `s` (pos < s.size()).
struct Utf8Step {
  char32_t code_point;  // U+FFFD when invalid
  std::uint8_t length;  // bytes consumed (>= 1): the sequence, or the maximal invalid subpart
  bool valid;
};
Utf8Step decode_utf8_step(std::string_view s, std::size_t pos);

// Byte offset of the first ill-formed sequence, or nullopt for valid UTF-8.
std::optional<std::size_t> find_invalid_utf8(std::string_view s);
// `s` with every maximal invalid subpart replaced by U+FFFD (EF BF BD).
std::string replace_invalid_utf8(std::string_view s);
// Code points of `s` (invalid subparts decode to U+FFFD).
std::vector<char32_t> decode_utf8(std::string_view s);
// Appends the UTF-8 encoding of `cp`; surrogates and values above U+10FFFF append U+FFFD.
void append_utf8(std::string& out, char32_t cp);
std::string encode_utf8(const std::vector<char32_t>& code_points);

// Where a piece of text came from, for error messages.
struct TextOrigin {
  std::string source;              // file name or "<memory>"; "" to leave it out
  std::int64_t line = 0;           // 1-based line (or input) number; 0 when there is none
  std::string line_word = "line";  // "line", or e.g. "text" for the n-th input string
};

// The invalid_utf8 option of the readers and of TextVectorization: "error" or "replace".
// ValueError naming `option` (e.g. "TextVectorization invalid_utf8") for anything else.
void check_invalid_utf8_option(std::string_view value, std::string_view option);

// `text` when it is valid UTF-8; otherwise, with policy "replace", the text with U+FFFD
// substitutions, and with "error" a ValueError naming the origin, the byte offset (0-based,
// within `text`) and the offending bytes.
std::string checked_utf8(std::string_view text, std::string_view policy, const TextOrigin& origin);
// The ValueError for an ill-formed sequence at byte `offset` of `text`.
[[noreturn]] void throw_invalid_utf8(std::string_view text, std::size_t offset, const TextOrigin& origin);

}  // namespace lamina::data
