#pragma once
// Reading regular files inside the io module: an open file with checked positional reads,
// and a read-only memory map of a whole file.
#include <cstdint>
#include <string>
#include <string_view>

namespace lamina::io::detail {

// "No such file or directory (ENOENT)" for errno value `err`.
std::string errno_text(int err);
// How to fix a failed system call with errno `err` on `path` ("" when nothing specific helps).
std::string errno_hint(int err);

// An open regular file. IOError (path, reason, hint) when it is missing, unreadable, a
// folder, or not a regular file (FIFOs and devices could block or never end).
class InputFile {
 public:
  explicit InputFile(const std::string& path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  const std::string& path() const { return path_; }
  std::uint64_t size() const { return size_; }
  int fd() const { return fd_; }
  // Exactly `n` bytes starting at `offset`; IOError when the file is shorter (it changed
  // since it was opened) or the read fails. The caller checks the range against size().
  std::string read(std::uint64_t offset, std::size_t n) const;

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

// A whole file, memory-mapped read-only when the system allows it, otherwise read into
// memory. Mapped pages are read on first touch, so a loader that validates a header first
// never reads the data of a file it rejects.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::string_view bytes() const { return map_ ? std::string_view(static_cast<const char*>(map_), size_) : copy_; }
  bool mapped() const { return map_ != nullptr; }

 private:
  void* map_ = nullptr;
  std::size_t size_ = 0;
  std::string copy_;  // the contents when the file could not be mapped
};

}  // namespace lamina::io::detail
