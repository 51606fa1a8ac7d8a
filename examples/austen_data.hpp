#pragma once
// The Austen sentences (data/austen/, see data/README.md) for the examples: reading the
// label<TAB>sentence file with its fixed train/valid/test split, a small word tokenizer and
// vocabulary, and the command-line options the longer examples share.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <lamina/io/gzip.hpp>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

namespace austen {

struct Sentence {
  std::string label;  // the novel ("emma", ...)
  std::string text;
};

struct Corpus {
  std::vector<Sentence> train, valid, test;
};

// Options: --tiny (a few hundred sentences, one epoch: what CI runs), --data DIR,
// --sentences N (training sentences), --epochs N.
struct Options {
  bool tiny = false;
  std::string data_dir;
  std::int64_t sentences = 0;  // 0: the example's default
  int epochs = 0;
};

inline Options parse_options(int argc, char** argv, const char* usage) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "missing value after " << a << "\n" << usage << "\n";
        std::exit(2);
      }
      return argv[++i];
    };
    auto number = [&](const std::string& v) -> long {
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n <= 0) {
        std::cerr << a << " needs a positive whole number, not '" << v << "'\n" << usage << "\n";
        std::exit(2);
      }
      return n;
    };
    if (a == "--tiny") {
      o.tiny = true;
    } else if (a == "--data") {
      o.data_dir = value();
    } else if (a == "--sentences") {
      o.sentences = number(value());
    } else if (a == "--epochs") {
      o.epochs = static_cast<int>(number(value()));
    } else if (a == "--help" || a == "-h") {
      std::cout << usage << "\n";
      std::exit(0);
    } else {
      std::cerr << "unknown option " << a << "\n" << usage << "\n";
      std::exit(2);
    }
  }
  return o;
}

// data/austen relative to the working directory, else the source tree's (LAMINA_DATA_DIR).
inline std::string find_data_dir(const std::string& given) {
  if (!given.empty()) return given;
  if (std::filesystem::exists("data/austen/sentences.tsv.gz")) return "data/austen";
#ifdef LAMINA_DATA_DIR
  return std::string(LAMINA_DATA_DIR) + "/austen";
#else
  return "data/austen";
#endif
}

inline std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// sentences.tsv.gz with split.txt.gz's split; each part shuffled with `seed` (the file is
// grouped by novel).
inline Corpus read_corpus(const std::string& dir, std::uint64_t seed) {
  auto sentences = lines(lamina::io::read_maybe_gzip(dir + "/sentences.tsv.gz"));
  auto split = lines(lamina::io::read_maybe_gzip(dir + "/split.txt.gz"));
  if (sentences.size() != split.size()) {
    std::cerr << dir << ": sentences.tsv.gz has " << sentences.size() << " lines but split.txt.gz "
              << split.size() << "\n";
    std::exit(1);
  }
  Corpus c;
  for (std::size_t i = 0; i < sentences.size(); ++i) {
    auto tab = sentences[i].find('\t');
    if (tab == std::string::npos) {
      std::cerr << dir << "/sentences.tsv.gz line " << i + 1 << ": no TAB between label and sentence\n";
      std::exit(1);
    }
    Sentence s{sentences[i].substr(0, tab), sentences[i].substr(tab + 1)};
    auto& part = split[i] == "train" ? c.train : split[i] == "valid" ? c.valid : c.test;
    part.push_back(std::move(s));
  }
  std::mt19937_64 rng(seed);
  for (auto* part : {&c.train, &c.valid, &c.test}) std::shuffle(part->begin(), part->end(), rng);
  return c;
}

// Lower-cased words; every other non-space character (punctuation) is a token of its own.
inline std::vector<std::string> tokenize(const std::string& text) {
  std::vector<std::string> out;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) out.push_back(word), word.clear();
  };
  for (unsigned char ch : text) {
    if (std::isalnum(ch) || ch == '\'' || ch >= 0x80) {
      word += static_cast<char>(std::tolower(ch));
    } else {
      flush();
      if (!std::isspace(ch)) out.emplace_back(1, static_cast<char>(ch));
    }
  }
  flush();
  return out;
}

// Token ids: 0 is padding, 1 out-of-vocabulary, then the most frequent training tokens.
class Vocabulary {
 public:
  Vocabulary(const std::vector<Sentence>& train, std::size_t max_tokens) {
    std::unordered_map<std::string, std::int64_t> counts;
    for (const auto& s : train)
      for (const auto& t : tokenize(s.text)) ++counts[t];
    std::vector<std::pair<std::string, std::int64_t>> sorted(counts.begin(), counts.end());
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
    for (std::size_t i = 0; i < sorted.size() && ids_.size() + 2 < max_tokens; ++i)
      ids_.emplace(sorted[i].first, static_cast<std::int32_t>(ids_.size() + 2));
  }
  std::int64_t size() const { return static_cast<std::int64_t>(ids_.size()) + 2; }
  std::int32_t id(const std::string& token) const {
    auto it = ids_.find(token);
    return it == ids_.end() ? 1 : it->second;
  }
  // Row-major (n, maxlen) ids, padded with 0 after the sentence, truncated at maxlen.
  std::vector<std::int32_t> encode(const std::vector<Sentence>& part, std::int64_t maxlen) const {
    std::vector<std::int32_t> out(part.size() * static_cast<std::size_t>(maxlen), 0);
    for (std::size_t i = 0; i < part.size(); ++i) {
      auto tokens = tokenize(part[i].text);
      for (std::size_t t = 0; t < tokens.size() && t < static_cast<std::size_t>(maxlen); ++t)
        out[i * static_cast<std::size_t>(maxlen) + t] = id(tokens[t]);
    }
    return out;
  }

 private:
  std::unordered_map<std::string, std::int32_t> ids_;
};

}  // namespace austen
