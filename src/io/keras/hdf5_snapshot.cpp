// H5Reader (hdf5.hpp): the file is read by libhdf5 in a child process, which sends back a
// snapshot of everything a Keras reader can ask for. A crash, hang or abort inside libhdf5
// then refuses the file instead of taking the process down.
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <variant>

#include "io/keras/hdf5.hpp"
#include "io/keras/hdf5_direct.hpp"
#include "lamina/core/error.hpp"

// Sanitizer runtimes (ASan, UBSan; libFuzzer installs its callback there) when linked in.
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

namespace lamina::io::keras {

// An error found at one path, raised again (same kind, same details) when it is asked for.
struct H5Failure {
  ErrorKind kind = ErrorKind::Value;
  ErrorDetails details;
};

struct H5Node {
  bool group = false;  // else a dataset
  std::optional<H5Failure> children_error, attrs_error, data_error;
  std::vector<std::string> children;
  std::map<std::string, std::variant<std::vector<std::string>, H5Failure>> attrs;
  std::optional<H5RawArray> data;  // datasets, in the child
  Tensor tensor;                   // datasets, in the parent
};

struct H5Snapshot {
  std::map<std::string, H5Node> nodes;           // by path; "" is the root
  std::map<std::string, H5Failure> link_errors;  // paths that could not be opened
};

namespace {

[[noreturn]] void raise(const H5Failure& f) {
  switch (f.kind) {
    case ErrorKind::Shape:
      throw ShapeError(f.details);
    case ErrorKind::DType:
      throw DTypeError(f.details);
    case ErrorKind::IO:
      throw IOError(f.details);
    default:
      throw ValueError(f.details);
  }
}

H5Failure failure_of(const Error& e) { return {e.kind(), e.details()}; }

std::string join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "/" + b; }

// ---- the child: walk the file ---------------------------------------------------------

struct Walker {
  const H5Direct& h5;
  H5Snapshot& snap;
  std::size_t objects = 0;

  void attrs(const std::string& path, H5Node& node) {
    try {
      for (const auto& name : h5.attr_names(path)) {
        try {
          node.attrs[name] = h5.string_list_attr(path, name).value_or(std::vector<std::string>{});
        } catch (const Error& e) {
          node.attrs[name] = failure_of(e);
        }
      }
    } catch (const Error& e) {
      node.attrs_error = failure_of(e);
    }
  }

