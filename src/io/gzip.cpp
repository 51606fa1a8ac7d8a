#include "lamina/io/gzip.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include "lamina/core/error.hpp"
#include "lamina/io/atomic_file.hpp"

namespace lamina::io {

bool is_gzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f && static_cast<unsigned char>(bytes[1]) == 0x8b;
}

std::string gunzip(std::string_view bytes, const std::string& source, std::uint64_t max_bytes) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
    throw ValueError({.problem = "zlib could not start", .expected = "inflateInit2 to succeed", .found = "an error"});
  std::string out;
  char buf[1 << 16];
  std::size_t pos = 0;
  int rc = Z_OK;
  auto fail = [&](const std::string& problem, const std::string& found) {
    inflateEnd(&z);
    throw ValueError({.problem = fmt::format("'{}' {}", source, problem),
                      .expected = "complete gzip data",
                      .found = found,
                      .hint = "the file is damaged or truncated; use another copy"});
  };
  while (true) {
    if (z.avail_in == 0 && pos < bytes.size()) {
      auto chunk = static_cast<uInt>(std::min<std::size_t>(bytes.size() - pos, 1u << 30));
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + pos));
      z.avail_in = chunk;
      pos += chunk;
    }
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
    if (out.size() > max_bytes)
      fail("decompresses to more than the limit", fmt::format("more than {} bytes", max_bytes));
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0 && pos >= bytes.size()) break;
      if (inflateReset(&z) != Z_OK) fail("has a damaged member", "inflateReset failed");  // another member
      continue;
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0 && pos >= bytes.size()) fail("ends in the middle", "truncated data");
    if (rc != Z_OK && rc != Z_BUF_ERROR) fail("is not valid gzip data", z.msg ? z.msg : "a zlib error");
  }
  inflateEnd(&z);
  return out;
}

std::string read_maybe_gzip(const std::string& path) {
  std::string bytes = read_file(path);
  return is_gzip(bytes) ? gunzip(bytes, path) : bytes;
}

}  // namespace lamina::io
