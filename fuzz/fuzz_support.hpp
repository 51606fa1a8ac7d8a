#pragma once
// Shared by the libFuzzer targets (scripts/fuzz.sh): the one rule every loader must keep.
// Bad bytes end in one of Lamina's typed errors (lamina::Error); anything else -- a crash,
// a sanitizer report, another exception (std::terminate aborts), a hang -- is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lamina/core/error.hpp"

#define LAMINA_FUZZ_TARGET(body)                                                      \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);          \
    try {                                                                             \
      body;                                                                           \
    } catch (const lamina::Error&) {                                                  \
    }                                                                                 \
    return 0;                                                                         \
  }
