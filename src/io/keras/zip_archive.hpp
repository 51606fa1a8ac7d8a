#pragma once
// The .keras container: a zip archive (libzip), read from untrusted bytes in memory and
// written in memory, members stored uncompressed as Keras writes them.
//
// Reading refuses, with a ValueError naming the archive: damaged archives (libzip's
// consistency checks, CRC mismatches), encrypted members, compression methods other than
// stored and deflate, duplicate names, more than kMaxMembers members, and "zip bombs": a
// member that declares more than kMaxMemberBytes, or more than kMaxExpansion times its
// compressed size (above 1 MiB) -- all from the directory, before any member is inflated.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lamina::io::keras {

struct ZipMemberInfo {
  std::string name;
  std::uint64_t size = 0;             // uncompressed
  std::uint64_t compressed_size = 0;
  bool stored = true;                 // not compressed
};

class ZipReader {
 public:
  // Reads the central directory and checks every member (see above). `bytes` must outlive it.
  ZipReader(std::string_view bytes, std::string source);
  ~ZipReader();
  ZipReader(const ZipReader&) = delete;
  ZipReader& operator=(const ZipReader&) = delete;

  const std::vector<ZipMemberInfo>& members() const { return members_; }
  bool has(const std::string& name) const;
  // The member's bytes, its CRC checked. ValueError when absent or damaged.
  std::string read(const std::string& name) const;

  static constexpr std::size_t kMaxMembers = 10000;
  static constexpr std::uint64_t kMaxExpansion = 100;
  static constexpr std::uint64_t kMaxMemberBytes = 16ull << 30;

 private:
  std::string source_;
  void* archive_ = nullptr;  // zip_t*
  std::vector<ZipMemberInfo> members_;
  std::map<std::string, std::uint64_t> index_;
};

// An archive of `members` (name, bytes), in order, uncompressed, dated 1980-01-01 as Keras
// dates its first members, so the same contents give the same bytes.
std::string write_zip(const std::vector<std::pair<std::string, std::string>>& members);

}  // namespace lamina::io::keras
