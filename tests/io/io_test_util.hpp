#pragma once
// Helpers for the io tests: a scratch folder, raw byte builders and a file's raw bytes.
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "test_util.hpp"

namespace lamina::iotest {

// A fresh folder under the system's temp folder, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "lamina-io-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
    ::chmod(path_.c_str(), 0755);  // other users may traverse it (see AsUser)
  }
  ~TempDir() {
    std::error_code ec;
    for (const auto& e : std::filesystem::recursive_directory_iterator(path_, ec))
      std::filesystem::permissions(e.path(), std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Names of the entries in the folder (including hidden temporary files).
  std::set<std::string> entries(const std::string& sub = "") const {
    std::set<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(sub.empty() ? path_ : file(sub)))
      out.insert(e.path().filename().string());
    return out;
  }

 private:
  std::string path_;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void spit(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Little-endian bytes of an integer of `n` bytes.
inline std::string le(std::uint64_t v, int n) {
  std::string b;
  for (int i = 0; i < n; ++i) b += static_cast<char>((v >> (8 * i)) & 0xff);
  return b;
}

// The raw bytes of a tensor's values.
inline std::string raw(const Tensor& t) {
  return std::string(static_cast<const char*>(t.raw_data()), static_cast<std::size_t>(t.numel()) * itemsize(t.dtype()));
}

}  // namespace lamina::iotest
