// Every error has a hint (DESIGN.md section 3, issue 8 bug 7).
//
// 1. A walk over the sources of core, autograd and layers: every `throw XError({...})`
//    spells out a .hint; a throw of a prepared ErrorDetails variable must be one of the
//    few reviewed sites listed below (each copies or adds a hint).
// 2. The error sites the review found without a hint, triggered for real.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "test_util.hpp"

namespace lm = lamina;
namespace fs = std::filesystem;
using ::testing::HasSubstr;

namespace {

const fs::path kRoot = LAMINA_SOURCE_DIR;  // set by tests/CMakeLists.txt

// The index just past the ')' closing the '(' before `i`, skipping string and character
// literals (messages are full of parentheses). Raw strings R"(...)" are skipped whole.
std::size_t closing_paren(const std::string& s, std::size_t i) {
  int depth = 1;
  while (depth > 0 && i < s.size()) {
    const char c = s[i];
    if (c == 'R' && i + 2 < s.size() && s[i + 1] == '"' && s[i + 2] == '(') {
      const std::size_t end = s.find(")\"", i + 3);
      i = end == std::string::npos ? s.size() : end + 2;
      continue;
    }
    if (c == '"' || c == '\'') {
      for (++i; i < s.size() && s[i] != c; ++i)
        if (s[i] == '\\') ++i;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    }
    ++i;
  }
  return i;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Throws of a prepared ErrorDetails, reviewed: (file name, argument).
const std::set<std::pair<std::string, std::string>> kReviewed = {
    {"error.cpp", "d"},                 // rethrow_with_note: the original error's details, hint included
    {"config_reader.cpp", "std::move(d)"},  // ConfigReader::fail: adds a hint when the caller gave none
    {"lambda.cpp", "d"},                // the run-time spec check: its details carry a hint
};

}  // namespace

TEST(ErrorSites, EveryThrowInCoreAutogradAndLayersHasAHint) {
  ASSERT_TRUE(fs::exists(kRoot / "src" / "core")) << "sources not found from " << kRoot;
  const std::regex throw_re(R"(throw\s+(ShapeError|DTypeError|MaskError|GradientError|ValueError|IOError)\()");
  std::vector<std::string> missing;
  int sites = 0;
  for (const char* dir : {"src/core", "src/autograd", "src/layers", "include/lamina/core", "include/lamina/autograd",
                          "include/lamina/layers"}) {
    for (const auto& entry : fs::recursive_directory_iterator(kRoot / dir)) {
      const auto ext = entry.path().extension();
      if (ext != ".cpp" && ext != ".hpp") continue;
      const std::string s = read(entry.path());
      for (auto it = std::sregex_iterator(s.begin(), s.end(), throw_re); it != std::sregex_iterator(); ++it) {
        ++sites;
        const std::size_t open = static_cast<std::size_t>(it->position() + it->length());
        const std::string args = s.substr(open, closing_paren(s, open) - 1 - open);
        const std::size_t first = args.find_first_not_of(" \n");
        const std::string where = fmt::format("{}:{}", fs::relative(entry.path(), kRoot).string(),
                                              1 + std::count(s.begin(), s.begin() + it->position(), '\n'));
        if (first != std::string::npos && args[first] == '{') {
          if (args.find(".hint") == std::string::npos) missing.push_back(where + " has no .hint");
        } else if (!kReviewed.count({entry.path().filename().string(), args})) {
          missing.push_back(where + " throws a prepared '" + args + "': add .hint inline or review it here");
        }
      }
    }
  }
  EXPECT_GT(sites, 100);  // the walk found the sources
  EXPECT_TRUE(missing.empty()) << ::testing::PrintToString(missing);
}

#define EXPECT_HINTED(stmt, ErrorType, ...)    \
  EXPECT_LAMINA_ERROR(stmt, ErrorType, {       \
    for (const char* s : {__VA_ARGS__}) EXPECT_THAT(msg, HasSubstr(s)); \
    EXPECT_THAT(msg, HasSubstr("expected:"));  \
    EXPECT_THAT(msg, HasSubstr("found:"));     \
    EXPECT_THAT(msg, HasSubstr("hint:"));      \
  })

TEST(ErrorSites, VariableAssign) {
  lm::Variable w("w", lm::zeros({2, 3}));
  EXPECT_HINTED(w.assign(lm::zeros({3, 2})), lm::ShapeError, "op 'assign'", "variable 'w' cannot change shape",
                "(2, 3)", "(3, 2)");
  EXPECT_HINTED(w.assign(lm::zeros({2, 3}, lm::Float64)), lm::DTypeError, "variable 'w' cannot change dtype",
                "float64", "lm::cast the new value to float32");
  EXPECT_HINTED(w.assign(lm::placeholder({lm::Shape{2, 3}})), lm::ValueError, "needs a concrete new value",
                "symbolic");
  EXPECT_HINTED(w.assign(lm::Tensor()), lm::ValueError, "an undefined tensor");
  EXPECT_HINTED(lm::Variable().name(), lm::ValueError, "empty Variable handle");
}

TEST(ErrorSites, CoreAndAutograd) {
  EXPECT_HINTED(lm::random_normal({2}, {.stddev = -1}), lm::ValueError, "op 'random_normal'", "stddev");
  EXPECT_HINTED(lm::random_uniform({2}, {.minval = 1, .maxval = 1}), lm::ValueError, "op 'random_uniform'");
  lm::GradientTape tape;
  EXPECT_HINTED(tape.watch(lm::Tensor()), lm::ValueError, "op 'watch'");
  auto x = lm::ones({2});
  tape.watch(x);
  auto y = x * 2.0f;
  EXPECT_HINTED(tape.gradient(y, x, {.output_gradient = lm::ones({3})}), lm::ShapeError, "output_gradient");
}
