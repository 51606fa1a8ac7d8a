#include "lamina/data/text_vectorization.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <unordered_set>

#include "data/json_check.hpp"
#include "data/padding.hpp"
#include "data/unicode.hpp"
#include "lamina/core/error.hpp"
#include "lamina/data/utf8.hpp"

namespace lamina::data {

namespace {

constexpr const char* kWhere = "TextVectorization";
constexpr std::int64_t kMaxVocabulary = std::numeric_limits<std::int32_t>::max();  // ids are int32

const std::vector<std::string>& reserved_only() {
  static const std::vector<std::string> v{kPaddingToken, kOovToken};
  return v;
}

void check_choice(const std::string& value, const char* option, std::initializer_list<const char*> allowed) {
  for (const char* a : allowed)
    if (value == a) return;
  std::string list;
  for (const char* a : allowed) list += (list.empty() ? "" : " | ") + fmt::format("\"{}\"", a);
  throw ValueError({.problem = fmt::format("unknown {} option", option),
                    .expected = fmt::format("{} = {}", option, list),
                    .found = fmt::format("{} = \"{}\"", option, detail::printable(value)),
                    .hint = "docs/data.md describes each choice"});
}

void check_options(const TextVectorizationOptions& o) {
  if (o.max_tokens && (*o.max_tokens < 2 || *o.max_tokens > kMaxVocabulary))
    throw ValueError({.problem = "max_tokens counts the padding and OOV tokens, so it must be at least 2",
                      .expected = fmt::format("2 <= max_tokens <= {}, or unset for no limit", kMaxVocabulary),
                      .found = fmt::format("max_tokens = {}", *o.max_tokens),
                      .hint = "max_tokens = 20000 keeps the 19998 most frequent tokens"});
  check_choice(o.standardize, "standardize", {"lower_and_strip_punctuation", "lower", "strip_punctuation", "none"});
  check_choice(o.split, "split", {"whitespace", "character"});
  if (o.output_sequence_length && (*o.output_sequence_length < 1 || *o.output_sequence_length > kMaxVocabulary))
    throw ValueError({.problem = "output_sequence_length must be positive",
                      .expected = "output_sequence_length >= 1, or unset to pad to the longest line",
                      .found = fmt::format("output_sequence_length = {}", *o.output_sequence_length)});
  check_invalid_utf8_option(o.invalid_utf8, "invalid_utf8");
}

}  // namespace

TextVectorization::TextVectorization(TextVectorizationOptions options) : options_(std::move(options)) {
  NoteScope scope(kWhere);
  check_options(options_);
}

const std::vector<std::string>& TextVectorization::vocabulary() const {
  return vocabulary_.empty() ? reserved_only() : vocabulary_;
}

std::int64_t TextVectorization::token_id(std::string_view token) const {
  if (vocabulary_.empty()) return token.empty() ? 0 : 1;
  auto it = index_.find(std::string(token));
  return it == index_.end() ? 1 : it->second;
}

std::vector<std::string> TextVectorization::tokenize(std::string_view line, std::int64_t line_number) const {
  NoteScope scope(kWhere);
  const bool lower = options_.standardize == "lower" || options_.standardize == "lower_and_strip_punctuation";
  const bool strip =
      options_.standardize == "strip_punctuation" || options_.standardize == "lower_and_strip_punctuation";
  const bool by_character = options_.split == "character";
  std::string text;
  if (auto bad = find_invalid_utf8(line)) {
    if (options_.invalid_utf8 != "replace") throw_invalid_utf8(line, *bad, {.line = line_number});
    text = replace_invalid_utf8(line);
    line = text;
  }
  std::vector<std::string> tokens;
  std::string current;
  for (std::size_t i = 0; i < line.size();) {
    Utf8Step step = decode_utf8_step(line, i);
    i += step.length;
    char32_t c = step.code_point;
    if (strip && detail::is_punctuation(c)) continue;
    if (lower) c = detail::to_lower(c);
    if (by_character) {
      std::string one;
      append_utf8(one, c);
      tokens.push_back(std::move(one));
    } else if (detail::is_whitespace(c)) {
      if (!current.empty()) tokens.push_back(std::move(current));
      current.clear();
    } else {
      append_utf8(current, c);
    }
  }
  if (!current.empty()) tokens.push_back(std::move(current));
  return tokens;
}

void TextVectorization::adapt(const std::vector<std::string>& lines) {
  NoteScope scope(kWhere);
  std::unordered_map<std::string, std::int64_t> counts;
  for (std::size_t i = 0; i < lines.size(); ++i)
    for (auto& t : tokenize(lines[i], static_cast<std::int64_t>(i) + 1)) ++counts[std::move(t)];
  counts.erase(kPaddingToken);  // Keras removes the reserved tokens from the counts
  counts.erase(kOovToken);
  std::vector<std::pair<std::string, std::int64_t>> sorted(counts.begin(), counts.end());
  // Keras: np.lexsort((tokens, counts))[::-1] -- count descending, then token descending.
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first > b.first;
  });
  std::size_t keep = sorted.size();
  if (options_.max_tokens) keep = std::min(keep, static_cast<std::size_t>(*options_.max_tokens - 2));
  keep = std::min(keep, static_cast<std::size_t>(kMaxVocabulary - 2));
  std::vector<std::string> vocab{kPaddingToken, kOovToken};
  vocab.reserve(keep + 2);
  for (std::size_t i = 0; i < keep; ++i) vocab.push_back(std::move(sorted[i].first));
  set_full_vocabulary(std::move(vocab));
}

