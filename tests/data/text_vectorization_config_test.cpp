// TextVectorization::get_config / from_config, including configs from untrusted files.
#include "test_util.hpp"

namespace lm = lamina;
using lm::Json;
using lm::data::TextVectorization;
using ::testing::HasSubstr;
using Strings = std::vector<std::string>;

namespace {

Json adapted_config() {
  TextVectorization v({.max_tokens = 10, .split = "whitespace", .output_sequence_length = 3});
  v.adapt({"the cat", "the dog"});
  return v.get_config();
}

}  // namespace

TEST(TextVectorizationConfig, HoldsTheOptionsAndTheVocabulary) {
  Json c = adapted_config();
  EXPECT_EQ(c["type"], "TextVectorization");
  EXPECT_EQ(c["max_tokens"], 10);
  EXPECT_EQ(c["standardize"], "lower_and_strip_punctuation");
  EXPECT_EQ(c["split"], "whitespace");
  EXPECT_EQ(c["output_sequence_length"], 3);
  EXPECT_EQ(c["invalid_utf8"], "error");
  EXPECT_EQ(c["vocabulary"], Json(Strings{"", "[UNK]", "the", "dog", "cat"}));
  EXPECT_EQ(c.size(), 7u);
  Json fresh = TextVectorization().get_config();
  EXPECT_TRUE(fresh["max_tokens"].is_null());
  EXPECT_TRUE(fresh["output_sequence_length"].is_null());
  EXPECT_TRUE(fresh["vocabulary"].is_null());
}

TEST(TextVectorizationConfig, RoundTripVectorizesIdentically) {
  Json c = adapted_config();
  auto v = TextVectorization::from_config(Json::parse(c.dump()));
  EXPECT_EQ(v.vocabulary(), (Strings{"", "[UNK]", "the", "dog", "cat"}));
  EXPECT_EQ(v.options().max_tokens, 10);
  EXPECT_EQ(v.options().output_sequence_length, 3);
  EXPECT_VALUES(v.vectorize({"The dog, the cat!", "a cat"}), {2, 3, 2, 1, 4, 0});
  EXPECT_EQ(v.get_config(), c);
  auto unadapted = TextVectorization::from_config(TextVectorization({.split = "character"}).get_config());
  EXPECT_FALSE(unadapted.adapted());
  EXPECT_EQ(unadapted.options().split, "character");
  // Character vocabularies with spaces and multi-byte characters survive JSON.
  TextVectorization chars({.split = "character"});
  chars.adapt({"\u00e9t\u00e9 \U0001F600"});
  auto back = TextVectorization::from_config(Json::parse(chars.get_config().dump()));
  EXPECT_EQ(back.vocabulary(), chars.vocabulary());
}

TEST(TextVectorizationConfig, RefusesMalformedConfigs) {
  auto with = [](const char* field, Json value) {
    Json c = adapted_config();
    c[field] = std::move(value);
    return c;
  };
  auto expect_error = [](const Json& c, std::vector<std::string> parts) {
    SCOPED_TRACE(c.dump(-1, ' ', false, Json::error_handler_t::replace));
    EXPECT_LAMINA_ERROR(TextVectorization::from_config(c), lm::ValueError, {
      for (const auto& p : parts) EXPECT_THAT(msg, HasSubstr(p));
    });
  };
  expect_error(Json::array({1, 2}), {"must be a JSON object"});
  expect_error(Json("TextVectorization"), {"must be a JSON object"});
  Json missing = adapted_config();
  missing.erase("split");
  expect_error(missing, {"missing field 'split'"});
  expect_error(with("ngrams", 2), {"unknown field", "'ngrams'"});
  expect_error(with("type", "Dense"), {"field 'type'", "\"TextVectorization\""});
  expect_error(with("max_tokens", "10"), {"field 'max_tokens'", "wrong type"});
  expect_error(with("max_tokens", 3.5), {"field 'max_tokens'", "wrong type"});
  expect_error(with("max_tokens", true), {"field 'max_tokens'"});
  expect_error(with("max_tokens", 1), {"max_tokens = 1"});
  expect_error(with("max_tokens", 3), {"larger than max_tokens"});  // 5 tokens in the vocabulary
  expect_error(with("max_tokens", Json(std::uint64_t{1} << 63)), {"out of range"});
  expect_error(with("standardize", "upper"), {"standardize = \"upper\""});
  expect_error(with("standardize", nullptr), {"field 'standardize'", "a string"});
  expect_error(with("split", 7), {"field 'split'"});
  expect_error(with("output_sequence_length", -2), {"output_sequence_length = -2"});
  expect_error(with("invalid_utf8", "skip"), {"invalid_utf8 = \"skip\""});
  expect_error(with("vocabulary", "the cat"), {"field 'vocabulary'", "array of strings"});
  expect_error(with("vocabulary", Json::array({"", "[UNK]", 42})), {"element 2", "42"});
  expect_error(with("vocabulary", Json(Strings{"the", "cat"})), {"must start with the reserved tokens"});
  expect_error(with("vocabulary", Json(Strings{""})), {"must start with the reserved tokens"});
  expect_error(with("vocabulary", Json(Strings{"", "[UNK]", "cat", "cat"})), {"repeats", "vocabulary[3]"});
  expect_error(with("vocabulary", Json(Strings{"", "[UNK]", "Cat"})), {"never be produced"});
  expect_error(with("vocabulary", Json(Strings{"", "[UNK]", "a b"})), {"never be produced"});
  expect_error(with("vocabulary", Json(Strings{"", "[UNK]", "x", ""})), {"reserved"});
  // Invalid UTF-8 inside the JSON values (possible in a Json built in memory) is reported, not thrown by dump().
  expect_error(with("vocabulary", Json(Strings{"", "[UNK]", "caf\xE9"})), {"not valid UTF-8", "caf\\xE9"});
  expect_error(with("split", "\xFF\xFE"), {"split = \"\\xFF\\xFE\""});
  Json bad_key = adapted_config();
  bad_key["\xC3"] = 1;
  expect_error(bad_key, {"unknown field", "\\xC3"});
}
