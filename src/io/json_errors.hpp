#pragma once
// nlohmann::json's own exceptions, met while reading a file (a config field of the wrong type
// for a .value() or .get(), a number out of range), as the ValueError a damaged file gets.
// The readers check what they use; this is the net under every loader, so that no crafted
// config ends in std::terminate.
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "lamina/core/error.hpp"

namespace lamina::io {

template <class F>
decltype(auto) json_errors_as_value_errors(const std::string& source, F&& read) {
  try {
    return std::forward<F>(read)();
  } catch (const nlohmann::json::exception& e) {
    std::string what = e.what();
    if (what.size() > 200) what = what.substr(0, 200) + "...";
    throw ValueError({.problem = fmt::format("'{}' holds a config field of an unexpected type or size", source),
                      .expected = "a config as its writer writes it",
                      .found = what,
                      .hint = "the file is damaged or was not written by Keras or Lamina"});
  }
}

}  // namespace lamina::io
