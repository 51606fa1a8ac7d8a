#include "data/unicode.hpp"

namespace lamina::data::detail {

namespace {

bool even(char32_t c) { return c % 2 == 0; }

// Blocks where upper and lower case alternate: [first, last] with the capital on even
// (or odd) code points and its small letter right after it.
struct Alternating {
  char32_t first, last;
  bool capital_even;
};
constexpr Alternating kAlternating[] = {
    {0x0100, 0x012F, true},  {0x0132, 0x0137, true}, {0x0139, 0x0148, false}, {0x014A, 0x0177, true},
    {0x0179, 0x017E, false}, {0x0370, 0x0373, true}, {0x0376, 0x0377, true},  {0x03D8, 0x03EF, true},
    {0x0460, 0x0481, true},  {0x048A, 0x04BF, true}, {0x04C1, 0x04CE, false}, {0x04D0, 0x052F, true},
    {0x1E00, 0x1E95, true},  {0x1EA0, 0x1EFF, true},
};

// Capitals whose small letter is at a fixed distance: [first, last] -> c + delta.
struct Shifted {
  char32_t first, last;
  int delta;
};
constexpr Shifted kShifted[] = {
    {0x0041, 0x005A, 0x20}, {0x00C0, 0x00D6, 0x20}, {0x00D8, 0x00DE, 0x20}, {0x0388, 0x038A, 0x25},
    {0x038E, 0x038F, 0x3F}, {0x0391, 0x03A1, 0x20}, {0x03A3, 0x03AB, 0x20}, {0x03FD, 0x03FF, -0x82},
    {0x0400, 0x040F, 0x50}, {0x0410, 0x042F, 0x20}, {0x0531, 0x0556, 0x30}, {0xFF21, 0xFF3A, 0x20},
};

// Single capitals that fit no pattern.
struct Single {
  char32_t capital, small;
};
constexpr Single kSingles[] = {
    {0x0130, 0x0069},  // LATIN CAPITAL LETTER I WITH DOT ABOVE -> i (simple mapping)
    {0x0178, 0x00FF},  // Y WITH DIAERESIS
    {0x037F, 0x03F3},  // GREEK CAPITAL LETTER YOT
    {0x0386, 0x03AC},  // ALPHA WITH TONOS
    {0x038C, 0x03CC},  // OMICRON WITH TONOS
    {0x03CF, 0x03D7},  // KAI SYMBOL
    {0x03F4, 0x03B8},  // CAPITAL THETA SYMBOL
    {0x03F7, 0x03F8},  // SHO
    {0x03F9, 0x03F2},  // CAPITAL LUNATE SIGMA
    {0x03FA, 0x03FB},  // SAN
    {0x04C0, 0x04CF},  // PALOCHKA
    {0x1E9E, 0x00DF},  // CAPITAL SHARP S
};

}  // namespace

char32_t to_lower(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 0x20 : c;
  for (const auto& r : kShifted)
    if (c >= r.first && c <= r.last) return static_cast<char32_t>(static_cast<int>(c) + r.delta);
  for (const auto& r : kAlternating)
    if (c >= r.first && c <= r.last) return even(c) == r.capital_even ? c + 1 : c;
  for (const auto& s : kSingles)
    if (c == s.capital) return s.small;
  return c;
}

bool is_punctuation(char32_t c) {
  switch (c) {
    case '!':
    case '"':
    case '#':
    case '$':
    case '%':
    case '&':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case '-':
    case '.':
    case '/':
    case ':':
    case ';':
    case '<':
    case '=':
    case '>':
    case '?':
    case '@':
    case '[':
    case '\\':
    case ']':
    case '^':
    case '_':
    case '`':
    case '{':
    case '|':
    case '}':
    case '~':
    case '\'':
      return true;
    default:
      return c >= 0x2010 && c <= 0x2027;
  }
}

bool is_whitespace(char32_t c) {
  switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case 0x0085:
    case 0x00A0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

}  // namespace lamina::data::detail