  void group(const std::string& path, int depth) {
    if (++objects > H5Reader::kMaxObjects || depth > H5Reader::kMaxDepth)
      throw ValueError(
          {.problem = fmt::format("'{}' nests its groups too deeply or holds too many objects", h5.source()),
           .expected = fmt::format("at most {} objects, {} levels deep", H5Reader::kMaxObjects, H5Reader::kMaxDepth),
           .found = fmt::format("more, at '{}'", path),
           .hint = "a group that links to its own parent makes an endless tree; the file is crafted"});
    H5Node& node = snap.nodes[path];
    node.group = true;
    attrs(path, node);
    try {
      node.children = h5.children(path);
    } catch (const Error& e) {
      node.children_error = failure_of(e);
      return;
    }
    for (const auto& child : node.children) {
      const std::string p = join(path, child);
      try {
        if (h5.has_group(p)) {
          group(p, depth + 1);
        } else if (h5.has_dataset(p)) {
          if (++objects > H5Reader::kMaxObjects) group(p, H5Reader::kMaxDepth + 1);  // raises
          H5Node& ds = snap.nodes[p];
          attrs(p, ds);
          try {
            ds.data = h5.dataset(p);
          } catch (const Error& e) {
            ds.data_error = failure_of(e);
          }
        }
      } catch (const ValueError& e) {
        if (e.details().problem.find("too many objects") != std::string::npos) throw;
        snap.link_errors[p] = failure_of(e);
      }
    }
  }
};

// ---- the snapshot on the wire ---------------------------------------------------------

struct Out {
  std::string b;
  void u64(std::uint64_t v) { b.append(reinterpret_cast<const char*>(&v), 8); }
  void str(const std::string& s) { u64(s.size()), b += s; }
  void failure(const H5Failure& f) {
    u64(static_cast<std::uint64_t>(f.kind));
    for (const auto* s : {&f.details.op, &f.details.problem, &f.details.expected, &f.details.found, &f.details.hint})
      str(*s);
  }
  void opt_failure(const std::optional<H5Failure>& f) {
    u64(f ? 1 : 0);
    if (f) failure(*f);
  }
  void strings(const std::vector<std::string>& v) {
    u64(v.size());
    for (const auto& s : v) str(s);
  }
};

struct In {
  std::string_view b;
  std::size_t at = 0;
  bool ok = true;
  std::uint64_t u64() {
    if (b.size() - at < 8) return ok = false, 0;
    std::uint64_t v;
    std::memcpy(&v, b.data() + at, 8);
    at += 8;
    return v;
  }
  std::string str() {
    std::uint64_t n = u64();
    if (!ok || b.size() - at < n) return ok = false, "";
    std::string s(b.substr(at, n));
    at += n;
    return s;
  }
  H5Failure failure() {
    H5Failure f;
    f.kind = static_cast<ErrorKind>(u64());
    for (auto* s : {&f.details.op, &f.details.problem, &f.details.expected, &f.details.found, &f.details.hint})
      *s = str();
    return f;
  }
  std::optional<H5Failure> opt_failure() {
    if (u64() == 0) return std::nullopt;
    return failure();
  }
  std::vector<std::string> strings() {
    std::uint64_t n = u64();
    std::vector<std::string> v;
    for (std::uint64_t i = 0; ok && i < n; ++i) v.push_back(str());
    return v;
  }
};

std::string encode(const H5Snapshot& s) {
  Out o;
  o.u64(s.nodes.size());
  for (const auto& [path, n] : s.nodes) {
    o.str(path);
    o.u64(n.group ? 1 : 0);
    o.opt_failure(n.children_error);
    o.opt_failure(n.attrs_error);
    o.opt_failure(n.data_error);
    o.strings(n.children);
    o.u64(n.attrs.size());
    for (const auto& [name, v] : n.attrs) {
      o.str(name);
      o.u64(v.index());
      if (v.index() == 0)
        o.strings(std::get<0>(v));
      else
        o.failure(std::get<1>(v));
    }
    o.u64(n.data ? 1 : 0);
    if (n.data) {
      o.u64(static_cast<std::uint64_t>(n.data->dtype));
      o.u64(n.data->shape.size());
      for (auto d : n.data->shape) o.u64(static_cast<std::uint64_t>(d));
      o.str(n.data->bytes);
    }
  }
  o.u64(s.link_errors.size());
  for (const auto& [path, f] : s.link_errors) o.str(path), o.failure(f);
  return o.b;
}

bool decode(std::string_view bytes, H5Snapshot& s) {
  In in{bytes};
  std::uint64_t n = in.u64();
  for (std::uint64_t i = 0; in.ok && i < n; ++i) {
    H5Node& node = s.nodes[in.str()];
    node.group = in.u64() != 0;
    node.children_error = in.opt_failure();
    node.attrs_error = in.opt_failure();
    node.data_error = in.opt_failure();
    node.children = in.strings();
    std::uint64_t na = in.u64();
    for (std::uint64_t a = 0; in.ok && a < na; ++a) {
      std::string name = in.str();
      if (in.u64() == 0)
        node.attrs[name] = in.strings();
      else
        node.attrs[name] = in.failure();
    }
    if (in.u64() != 0) {
      const std::uint64_t code = in.u64();
      if (code > static_cast<std::uint64_t>(DType::Float64)) return false;
      auto dtype = static_cast<DType>(code);
      std::uint64_t rank = in.u64();
      if (rank > 64) return false;
      std::vector<std::int64_t> dims;
      for (std::uint64_t r = 0; r < rank; ++r) dims.push_back(static_cast<std::int64_t>(in.u64()));
      std::string raw = in.str();
      if (!in.ok) return false;
      std::uint64_t count = 1;
      for (auto d : dims) {
        if (d < 0 || (d != 0 && count > (std::uint64_t{1} << 62) / static_cast<std::uint64_t>(d))) return false;
        count *= static_cast<std::uint64_t>(d);
      }
      if (raw.size() != count * itemsize(dtype)) return false;
      node.tensor = detail::empty(Shape(dims), dtype);
      if (!raw.empty()) std::memcpy(detail::mutable_raw_data(node.tensor), raw.data(), raw.size());
    }
  }
  std::uint64_t nl = in.u64();
  for (std::uint64_t i = 0; in.ok && i < nl; ++i) {
    std::string path = in.str();
    s.link_errors[path] = in.failure();
  }
  return in.ok && in.at == bytes.size();
}

bool write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// In the child: the snapshot (status 0) or the error that refused the whole file (status 1).
void child_death() { ::_exit(9); }

[[noreturn]] void child_main(int fd, std::string_view bytes, const std::string& source) {
  // A crash here must end this process quietly: no fuzzer crash file for libhdf5's own faults
  // (the parent turns them into an error). A sanitizer still prints what it caught.
  for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGTRAP}) ::signal(sig, SIG_DFL);
  if (&__sanitizer_set_death_callback != nullptr) __sanitizer_set_death_callback(child_death);
  hdf5_enter_child();
  Out o;
  try {
    H5Direct h5(bytes, source);
    H5Snapshot snap;
    Walker{h5, snap}.group("", 0);
    o.u64(0);
    o.b += encode(snap);
  } catch (const Error& e) {
    o = Out{};
    o.u64(1);
    o.failure(failure_of(e));
  } catch (const std::exception& e) {
    o = Out{};
    o.u64(1);
    o.failure({ErrorKind::Value,
               {.problem = fmt::format("'{}' could not be read: {}", source, e.what()),
                .expected = "a well-formed HDF5 file",
                .found = "an error inside the reader",
                .hint = "the file is damaged; save it again"}});
  }
  ::_exit(write_all(fd, o.b) ? 0 : 3);
}

