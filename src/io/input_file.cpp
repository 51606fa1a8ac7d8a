#include "io/input_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lamina/core/error.hpp"
#include "lamina/core/storage.hpp"

namespace lamina::io::detail {

std::string errno_text(int err) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char* name = strerrorname_np(err);
  const char* desc = strerrordesc_np(err);
  if (name != nullptr && desc != nullptr) return fmt::format("{} ({})", desc, name);
#endif
  return fmt::format("{} (errno {})", std::strerror(err), err);
}

std::string errno_hint(int err) {
  switch (err) {
    case ENOENT:
      return "check the path: it does not exist (paths are relative to the working directory)";
    case EACCES:
    case EPERM:
      return "check the permissions of the file and its folders";
    case EROFS:
      return "the file system is mounted read-only; use a writable location";
    case ENOSPC:
    case EDQUOT:
      return "free some disk space (or quota) and try again";
    case EISDIR:
      return "the path names a folder; give a file name";
    case ENOTDIR:
      return "a component of the path is a file, not a folder";
    case ENAMETOOLONG:
      return "use a shorter path";
    case EMFILE:
    case ENFILE:
      return "too many open files; close some and try again";
    default:
      return "";
  }
}

InputFile::InputFile(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    int err = errno;
    throw IOError({.problem = fmt::format("cannot open '{}' for reading", path),
                   .expected = "an existing, readable file",
                   .found = errno_text(err),
                   .hint = errno_hint(err)});
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    int err = errno;
    ::close(fd_);
    throw IOError({.problem = fmt::format("cannot read the size of '{}'", path),
                   .expected = "a readable file",
                   .found = errno_text(err),
                   .hint = errno_hint(err)});
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    throw IOError({.problem = fmt::format("'{}' is not a regular file", path),
                   .expected = "a regular file",
                   .found = S_ISDIR(st.st_mode) ? "a folder" : "a FIFO, socket or device",
                   .hint = S_ISDIR(st.st_mode) ? "give the path of a file inside the folder"
                                               : "copy the data into a regular file first"});
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::string InputFile::read(std::uint64_t offset, std::size_t n) const {
  const std::size_t limit = memory_limit_bytes();
  if (limit > 0 && n > limit)
    throw IOError({.problem = fmt::format("'{}' is too large to read into memory", path_),
                   .expected = fmt::format("at most {} bytes (RAM + swap)", limit),
                   .found = fmt::format("{} bytes to read", n),
                   .hint = "use a machine with more memory, or split the file"});
  std::string out(n, '\0');
  std::size_t done = 0;
  while (done < n) {
    ssize_t got = ::pread(fd_, out.data() + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      int err = errno;
      throw IOError({.problem = fmt::format("reading '{}' failed", path_),
                     .expected = fmt::format("{} bytes at offset {}", n, offset),
                     .found = errno_text(err),
                     .hint = errno_hint(err)});
    }
    if (got == 0)
      throw IOError({.problem = fmt::format("'{}' ended early: it changed while it was being read", path_),
                     .expected = fmt::format("{} bytes at offset {}", n, offset),
                     .found = fmt::format("{} bytes", done),
                     .hint = "wait until the program writing the file has finished, then load it again"});
    done += static_cast<std::size_t>(got);
  }
  return out;
}

MappedFile::MappedFile(const std::string& path) {
  InputFile file(path);
  if (file.size() > SIZE_MAX / 2)
    throw IOError({.problem = fmt::format("'{}' is too large to map into memory", path),
                   .expected = "a file smaller than the address space",
                   .found = fmt::format("{} bytes", file.size())});
  size_ = static_cast<std::size_t>(file.size());
  if (size_ == 0) return;  // mmap refuses empty ranges; an empty view is the answer
  void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, file.fd(), 0);
  if (p == MAP_FAILED) {
    copy_ = file.read(0, size_);  // e.g. a file system without mmap support
    return;
  }
  map_ = p;
  ::madvise(map_, size_, MADV_SEQUENTIAL);
}

MappedFile::~MappedFile() {
  if (map_ != nullptr) ::munmap(map_, size_);
}

}  // namespace lamina::io::detail
