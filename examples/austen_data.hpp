#pragma once
// The Austen sentences (data/austen/, see data/README.md) for the examples: the
// label<TAB>sentence file read with lamina::data::parse_tsv, split by its fixed
// train/valid/test split, and the command-line options the longer examples share.
// Tokenizing, vocabularies and batching are the data module's (TextVectorization,
// BucketedBatches), used by the examples themselves.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <lamina/data/text_lines.hpp>
#include <lamina/data/tsv.hpp>
#include <lamina/io/gzip.hpp>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace austen {

// One part of the split: parallel lists of labels (the novel: "emma", ...) and sentences.
struct Part {
  std::vector<std::string> labels, texts;
  std::size_t size() const { return texts.size(); }
  void keep_first(std::size_t n) {
    labels.resize(std::min(n, labels.size()));
    texts.resize(std::min(n, texts.size()));
  }
};

struct Corpus {
  Part train, valid, test;
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

// sentences.tsv.gz with split.txt.gz's split; each part shuffled with `seed` (the file is
// grouped by novel, so a prefix of an unshuffled part would hold one novel only).
inline Corpus read_corpus(const std::string& dir, std::uint64_t seed) {
  namespace data = lamina::data;
  auto sentences = data::parse_tsv(lamina::io::read_maybe_gzip(dir + "/sentences.tsv.gz"), dir + "/sentences.tsv.gz");
  auto split = data::parse_lines(lamina::io::read_maybe_gzip(dir + "/split.txt.gz"), dir + "/split.txt.gz");
  if (sentences.size() != split.size()) {
    std::cerr << dir << ": sentences.tsv.gz has " << sentences.size() << " examples but split.txt.gz " << split.size()
              << " lines\n";
    std::exit(1);
  }
  std::map<std::string, Part> parts;
  std::vector<std::size_t> order(sentences.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(seed));
  for (auto i : order) {
    Part& part = parts[split[i]];
    part.labels.push_back(sentences.labels[i]);
    part.texts.push_back(sentences.texts[i]);
  }
  return {parts["train"], parts["valid"], parts["test"]};
}

// Label ids: the novels of `labels` in name order.
inline std::map<std::string, std::int64_t> label_ids(const std::vector<std::string>& labels) {
  std::map<std::string, std::int64_t> ids;
  for (const auto& l : labels) ids.emplace(l, 0);
  std::int64_t next = 0;
  for (auto& [name, id] : ids) id = next++;
  return ids;
}

}  // namespace austen