void TextVectorization::set_vocabulary(const std::vector<std::string>& vocabulary) {
  NoteScope scope(kWhere);
  if (vocabulary.empty())
    throw ValueError({.problem = "cannot set an empty vocabulary",
                      .expected = "at least one token (the reserved \"\" and \"[UNK]\" may be left out)",
                      .found = "0 tokens"});
  const bool has_reserved = vocabulary.size() >= 2 && vocabulary[0] == kPaddingToken && vocabulary[1] == kOovToken;
  std::vector<std::string> full;
  if (!has_reserved) full = {kPaddingToken, kOovToken};
  full.insert(full.end(), vocabulary.begin(), vocabulary.end());
  const std::size_t shift = has_reserved ? 0 : 2;  // index in `vocabulary` = index in `full` - shift
  if (options_.max_tokens && static_cast<std::int64_t>(full.size()) > *options_.max_tokens)
    throw ValueError({.problem = "the vocabulary is larger than max_tokens",
                      .expected = fmt::format("at most {} tokens including \"\" and \"[UNK]\"", *options_.max_tokens),
                      .found = fmt::format("{} tokens including them", full.size()),
                      .hint = "raise max_tokens, or keep only the most frequent tokens"});
  if (static_cast<std::int64_t>(full.size()) > kMaxVocabulary)
    throw ValueError({.problem = "the vocabulary is too large for int32 token ids",
                      .expected = fmt::format("at most {} tokens", kMaxVocabulary),
                      .found = fmt::format("{} tokens", full.size())});
  std::unordered_set<std::string_view> seen;
  for (std::size_t i = 2; i < full.size(); ++i) {
    const std::string& t = full[i];
    auto at = [&] { return fmt::format("vocabulary[{}] = \"{}\"", i - shift, detail::printable(t)); };
    if (t == kPaddingToken || t == kOovToken)
      throw ValueError({.problem = fmt::format("the reserved token \"{}\" is at an unexpected place", t),
                        .expected = "\"\" only at index 0 and \"[UNK]\" only at index 1, or neither",
                        .found = at(),
                        .hint = "leave both out (they are added), or put them first in this order"});
    if (!seen.insert(t).second)
      throw ValueError({.problem = "the vocabulary repeats a token",
                        .expected = "every token once",
                        .found = at() + " appears earlier too"});
    if (find_invalid_utf8(t))
      throw ValueError({.problem = "a vocabulary token is not valid UTF-8", .expected = "UTF-8 tokens", .found = at()});
    auto produced = tokenize(t);
    if (produced.size() != 1 || produced[0] != t)
      throw ValueError({.problem = "a vocabulary token can never be produced by this vectorizer",
                        .expected = fmt::format("tokens that standardize \"{}\" and split \"{}\" leave unchanged",
                                                options_.standardize, options_.split),
                        .found = fmt::format("{} becomes {} token(s){}", at(), produced.size(),
                                             produced.size() == 1 ? " \"" + detail::printable(produced[0]) + "\"" : ""),
                        .hint = "build the vocabulary with the same standardize and split options (adapt does)"});
  }
  set_full_vocabulary(std::move(full));
}

