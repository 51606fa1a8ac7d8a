#include "lamina/io/npy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <map>

#include "io/input_file.hpp"
#include "lamina/core/error.hpp"
#include "lamina/io/atomic_file.hpp"

static_assert(std::endian::native == std::endian::little, "Lamina's io module supports little-endian hosts only");

namespace lamina::io {

namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr std::size_t kMaxRank = 64;
constexpr const char* kDamagedHint = "the file is damaged, truncated or not a .npy file; save it again with np.save";
constexpr const char* kConvertHint =
    "convert the array before saving, e.g. np.save(path, arr.astype(np.float32)) (or int32, int64, bool)";

[[noreturn]] void bad(const std::string& source, const std::string& problem, std::string expected, std::string found,
                      std::string hint = kDamagedHint) {
  throw ValueError({.problem = fmt::format("invalid .npy file '{}': {}", source, problem),
                    .expected = std::move(expected),
                    .found = std::move(found),
                    .hint = std::move(hint)});
}

std::string printable(std::string_view bytes, std::size_t max = 40) {
  std::string s;
  for (std::size_t i = 0; i < bytes.size() && i < max; ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    s += (c >= 0x20 && c < 0x7f) ? std::string(1, static_cast<char>(c)) : fmt::format("\\x{:02x}", c);
  }
  if (bytes.size() > max) s += "...";
  return s;
}

// A value of the header's Python dict literal: a string, True/False or a tuple of integers.
struct PyValue {
  enum Kind { Str, Bool, Tuple } kind = Str;
  std::string str;
  bool flag = false;
  std::vector<std::int64_t> tuple;
};

// Parses exactly the literals np.save writes (and NumPy accepts): no evaluation, no escapes.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& source) : s_(text), source_(source) {}

  std::map<std::string, PyValue> dict() {
    std::map<std::string, PyValue> out;
    skip_space();
    expect('{', "'{' starting the header dict");
    skip_space();
    while (!eat('}')) {
      std::string key = string_literal();
      skip_space();
      expect(':', "':' after a dict key");
      skip_space();
      PyValue v = value(key);
      if (!out.emplace(key, std::move(v)).second) fail(fmt::format("each key once (key '{}' repeats)", key));
      skip_space();
      if (eat(',')) {
        skip_space();
        continue;
      }
      expect('}', "',' or '}' after a dict value");
      break;
    }
    skip_space();
    if (pos_ != s_.size()) fail("only spaces and '\\n' after the header dict");
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& expected) {
    bad(source_, "the header is not a dict literal NumPy writes", expected,
        pos_ < s_.size() ? fmt::format("'{}' at header byte {}", printable(s_.substr(pos_), 20), pos_)
                         : "the end of the header");
  }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  bool eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c, const char* what) {
    if (!eat(c)) fail(what);
  }
  bool eat_word(std::string_view w) {
    if (s_.substr(pos_, w.size()) != w) return false;
    pos_ += w.size();
    return true;
  }
  std::string string_literal() {
    char q = pos_ < s_.size() ? s_[pos_] : '\0';
    if (q != '\'' && q != '"') fail("a quoted string");
    std::size_t start = ++pos_;
    while (pos_ < s_.size() && s_[pos_] != q) {
      if (s_[pos_] == '\\') fail("a string without backslash escapes");
      ++pos_;
    }
    if (pos_ == s_.size()) fail(fmt::format("a closing {} ending the string", q));
    return std::string(s_.substr(start, pos_++ - start));
  }
  std::int64_t integer() {
    std::size_t start = pos_;
    std::uint64_t n = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      n = n * 10 + static_cast<std::uint64_t>(s_[pos_++] - '0');
      if (n > static_cast<std::uint64_t>(INT64_MAX)) {
        pos_ = start;
        fail("dims below 2^63");
      }
    }
    if (pos_ == start) fail("a non-negative integer dim");
    if (pos_ < s_.size() && (s_[pos_] == 'L' || s_[pos_] == 'l')) ++pos_;  // Python 2 long literals
    return static_cast<std::int64_t>(n);
  }
  PyValue value(const std::string& key) {
    PyValue v;
    char c = pos_ < s_.size() ? s_[pos_] : '\0';
    if (c == '\'' || c == '"') {
      v.str = string_literal();
    } else if (eat_word("True")) {
      v.kind = PyValue::Bool;
      v.flag = true;
    } else if (eat_word("False")) {
      v.kind = PyValue::Bool;
    } else if (eat('(')) {
      v.kind = PyValue::Tuple;
      skip_space();
      bool comma = false;
      while (!eat(')')) {
        if (v.tuple.size() == kMaxRank) fail(fmt::format("a shape of at most {} dims (NumPy's limit)", kMaxRank));
        v.tuple.push_back(integer());
        skip_space();
        comma = eat(',');
        skip_space();
        if (!comma) {
          expect(')', "',' or ')' in the shape tuple");
          break;
        }
      }
      if (v.tuple.size() == 1 && !comma) fail("a tuple: a one-dim shape is written (n,)");
    } else if (key == "descr" && c == '[') {
      bad(source_, "the array has a structured dtype (a list of fields), which Lamina does not load",
          "a plain dtype such as '<f4'", printable(s_.substr(pos_), 40), kConvertHint);
    } else {
      fail("a string, True, False or a tuple of integers");
    }
    return v;
  }

  std::string_view s_;
  const std::string& source_;
  std::size_t pos_ = 0;
};

