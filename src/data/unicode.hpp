#pragma once
// Character classes TextVectorization needs, as fixed tables (docs/data.md lists them):
// simple lowercase mappings of the scripts covered, punctuation, whitespace. Fixed tables
// rather than ICU so that a vocabulary saved in a model file maps text to the same ids on
// every machine, whatever Unicode version its system library implements.
namespace lamina::data::detail {

// Unicode's simple lowercase mapping for ASCII, Latin-1, Latin Extended-A, Latin Extended
// Additional, Greek and Coptic, Cyrillic (and its Supplement), Armenian and fullwidth Latin;
// every other code point maps to itself.
char32_t to_lower(char32_t c);
// Keras's punctuation class [!"#$%&()*+,-./:;<=>?@[\]^_`{|}~'] plus General Punctuation
// U+2010..U+2027 (dashes, curly quotes, ellipsis, bullets).
bool is_punctuation(char32_t c);
// ASCII whitespace (space, \t, \n, \v, \f, \r) and Unicode's other White_Space characters.
bool is_whitespace(char32_t c);

}  // namespace lamina::data::detail
