// write_file_atomic / read_file: atomic replacement, cleanup on every failure, typed errors.
#include <pwd.h>
#include <sys/resource.h>

#include <csignal>

#include "io_test_util.hpp"

namespace lm = lamina;
namespace io = lamina::io;
using lm::iotest::slurp;
using lm::iotest::spit;
using lm::iotest::TempDir;
using ::testing::HasSubstr;

namespace {

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

mode_t current_umask() {
  mode_t m = ::umask(022);
  ::umask(m);
  return m;
}

// Root ignores permission bits; act as an unprivileged user while this lives.
class AsUnprivileged {
 public:
  AsUnprivileged() {
    if (::geteuid() != 0) return;
    const passwd* nobody = ::getpwnam("nobody");
    uid_t uid = nobody != nullptr ? nobody->pw_uid : 65534;
    ok_ = ::seteuid(uid) == 0;
    switched_ = ok_;
  }
  ~AsUnprivileged() {
    if (switched_) (void)::seteuid(0);
  }
  bool ok() const { return ok_; }

 private:
  bool ok_ = true;
  bool switched_ = false;
};

}  // namespace

TEST(AtomicFile, WritesANewFileWithDefaultPermissions) {
  TempDir dir;
  std::string path = dir.file("a.bin");
  std::string bytes("he\0llo", 6);  // embedded NUL: binary-safe
  io::write_file_atomic(path, bytes);
  EXPECT_EQ(slurp(path), bytes);
  EXPECT_EQ(mode_of(path), 0666 & ~current_umask());
  EXPECT_EQ(dir.entries(), std::set<std::string>{"a.bin"});
}

TEST(AtomicFile, ReplacesAnExistingFileAndKeepsItsPermissions) {
  TempDir dir;
  std::string path = dir.file("a.bin");
  spit(path, "old contents, longer than the new ones");
  ::chmod(path.c_str(), 0640);
  io::write_file_atomic(path, std::string_view("new"));
  EXPECT_EQ(slurp(path), "new");
  EXPECT_EQ(mode_of(path), 0640u);
  EXPECT_EQ(dir.entries(), std::set<std::string>{"a.bin"});
}

TEST(AtomicFile, RelativePathWithoutFolderWritesIntoTheWorkingDirectory) {
  TempDir dir;
  auto old = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  io::write_file_atomic("plain.bin", std::string_view("x"));
  std::filesystem::current_path(old);
  EXPECT_EQ(slurp(dir.file("plain.bin")), "x");
}

TEST(AtomicFile, NamesNearTheSystemLimitWork) {
  TempDir dir;
  std::string name(250, 'n');  // NAME_MAX is 255: the temporary's name must not simply append to it
  io::write_file_atomic(dir.file(name), std::string_view("long"));
  EXPECT_EQ(slurp(dir.file(name)), "long");
  EXPECT_EQ(dir.entries(), std::set<std::string>{name});
}

TEST(AtomicFile, StreamingWriterAndEmptyFiles) {
  TempDir dir;
  std::string path = dir.file("s.bin");
  io::write_file_atomic(path, [](std::FILE* f) {
    std::fputs("ab", f);
    std::fwrite("cd", 1, 2, f);
  });
  EXPECT_EQ(slurp(path), "abcd");
  io::write_file_atomic(path, std::string_view());
  EXPECT_EQ(slurp(path), "");
  EXPECT_EQ(io::read_file(path), "");
}

TEST(AtomicFile, ThrowingWriterLeavesTheOriginalAndNoTemporaryFile) {
  TempDir dir;
  std::string path = dir.file("model.st");
  spit(path, "original");
  EXPECT_THROW(io::write_file_atomic(path,
                                     [](std::FILE* f) {
                                       std::fputs("half of the new contents", f);
                                       std::fflush(f);
                                       throw std::runtime_error("disk on fire");
                                     }),
               std::runtime_error);
  EXPECT_EQ(slurp(path), "original");
  EXPECT_EQ(dir.entries(), std::set<std::string>{"model.st"});
}

TEST(AtomicFile, ThrowingWriterForANewPathCreatesNothing) {
  TempDir dir;
  EXPECT_THROW(io::write_file_atomic(dir.file("new.st"), [](std::FILE*) { throw lm::ValueError({.problem = "no"}); }),
               lm::ValueError);
  EXPECT_TRUE(dir.entries().empty());
}