// What a descr reads as: the stored element kind/size and the Lamina dtype it becomes.
struct Source {
  char kind;  // 'b', 'i', 'u', 'f'
  std::size_t size;
  bool swap;  // big-endian data
  DType dtype;
};

Source parse_descr(const std::string& descr, const std::string& source) {
  std::string_view d = descr;
  char order = '=';
  if (!d.empty() && (d[0] == '<' || d[0] == '>' || d[0] == '|' || d[0] == '=')) {
    order = d[0];
    d.remove_prefix(1);
  }
  struct Row {
    std::string_view code;
    DType dtype;
  };
  static constexpr Row rows[] = {{"b1", Bool},  {"i1", Int32}, {"u1", Int32}, {"i2", Int32},   {"u2", Int32},
                                 {"i4", Int32}, {"u4", Int64}, {"i8", Int64}, {"f4", Float32}, {"f8", Float64}};
  for (const auto& r : rows)
    if (d == r.code) {
      auto size = static_cast<std::size_t>(r.code[1] - '0');
      return {r.code[0], size, order == '>' && size > 1, r.dtype};
    }
  std::string what = "an unknown dtype";
  if (d == "f2") what = "float16";
  if (d == "u8") what = "uint64 (its values may not fit int64)";
  if (!d.empty() && d[0] == 'c') what = "a complex dtype";
  if (!d.empty() && (d[0] == 'U' || d[0] == 'S' || d[0] == 'a')) what = "a string dtype";
  if (d == "O") what = "Python objects (pickled data, never loaded)";
  if (!d.empty() && (d[0] == 'M' || d[0] == 'm')) what = "a datetime dtype";
  if (!d.empty() && d[0] == 'V') what = "a raw or structured dtype";
  bad(source, fmt::format("the array's dtype is {}, which Lamina does not load", what),
      "one of <f4, <f8, <i4, <i8, |b1 (also |i1, |u1, <i2, <u2, <u4 and their '>' big-endian forms)",
      fmt::format("'{}'", printable(descr)), kConvertHint);
}

// Source element offsets, in C order, of an array stored in Fortran (column-major) order.
class FortranWalk {
 public:
  explicit FortranWalk(const Shape& s) : dims_(s.dims()), idx_(dims_.size(), 0), stride_(dims_.size(), 1) {
    for (std::size_t k = 1; k < dims_.size(); ++k) stride_[k] = stride_[k - 1] * static_cast<std::size_t>(dims_[k - 1]);
  }
  std::size_t next() {
    std::size_t cur = offset_;
    for (std::size_t k = dims_.size(); k-- > 0;) {  // the last axis moves fastest in C order
      offset_ += stride_[k];
      if (++idx_[k] < static_cast<std::size_t>(dims_[k])) break;
      offset_ -= stride_[k] * idx_[k];
      idx_[k] = 0;
    }
    return cur;
  }

 private:
  std::vector<std::int64_t> dims_;
  std::vector<std::size_t> idx_, stride_;
  std::size_t offset_ = 0;
};

template <class S>
S load_element(const char* p, bool swap) {
  std::array<char, sizeof(S)> b;
  std::memcpy(b.data(), p, sizeof(S));
  if (swap) std::reverse(b.begin(), b.end());
  S v;
  std::memcpy(&v, b.data(), sizeof(S));
  return v;
}

