#pragma once
// gzip-compressed files (the corpora in data/ are .gz), read with zlib.
#include <cstdint>
#include <string>
#include <string_view>

namespace lamina::io {

bool is_gzip(std::string_view bytes);
// The decompressed bytes (several concatenated members too). ValueError for damaged data and
// for output beyond `max_bytes` (a decompression bomb), naming `source`.
std::string gunzip(std::string_view bytes, const std::string& source = "<memory>",
                   std::uint64_t max_bytes = std::uint64_t{4} << 30);
// A file's bytes, decompressed when it is gzip data (IOError for unreadable files).
std::string read_maybe_gzip(const std::string& path);

}  // namespace lamina::io
