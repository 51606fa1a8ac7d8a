#include "lamina/io/atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <random>

#include "io/input_file.hpp"
#include "lamina/core/error.hpp"

namespace lamina::io {

namespace {

using detail::errno_hint;
using detail::errno_text;

[[noreturn]] void fail(const std::string& problem, const std::string& expected, int err, std::string hint = {}) {
  if (hint.empty()) hint = errno_hint(err);
  throw IOError({.problem = problem, .expected = expected, .found = errno_text(err), .hint = std::move(hint)});
}

// The temporary file: removed on destruction unless it was renamed into place.
class TempFile {
 public:
  TempFile(const std::string& folder, const std::string& base, const std::string& target) {
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    for (int attempt = 0; attempt < 100; ++attempt) {
      // The name is cut so that a target name near the system's limit still gets a temporary.
      path_ =
          fmt::format("{}/.{}.tmp-{}-{}-{:08x}", folder, base.substr(0, 100), ::getpid(), counter.fetch_add(1), rd());
      fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd_ >= 0 || errno != EEXIST) break;
    }
    if (fd_ < 0) {
      int err = errno;
      std::string hint = errno_hint(err);
      if (err == EACCES || err == EPERM)
        hint = fmt::format("the folder '{}' is not writable: check its permissions or save elsewhere", folder);
      fail(fmt::format("cannot write '{}': creating a temporary file in its folder failed", target),
           "a writable folder", err, hint);
    }
  }
  ~TempFile() {
    if (file_ != nullptr)
      std::fclose(file_);
    else if (fd_ >= 0)
      ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  std::FILE* open_stream() {
    file_ = ::fdopen(fd_, "wb");
    return file_;
  }
  // Flushes, fsyncs and closes; returns 0 or the errno of the failing step (and its name).
  int finish(const char*& step) {
    int err = 0;
    step = "writing";
    if (std::fflush(file_) != 0 || std::ferror(file_)) err = errno != 0 ? errno : EIO;
    if (err == 0 && ::fsync(fd_) != 0) {
      err = errno;
      step = "syncing";
    }
    int closed = std::fclose(file_);
    file_ = nullptr;
    fd_ = -1;
    if (err == 0 && closed != 0) {
      err = errno;
      step = "closing";
    }
    return err;
  }
  void release() { path_.clear(); }  // renamed into place: nothing to remove

 private:
  std::string path_;
  int fd_ = -1;
  std::FILE* file_ = nullptr;
};

}  // namespace

void write_file_atomic(const std::string& path, const std::function<void(std::FILE*)>& writer) {
  namespace fs = std::filesystem;
  if (path.empty())
    throw IOError({.problem = "cannot write a file with an empty path",
                   .expected = "a file path such as 'model.lamina'",
                   .found = "\"\""});
  fs::path p(path);
  std::string base = p.filename().string();
  if (base.empty() || base == "." || base == "..")
    throw IOError({.problem = fmt::format("cannot write '{}': the path names a folder, not a file", path),
                   .expected = "a path ending in a file name",
                   .found = path,
                   .hint = "add a file name, e.g. 'folder/model.lamina'"});
  std::string folder = p.has_parent_path() ? p.parent_path().string() : std::string(".");

  struct stat st {};
  if (::stat(folder.c_str(), &st) != 0) {
    int err = errno;
    fail(fmt::format("cannot write '{}': its folder '{}' is not accessible", path, folder), "an existing folder", err,
         err == ENOENT ? fmt::format("create the folder first (mkdir -p '{}')", folder) : std::string());
  }
  if (!S_ISDIR(st.st_mode))
    throw IOError({.problem = fmt::format("cannot write '{}': '{}' is not a folder", path, folder),
                   .expected = "an existing folder",
                   .found = "a file",
                   .hint = "check the path"});
  struct stat target {};
  bool target_exists = ::stat(path.c_str(), &target) == 0;
  if (target_exists && S_ISDIR(target.st_mode))
    throw IOError({.problem = fmt::format("cannot write '{}': a folder of that name exists", path),
                   .expected = "a file path",
                   .found = "a folder",
                   .hint = "choose another file name or remove the folder"});

  TempFile tmp(folder, base, path);
  if (target_exists && S_ISREG(target.st_mode)) (void)::fchmod(tmp.fd(), target.st_mode & 07777);
  std::FILE* f = tmp.open_stream();
  if (f == nullptr) {
    int err = errno;
    fail(fmt::format("cannot write '{}': opening the temporary file failed", path), "a writable file", err);
  }
  errno = 0;  // so a failed fwrite inside `writer` is what finish() reports
  writer(f);  // an exception leaves the target alone; ~TempFile removes the temporary

  const char* step = "";
  if (int err = tmp.finish(step); err != 0)
    fail(fmt::format("cannot write '{}': {} the temporary file '{}' failed; the old file is untouched", path, step,
                     tmp.path()),
         "a folder with room for the file", err);
  if (::rename(tmp.path().c_str(), path.c_str()) != 0) {
    int err = errno;
    fail(fmt::format("cannot write '{}': renaming the temporary file over it failed; the old file is untouched", path),
         "a writable folder", err);
  }
  tmp.release();

  // Make the rename itself durable. File systems that cannot sync folders say EINVAL.
  int dfd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    int rc = ::fsync(dfd);
    int err = errno;
    ::close(dfd);
    if (rc != 0 && err != EINVAL && err != ENOTSUP)
      fail(fmt::format("'{}' was written, but syncing its folder failed: a crash now could lose the new file", path),
           "a folder that can be synced", err);
  }
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  write_file_atomic(path, [&](std::FILE* f) {
    if (!bytes.empty()) std::fwrite(bytes.data(), 1, bytes.size(), f);
  });
}

std::string read_file(const std::string& path) {
  detail::InputFile file(path);
  if (file.size() > SIZE_MAX / 2)
    throw IOError({.problem = fmt::format("'{}' is too large to read into memory", path),
                   .expected = "a file smaller than the address space",
                   .found = fmt::format("{} bytes", file.size())});
  return file.read(0, static_cast<std::size_t>(file.size()));
}

}  // namespace lamina::io