void TextVectorization::set_full_vocabulary(std::vector<std::string> vocabulary) {
  index_.clear();
  index_.reserve(vocabulary.size());
  for (std::size_t i = 0; i < vocabulary.size(); ++i) index_.emplace(vocabulary[i], static_cast<std::int64_t>(i));
  vocabulary_ = std::move(vocabulary);
}

std::vector<std::int64_t> TextVectorization::ids(std::string_view line, std::int64_t line_number) const {
  NoteScope scope(kWhere);
  if (!adapted())
    throw ValueError({.problem = "the vectorizer has no vocabulary yet",
                      .expected = "adapt(lines) or set_vocabulary(tokens) before vectorizing",
                      .found = "only the reserved tokens \"\" and \"[UNK]\"",
                      .hint = "call adapt on the training lines first (Keras would map every token to [UNK])"});
  auto tokens = tokenize(line, line_number);
  std::vector<std::int64_t> out;
  out.reserve(tokens.size());
  for (const auto& t : tokens) {
    auto it = index_.find(t);
    out.push_back(it == index_.end() ? 1 : it->second);
  }
  if (options_.output_sequence_length && static_cast<std::int64_t>(out.size()) > *options_.output_sequence_length)
    out.resize(static_cast<std::size_t>(*options_.output_sequence_length));
  return out;
}

std::vector<std::int64_t> TextVectorization::vectorize_one(std::string_view line) const { return ids(line, 0); }

std::vector<std::vector<std::int64_t>> TextVectorization::vectorize_ragged(
    const std::vector<std::string>& lines) const {
  std::vector<std::vector<std::int64_t>> out;
  out.reserve(lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) out.push_back(ids(lines[i], static_cast<std::int64_t>(i) + 1));
  return out;
}

Tensor TextVectorization::vectorize(const std::vector<std::string>& lines) const {
  auto ids = vectorize_ragged(lines);
  std::int64_t width = 0;
  if (options_.output_sequence_length) {
    width = *options_.output_sequence_length;
  } else {
    for (const auto& s : ids) width = std::max(width, static_cast<std::int64_t>(s.size()));
  }
  return detail::pad_rows(
      static_cast<std::int64_t>(ids.size()),
      [&](std::int64_t i) -> const std::vector<std::int64_t>& { return ids[static_cast<std::size_t>(i)]; },
      {.width = width, .dtype = Int32, .op = "TextVectorization.vectorize"});
}

Json TextVectorization::get_config() const {
  Json c = Json::object();
  c["type"] = "TextVectorization";
  c["max_tokens"] = options_.max_tokens ? Json(*options_.max_tokens) : Json(nullptr);
  c["standardize"] = options_.standardize;
  c["split"] = options_.split;
  c["output_sequence_length"] =
      options_.output_sequence_length ? Json(*options_.output_sequence_length) : Json(nullptr);
  c["invalid_utf8"] = options_.invalid_utf8;
  c["vocabulary"] = adapted() ? Json(vocabulary_) : Json(nullptr);
  return c;
}

TextVectorization TextVectorization::from_config(const Json& config) {
  NoteScope scope(kWhere);
  detail::JsonFields c(
      config, "TextVectorization",
      {"type", "max_tokens", "standardize", "split", "output_sequence_length", "invalid_utf8", "vocabulary"});
  c.require_type();
  TextVectorizationOptions o;
  o.max_tokens = c.optional_integer("max_tokens");
  o.standardize = c.string("standardize");
  o.split = c.string("split");
  o.output_sequence_length = c.optional_integer("output_sequence_length");
  o.invalid_utf8 = c.string("invalid_utf8");
  TextVectorization v(o);
  if (auto vocab = c.optional_strings("vocabulary")) {
    if (vocab->size() < 2 || (*vocab)[0] != kPaddingToken || (*vocab)[1] != kOovToken)
      c.fail("vocabulary", {.problem = "must start with the reserved tokens",
                            .expected = R"(["", "[UNK]", ...learned tokens], as get_config() writes)"});
    v.set_vocabulary(*vocab);
  }
  return v;
}

}  // namespace lamina::data