// LAMINA_HDF5_TIMEOUT (seconds) shortens the wait, for fuzzing.
int child_timeout_seconds() {
  static const int seconds = [] {
    const char* env = std::getenv("LAMINA_HDF5_TIMEOUT");
    int v = env ? std::atoi(env) : 0;
    return v > 0 && v <= 3600 ? v : H5Reader::kChildTimeoutSeconds;
  }();
  return seconds;
}

}  // namespace

H5Reader::H5Reader(std::string_view bytes, std::string source) : source_(std::move(source)) {
  static constexpr char kSignature[] = "\x89HDF\r\n\x1a\n";
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kSignature, 8) != 0)
    throw ValueError({.problem = fmt::format("'{}' is not an HDF5 file", source_),
                      .expected = "the HDF5 signature \\x89HDF\\r\\n\\x1a\\n at the start",
                      .found = bytes.size() < 8 ? fmt::format("{} bytes", bytes.size()) : "other bytes",
                      .hint = "Keras weights files (model.weights.h5, legacy .h5) start with it; the file is "
                              "damaged or of another kind"});
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw IOError(
        {.problem = fmt::format("cannot read '{}': no pipe for the HDF5 reader ({})", source_, std::strerror(errno)),
         .expected = "a free file descriptor",
         .found = std::strerror(errno),
         .hint = "close some files"});
  pid_t pid;
  {
    // No other thread may be inside libhdf5 when its state is copied into the child.
    auto lock = hdf5_fork_lock();
    pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      child_main(fds[1], bytes, source_);
    }
  }
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    throw IOError(
        {.problem = fmt::format("cannot read '{}': no process for the HDF5 reader ({})", source_, std::strerror(errno)),
         .expected = "fork() to succeed",
         .found = std::strerror(errno),
         .hint = "the system is out of processes or memory"});
  }
  std::string out;
  bool timed_out = false;
  char buf[1 << 16];
  for (;;) {
    pollfd p{fds[0], POLLIN, 0};
    int r = ::poll(&p, 1, child_timeout_seconds() * 1000);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const bool clean = !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  In head{out};
  const std::uint64_t kind = head.u64();
  if (clean && head.ok && kind == 1) raise(head.failure());
  auto snap = std::make_unique<H5Snapshot>();
  if (!clean || !head.ok || kind != 0 || !decode(std::string_view(out).substr(8), *snap))
    fail("", "libhdf5 failed on it", "a well-formed HDF5 file",
         timed_out             ? fmt::format("no progress in {} s", kChildTimeoutSeconds)
         : WIFSIGNALED(status) ? fmt::format("the reader crashed (signal {})", WTERMSIG(status))
                               : "an unreadable file",
         "the file is damaged or crafted; save it again (libhdf5 is kept in a separate process for such files)");
  snap_ = std::move(snap);
}

