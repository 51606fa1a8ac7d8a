// The text vectorizer's vocabulary: a vocabulary file (one token a line) set on a
// TextVectorization and used, and a saved vectorizer config (JSON) rebuilt.
#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "lamina/data/text_lines.hpp"
#include "lamina/data/text_vectorization.hpp"

namespace {
void load_vocabulary(std::string_view bytes) {
  try {
    auto lines = lamina::data::parse_lines(bytes, "fuzz.vocab");
    lamina::data::TextVectorization tv;
    tv.set_vocabulary(lines);
    tv.vectorize_one(lines.empty() ? std::string_view("a b") : std::string_view(lines.front()));
  } catch (const lamina::Error&) {
  }
  auto config = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (!config.is_discarded()) lamina::data::TextVectorization::from_config(config);
}
}  // namespace

LAMINA_FUZZ_TARGET(load_vocabulary(bytes))