TEST(AtomicFile, FailedWriteIsIOErrorAndLeavesTheOriginal) {
  // A file-size limit makes the kernel refuse writes past 1 KiB (EFBIG), like a full disk.
  TempDir dir;
  std::string path = dir.file("big.bin");
  spit(path, "original");
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit old_limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  rlimit small = old_limit;
  small.rlim_cur = 1024;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string big(64 * 1024, 'z');
  bool thrown = false;
  try {
    io::write_file_atomic(path, big);
  } catch (const lm::IOError& e) {
    thrown = true;
    std::string msg = e.what();
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_THAT(msg, HasSubstr("the old file is untouched"));
    EXPECT_THAT(msg, HasSubstr("EFBIG"));
  }
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_TRUE(thrown) << "a write past RLIMIT_FSIZE must fail";
  EXPECT_EQ(slurp(path), "original");
  EXPECT_EQ(dir.entries(), std::set<std::string>{"big.bin"});
}

TEST(AtomicFile, MissingFolderIsIOError) {
  TempDir dir;
  std::string path = dir.file("no/such/folder/x.st");
  EXPECT_LAMINA_ERROR(io::write_file_atomic(path, std::string_view("x")), lm::IOError, {
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_THAT(msg, HasSubstr("No such file or directory (ENOENT)"));
    EXPECT_THAT(msg, HasSubstr("mkdir -p"));
  });
  EXPECT_TRUE(dir.entries().empty());
}

TEST(AtomicFile, ReadOnlyFolderIsIOErrorAndLeavesTheOriginal) {
  TempDir dir;
  std::filesystem::create_directory(dir.file("ro"));
  std::string path = dir.file("ro/x.st");
  spit(path, "original");
  ::chmod(dir.file("ro").c_str(), 0555);
  {
    AsUnprivileged user;
    if (!user.ok()) GTEST_SKIP() << "cannot drop root privileges to test permissions";
    EXPECT_LAMINA_ERROR(io::write_file_atomic(path, std::string_view("new")), lm::IOError, {
      EXPECT_THAT(msg, HasSubstr(path));
      EXPECT_THAT(msg, HasSubstr("Permission denied (EACCES)"));
      EXPECT_THAT(msg, HasSubstr("is not writable"));
    });
  }
  EXPECT_EQ(slurp(path), "original");
  EXPECT_EQ(dir.entries("ro"), std::set<std::string>{"x.st"});
}

TEST(AtomicFile, PathsThatAreFoldersAreIOErrors) {
  TempDir dir;
  std::filesystem::create_directory(dir.file("sub"));
  EXPECT_LAMINA_ERROR(io::write_file_atomic(dir.file("sub"), std::string_view("x")), lm::IOError,
                      { EXPECT_THAT(msg, HasSubstr("a folder of that name exists")); });
  EXPECT_LAMINA_ERROR(io::write_file_atomic(dir.path() + "/", std::string_view("x")), lm::IOError,
                      { EXPECT_THAT(msg, HasSubstr("names a folder, not a file")); });
  EXPECT_LAMINA_ERROR(io::write_file_atomic("", std::string_view("x")), lm::IOError,
                      { EXPECT_THAT(msg, HasSubstr("empty path")); });
  spit(dir.file("plain"), "f");
  EXPECT_LAMINA_ERROR(io::write_file_atomic(dir.file("plain/x"), std::string_view("x")), lm::IOError,
                      { EXPECT_THAT(msg, HasSubstr("is not a folder")); });
  EXPECT_EQ(dir.entries(), (std::set<std::string>{"plain", "sub"}));
}

TEST(ReadFile, ReadsBinaryContents) {
  TempDir dir;
  std::string bytes;
  for (int i = 0; i < 70000; ++i) bytes += static_cast<char>(i * 7 % 256);
  spit(dir.file("b"), bytes);
  EXPECT_EQ(io::read_file(dir.file("b")), bytes);
}

TEST(ReadFile, MissingUnreadableAndNonRegularFilesAreIOErrors) {
  TempDir dir;
  EXPECT_LAMINA_ERROR(io::read_file(dir.file("missing.st")), lm::IOError, {
    EXPECT_THAT(msg, HasSubstr(dir.file("missing.st")));
    EXPECT_THAT(msg, HasSubstr("No such file or directory (ENOENT)"));
    EXPECT_THAT(msg, HasSubstr("hint: check the path"));
  });
  EXPECT_LAMINA_ERROR(io::read_file(dir.path()), lm::IOError, {
    EXPECT_THAT(msg, HasSubstr("is not a regular file"));
    EXPECT_THAT(msg, HasSubstr("found:    a folder"));
  });
  EXPECT_LAMINA_ERROR(io::read_file("/dev/null"), lm::IOError,
                      { EXPECT_THAT(msg, HasSubstr("a FIFO, socket or device")); });
  spit(dir.file("secret"), "s");
  ::chmod(dir.file("secret").c_str(), 0000);
  AsUnprivileged user;
  if (!user.ok()) GTEST_SKIP() << "cannot drop root privileges to test permissions";
  EXPECT_LAMINA_ERROR(io::read_file(dir.file("secret")), lm::IOError,
                      { EXPECT_THAT(msg, HasSubstr("Permission denied (EACCES)")); });
}