H5Reader::~H5Reader() = default;

void H5Reader::fail(const std::string& path, const std::string& problem, const std::string& expected,
                    const std::string& found, const std::string& hint) const {
  std::string where = path.empty() ? fmt::format("'{}'", source_) : fmt::format("'{}' at '{}'", source_, path);
  throw ValueError({.problem = fmt::format("invalid HDF5 file {}: {}", where, problem),
                    .expected = expected,
                    .found = found,
                    .hint = hint.empty() ? "the file is damaged or was not written by Keras/h5py" : hint});
}

namespace {
// The node at `path`, or null; an error recorded on the way (a soft link, an unlistable
// group) is raised, as opening the path directly would raise it.
const H5Node* find(const H5Snapshot& s, const std::string& path) {
  for (std::size_t at = 0;;) {
    auto slash = path.find('/', at);
    const std::string prefix = path.substr(0, slash);
    if (auto e = s.link_errors.find(prefix); e != s.link_errors.end()) raise(e->second);
    if (slash == std::string::npos) break;
    at = slash + 1;
  }
  if (auto it = s.nodes.find(path); it != s.nodes.end()) return &it->second;
  // Missing: under a group whose links could not be listed, that error is the answer.
  for (std::string p = path; !p.empty();) {
    p = p.find('/') == std::string::npos ? "" : p.substr(0, p.rfind('/'));
    if (auto it = s.nodes.find(p); it != s.nodes.end()) {
      if (it->second.children_error) raise(*it->second.children_error);
      break;
    }
  }
  return nullptr;
}
}  // namespace

bool H5Reader::has_group(const std::string& path) const {
  const H5Node* n = find(*snap_, path);
  return n && n->group;
}

bool H5Reader::has_dataset(const std::string& path) const {
  const H5Node* n = find(*snap_, path);
  return n && !n->group;
}

std::vector<std::string> H5Reader::children(const std::string& group) const {
  const H5Node* n = find(*snap_, group);
  if (!n || !n->group) fail(group, "the group does not exist", "a group", n ? "a dataset" : "nothing");
  if (n->children_error) raise(*n->children_error);
  return n->children;
}

bool H5Reader::has_attr(const std::string& path, const std::string& name) const {
  const H5Node* n = find(*snap_, path);
  if (!n) return false;
  if (n->attrs_error) raise(*n->attrs_error);
  return n->attrs.count(name) != 0;
}

std::optional<std::vector<std::string>> H5Reader::string_list_attr(const std::string& path,
                                                                   const std::string& name) const {
  const H5Node* n = find(*snap_, path);
  if (!n) return std::nullopt;
  if (n->attrs_error) raise(*n->attrs_error);
  auto it = n->attrs.find(name);
  if (it == n->attrs.end()) return std::nullopt;
  if (it->second.index() == 1) raise(std::get<1>(it->second));
  return std::get<0>(it->second);
}

std::optional<std::string> H5Reader::string_attr(const std::string& path, const std::string& name) const {
  auto list = string_list_attr(path, name);
  if (!list) return std::nullopt;
  if (list->size() != 1)
    fail(path + "@" + name, "the attribute is not one string", "one string", fmt::format("{} strings", list->size()));
  return list->front();
}

std::vector<std::string> H5Reader::chunked_string_list_attr(const std::string& path, const std::string& name) const {
  if (auto whole = string_list_attr(path, name)) return *whole;
  std::vector<std::string> out;
  for (int chunk = 0;; ++chunk) {
    auto part = string_list_attr(path, fmt::format("{}{}", name, chunk));
    if (!part) break;
    out.insert(out.end(), part->begin(), part->end());
  }
  return out;
}

Tensor H5Reader::dataset(const std::string& path) const {
  const H5Node* n = find(*snap_, path);
  if (!n || n->group) fail(path, "the dataset does not exist", "a dataset", n ? "a group" : "nothing");
  if (n->data_error) raise(*n->data_error);
  return n->tensor;
}

}  // namespace lamina::io::keras