// Fills `out` (C order) from the stored elements, converting S to D.
template <class S, class D>
void convert(const char* data, std::size_t n, const Source& src, bool fortran, const Shape& shape, D* out) {
  if (!fortran && !src.swap && std::is_same_v<S, D>) {
    if (n > 0) std::memcpy(out, data, n * sizeof(S));
    return;
  }
  FortranWalk walk(shape);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t at = fortran ? walk.next() : i;
    out[i] = static_cast<D>(load_element<S>(data + at * sizeof(S), src.swap));
  }
}

template <class D>
void fill(const char* data, std::size_t n, const Source& src, bool fortran, const Shape& shape, D* out) {
  switch (src.kind == 'f' ? src.size * 10 : src.kind == 'u' ? src.size + 100 : src.size) {
    case 1:
      return convert<std::int8_t>(data, n, src, fortran, shape, out);
    case 2:
      return convert<std::int16_t>(data, n, src, fortran, shape, out);
    case 4:
      return convert<std::int32_t>(data, n, src, fortran, shape, out);
    case 8:
      return convert<std::int64_t>(data, n, src, fortran, shape, out);
    case 101:
      return convert<std::uint8_t>(data, n, src, fortran, shape, out);
    case 102:
      return convert<std::uint16_t>(data, n, src, fortran, shape, out);
    case 104:
      return convert<std::uint32_t>(data, n, src, fortran, shape, out);
    case 40:
      return convert<float>(data, n, src, fortran, shape, out);
    case 80:
      return convert<double>(data, n, src, fortran, shape, out);
  }
}

std::string shape_literal(const Shape& s) {
  if (s.rank() == 1) return fmt::format("({},)", s[0]);
  return fmt::format("({})", fmt::join(s.dims(), ", "));
}

std::string_view descr_of(DType dt) {
  switch (dt) {
    case Bool:
      return "|b1";
    case Int32:
      return "<i4";
    case Int64:
      return "<i8";
    case Float32:
      return "<f4";
    case Float64:
      break;
  }
  return "<f8";
}

}  // namespace

Tensor decode_npy(std::string_view bytes, const std::string& source_name) {
  OpScope scope("decode_npy");
  const std::string& source = source_name;
  if (bytes.substr(0, kMagic.size()) != kMagic)
    bad(source, "the file does not start with the .npy magic string", "the bytes \\x93NUMPY",
        fmt::format("'{}'", printable(bytes.substr(0, 8))));
  if (bytes.size() < 8)
    bad(source, "the file ends inside the preamble", "at least 10 bytes", fmt::format("{} bytes", bytes.size()));
  int major = static_cast<unsigned char>(bytes[6]), minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0)
    bad(source, "unsupported .npy format version", "1.0, 2.0 or 3.0", fmt::format("{}.{}", major, minor),
        "save the array again with NumPy (np.save writes 1.0)");
  std::size_t preamble = major == 1 ? 10 : 12;
  if (bytes.size() < preamble)
    bad(source, "the file ends inside the preamble", fmt::format("at least {} bytes", preamble),
        fmt::format("{} bytes", bytes.size()));
  std::uint64_t hlen =
      static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned>(static_cast<unsigned char>(bytes[9])) << 8);
  if (major > 1)
    hlen |= (static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[10])) << 16) |
            (static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[11])) << 24);
  if (hlen > bytes.size() - preamble)
    bad(source, "the header is longer than the rest of the file", fmt::format("{} header bytes", hlen),
        fmt::format("{} bytes after the preamble", bytes.size() - preamble));

  auto fields = HeaderParser(bytes.substr(preamble, hlen), source).dict();
  const std::pair<const char*, PyValue::Kind> wanted[] = {
      {"descr", PyValue::Str}, {"fortran_order", PyValue::Bool}, {"shape", PyValue::Tuple}};
  std::string keys;
  for (const auto& [k, v] : fields) keys += (keys.empty() ? "'" : ", '") + printable(k) + "'";
  if (fields.size() != 3)
    bad(source, "the header dict does not have exactly the keys descr, fortran_order and shape",
        "{'descr': ..., 'fortran_order': ..., 'shape': ...}", "keys " + keys);
  for (const auto& [key, kind] : wanted) {
    auto it = fields.find(key);
    if (it == fields.end())
      bad(source, fmt::format("the header has no key '{}'", key), "{'descr': ..., 'fortran_order': ..., 'shape': ...}",
          "keys " + keys);
    if (it->second.kind != kind)
      bad(source, fmt::format("the header's '{}' has the wrong type", key),
          kind == PyValue::Str    ? "a string"
          : kind == PyValue::Bool ? "True or False"
                                  : "a tuple of dims",
          it->second.kind == PyValue::Str    ? "a string"
          : it->second.kind == PyValue::Bool ? "a boolean"
                                             : "a tuple");
  }
  Source src = parse_descr(fields["descr"].str, source);
  bool fortran = fields["fortran_order"].flag;
  Shape shape(fields["shape"].tuple);

  // Elements times item size, without overflow; a zero dim makes the count 0 (as Shape does).
  std::uint64_t n = std::find(shape.begin(), shape.end(), 0) != shape.end() ? 0 : 1, nbytes = 0;
  for (auto d : shape)
    if (n != 0 && __builtin_mul_overflow(n, static_cast<std::uint64_t>(d), &n))
      bad(source, "the array's element count overflows a 64-bit integer", "a shape NumPy can allocate",
          shape_literal(shape));
  if (__builtin_mul_overflow(n, src.size, &nbytes) || n > static_cast<std::uint64_t>(INT64_MAX))
    bad(source, "the array's size in bytes overflows a 64-bit integer", "a shape NumPy can allocate",
        shape_literal(shape));
  std::string_view data = bytes.substr(preamble + hlen);
  if (nbytes != data.size())
    bad(source,
        nbytes > data.size() ? "the data is shorter than the header says (truncated file)"
                             : "the data is longer than the header says",
        fmt::format("{} bytes ({} x '{}' for shape {})", nbytes, n, fields["descr"].str, shape_literal(shape)),
        fmt::format("{} bytes", data.size()));
  if (src.kind == 'b')
    for (std::size_t i = 0; i < data.size(); ++i)
      if (auto c = static_cast<unsigned char>(data[i]); c > 1)
        bad(source, "a bool array holds a byte that is not 0 or 1", "bytes 0 (False) and 1 (True)",
            fmt::format("{} at byte {} of the data", c, i));

  Tensor out = lamina::detail::empty(shape, src.dtype);
  auto count = static_cast<std::size_t>(n);
  visit_dtype(src.dtype, [&](auto tag) {
    using D = decltype(tag);
    D* dst = lamina::detail::mutable_data<D>(out);
    if constexpr (std::is_same_v<D, bool>) {
      FortranWalk walk(shape);
      for (std::size_t i = 0; i < count; ++i) dst[i] = data[fortran ? walk.next() : i] != 0;
    } else {
      fill(data.data(), count, src, fortran, shape, dst);
    }
  });
  return out;
}

