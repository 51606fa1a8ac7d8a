#pragma once
// Untrusted text shown in error messages (library-internal).
#include <cstddef>
#include <string>
#include <string_view>

namespace lamina::data::detail {

// `s` with invalid UTF-8 and control characters escaped as \xNN, cut after about `limit`
// bytes, so a message stays valid UTF-8 and on one line.
std::string printable(std::string_view s, std::size_t limit = 60);

}  // namespace lamina::data::detail
