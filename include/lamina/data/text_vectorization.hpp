#pragma once
// TextVectorization: Keras's preprocessing layer as a plain class (Lamina tensors hold no
// strings), mapping lines of UTF-8 text to integer token ids.
//
//   lm::data::TextVectorization vectorizer({.max_tokens = 20000, .output_sequence_length = 64});
//   vectorizer.adapt(train_lines);                 // vocabulary by frequency
//   lm::Tensor x = vectorizer.vectorize(lines);    // int32 (n, 64), mask = not padding
//   lm::Json config = vectorizer.get_config();     // options and vocabulary, for a model file
//
// Each line is standardized (lowercased and/or stripped of punctuation), split into tokens
// (words at whitespace, or single code points), and each token looked up: index 0 is the
// padding token "", index 1 the out-of-vocabulary token "[UNK]", then the vocabulary learned
// by adapt() in order of decreasing frequency, ties broken as Keras breaks them (the token
// that sorts later, byte by byte, first). docs/data.md has the exact rules.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lamina/core/tensor.hpp"

namespace lamina {

using Json = nlohmann::json;

namespace data {

struct TextVectorizationOptions {
  // Vocabulary size including "" and "[UNK]" (so >= 2); unset: every token seen by adapt.
  std::optional<std::int64_t> max_tokens;
  // "lower_and_strip_punctuation" | "lower" | "strip_punctuation" | "none"
  std::string standardize = "lower_and_strip_punctuation";
  // "whitespace" (words) | "character" (every code point is a token, spaces included)
  std::string split = "whitespace";
  // Pad (with 0) or truncate every output to this many tokens, at the end, as Keras does;
  // unset: vectorize() pads to the longest line of its input.
  std::optional<std::int64_t> output_sequence_length;
  // "error": ValueError naming the line and byte offset; "replace": U+FFFD per invalid sequence.
  std::string invalid_utf8 = "error";
};

class TextVectorization {
 public:
  // ValueError naming the option for a bad value.
  explicit TextVectorization(TextVectorizationOptions options = {});

  const TextVectorizationOptions& options() const { return options_; }

  // Builds the vocabulary from `lines`, replacing any earlier one (Keras's adapt).
  void adapt(const std::vector<std::string>& lines);
  // Sets the vocabulary directly, with or without the leading "" and "[UNK]" (as Keras's
  // set_vocabulary). ValueError for repeated tokens, a reserved token elsewhere, an empty
  // token, invalid UTF-8, a token this vectorizer could never produce, or more than max_tokens.
  void set_vocabulary(const std::vector<std::string>& vocabulary);
  bool adapted() const { return !vocabulary_.empty(); }

  // The vocabulary: "" and "[UNK]" first (only those before adapt), then the learned tokens.
  const std::vector<std::string>& vocabulary() const;
  std::int64_t vocabulary_size() const { return static_cast<std::int64_t>(vocabulary().size()); }
  // The id of `token` (1 for a token not in the vocabulary).
  std::int64_t token_id(std::string_view token) const;

  // The tokens of a line after standardization and splitting (no vocabulary needed).
  // `line_number` (1-based, 0 for none) appears in invalid-UTF-8 errors.
  std::vector<std::string> tokenize(std::string_view line, std::int64_t line_number = 0) const;
  // Token ids of one line, truncated to output_sequence_length when set (not padded).
  // ValueError when the vectorizer has no vocabulary yet.
  std::vector<std::int64_t> vectorize_one(std::string_view line) const;
  // Token ids of every line, unpadded (for BucketedBatches or pad_sequences).
  std::vector<std::vector<std::int64_t>> vectorize_ragged(const std::vector<std::string>& lines) const;
  // Int32 (n, L) ids with a Bool mask that is false exactly at the padding; L is
  // output_sequence_length, or the longest line (0 when every line is empty). Padding is 0,
  // at the end, as Keras.
  Tensor vectorize(const std::vector<std::string>& lines) const;

  // {"type": "TextVectorization", "max_tokens", "standardize", "split",
  //  "output_sequence_length", "invalid_utf8", "vocabulary" (null before adapt)}.
  Json get_config() const;
  // Rebuilds a vectorizer from get_config()'s JSON. The config may come from an untrusted
  // file: every field is required and checked, unknown fields are refused, and the
  // vocabulary is checked as set_vocabulary checks it; any problem is a ValueError.
  static TextVectorization from_config(const Json& config);

 private:
  void set_full_vocabulary(std::vector<std::string> vocabulary);
  std::vector<std::int64_t> ids(std::string_view line, std::int64_t line_number) const;
  TextVectorizationOptions options_;
  std::vector<std::string> vocabulary_;  // empty until adapted
  std::unordered_map<std::string, std::int64_t> index_;
};

inline constexpr const char* kPaddingToken = "";
inline constexpr const char* kOovToken = "[UNK]";

}  // namespace data
}  // namespace lamina