Tensor load_npy(const std::string& path) {
  OpScope scope("load_npy");
  detail::MappedFile file(path);
  return decode_npy(file.bytes(), path);
}

std::string encode_npy(const Tensor& t) {
  OpScope scope("encode_npy");
  if (!t.defined() || t.is_symbolic())
    throw ValueError({.problem = "cannot save a tensor without values as .npy",
                      .expected = "a concrete tensor",
                      .found = t.defined() ? "a symbolic tensor " + t.spec().str() : "an undefined tensor",
                      .hint = "save tensors computed from data, not model placeholders"});
  if (t.rank() > static_cast<std::int64_t>(kMaxRank))
    throw ValueError({.problem = "cannot save a tensor of more than 64 dims as .npy (NumPy reads at most 64)",
                      .expected = fmt::format("at most {} dims", kMaxRank),
                      .found = t.shape().str(),
                      .hint = "reshape it before saving"});
  std::string dict = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr_of(t.dtype()),
                                 shape_literal(t.shape()));
  // As NumPy: the header ends in '\n' and is padded with spaces so the data starts at a multiple
  // of 64. Within 64 dims the header always fits version 1.0's 2-byte length.
  const std::size_t preamble = 10, hlen = dict.size() + 1;
  const std::size_t total = hlen + 64 - (preamble + hlen) % 64;
  auto nbytes = static_cast<std::size_t>(t.numel()) * itemsize(t.dtype());
  std::string out;
  out.reserve(preamble + total + nbytes);
  out += kMagic;
  out += '\1';  // version 1.0
  out += '\0';
  out += static_cast<char>(total & 0xff);
  out += static_cast<char>(total >> 8);
  out += dict;
  out.append(total - hlen, ' ');
  out += '\n';
  if (nbytes > 0) out.append(static_cast<const char*>(t.raw_data()), nbytes);
  return out;
}

void save_npy(const std::string& path, const Tensor& t) {
  OpScope scope("save_npy");
  std::string bytes = encode_npy(t);
  write_file_atomic(path, bytes);
}

}  // namespace lamina::io
