#include "data/file_bytes.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lamina/core/error.hpp"
#include "lamina/core/storage.hpp"

namespace lamina::data::detail {

namespace {

std::string errno_text(int err) { return fmt::format("{} (errno {})", std::strerror(err), err); }

std::string errno_hint(int err) {
  switch (err) {
    case ENOENT:
      return "check the path: it does not exist (relative paths start at the working directory)";
    case EACCES:
    case EPERM:
      return "check the permissions of the file and of its folders";
    case ENOTDIR:
      return "a component of the path is a file, not a folder";
    case EISDIR:
      return "the path names a folder; give a file inside it";
    default:
      return "";
  }
}

// Closes the descriptor on every path out.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string read_file_bytes(const std::string& path) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) {
    int err = errno;
    throw IOError({.problem = fmt::format("cannot open '{}' for reading", path),
                   .expected = "an existing, readable file",
                   .found = errno_text(err),
                   .hint = errno_hint(err)});
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) {
    int err = errno;
    throw IOError({.problem = fmt::format("cannot read the size of '{}'", path),
                   .expected = "a readable file",
                   .found = errno_text(err),
                   .hint = errno_hint(err)});
  }
  if (!S_ISREG(st.st_mode))
    throw IOError({.problem = fmt::format("'{}' is not a regular file", path),
                   .expected = "a regular file",
                   .found = S_ISDIR(st.st_mode) ? "a folder" : "a FIFO, socket or device",
                   .hint = S_ISDIR(st.st_mode) ? "give the path of a file inside the folder"
                                               : "copy the data into a regular file first"});
  const auto size = static_cast<std::uint64_t>(st.st_size);
  const std::size_t limit = memory_limit_bytes();
  if (limit > 0 && size > limit)
    throw IOError({.problem = fmt::format("'{}' is too large to read into memory", path),
                   .expected = fmt::format("at most {} bytes (RAM + swap)", limit),
                   .found = fmt::format("{} bytes", size),
                   .hint = "split the file into smaller ones"});
  std::string out(static_cast<std::size_t>(size), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t got = ::read(f.fd, out.data() + done, out.size() - done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      int err = errno;
      throw IOError({.problem = fmt::format("reading '{}' failed", path),
                     .expected = fmt::format("{} bytes", size),
                     .found = errno_text(err) + fmt::format(" after {} bytes", done),
                     .hint = errno_hint(err)});
    }
    if (got == 0) {  // the file shrank since fstat: keep what is there
      out.resize(done);
      break;
    }
    done += static_cast<std::size_t>(got);
  }
  return out;
}

}  // namespace lamina::data::detail
