#pragma once
// Internal: "did you mean" suggestions for misspelt names (config fields, activations,
// initializers).
#include <cstddef>
#include <string>
#include <vector>

namespace lamina::detail {

// Levenshtein distance: insertions, deletions and substitutions.
std::size_t edit_distance(const std::string& a, const std::string& b);

// The candidate nearest to `word` by edit distance (the first on ties), or "" when empty.
std::string nearest(const std::string& word, const std::vector<std::string>& candidates);

// Whether `candidate` is close enough to `word` to be offered as "did you mean".
bool plausible_spelling(const std::string& word, const std::string& candidate);

// "did you mean 'relu'?" when a candidate is plausible, else `otherwise`.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates,
                         const std::string& otherwise);

}  // namespace lamina::detail
