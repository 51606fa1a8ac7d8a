#include "lamina/io/safetensors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "io/input_file.hpp"
#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/io/atomic_file.hpp"

static_assert(std::endian::native == std::endian::little,
              "safetensors stores little-endian data; Lamina's io module supports little-endian hosts only");
static_assert(sizeof(bool) == 1, "BOOL tensors are stored one byte per element");

namespace lamina::io {

namespace {

using Json = nlohmann::json;

constexpr const char* kDamagedHint = "the file is damaged, truncated or not a safetensors file; save it again";
constexpr const char* kEntryForm = R"({"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]})";
// A valid header nests containers 3 deep (root, entries, shape/offsets arrays) and its arrays
// are shapes or offset pairs. Refusing anything bigger while parsing keeps a hostile header
// from building a tree many times its size.
constexpr int kMaxDepth = 3;
constexpr std::size_t kMaxRank = 64;  // as NumPy; also caps every array in the header

struct Code {
  std::string_view code;
  DType dtype;
};
constexpr Code kCodes[] = {{"BOOL", Bool}, {"I32", Int32}, {"I64", Int64}, {"F32", Float32}, {"F64", Float64}};
// The spec's other dtypes: recognised so the message can say "not supported" instead of "unknown".
constexpr std::string_view kOtherCodes[] = {"U8",      "I8",      "U16", "I16",     "F16", "BF16",    "U32",    "U64",
                                            "F8_E5M2", "F8_E4M3", "C64", "F8_E8M0", "F4",  "F6_E2M3", "F6_E3M2"};

std::string_view code_of(DType dt) {
  for (const auto& c : kCodes)
    if (c.dtype == dt) return c.code;
  return "?";
}

[[noreturn]] void bad(const std::string& source, const std::string& problem, std::string expected, std::string found,
                      std::string hint = kDamagedHint) {
  throw ValueError({.problem = fmt::format("invalid safetensors file '{}': {}", source, problem),
                    .expected = std::move(expected),
                    .found = std::move(found),
                    .hint = std::move(hint)});
}

// Raw bytes for a message: printable ASCII kept, the rest as \xNN, at most `max` bytes.
std::string printable(std::string_view bytes, std::size_t max = 64) {
  std::string s;
  for (std::size_t i = 0; i < bytes.size() && i < max; ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    s += (c >= 0x20 && c < 0x7f) ? std::string(1, static_cast<char>(c)) : fmt::format("\\x{:02x}", c);
  }
  if (bytes.size() > max) s += "...";
  return s;
}

// A JSON value for a message, without recursing into nested containers.
std::string describe(const Json& v) {
  if (v.is_object()) return fmt::format("an object with {} fields", v.size());
  if (v.is_array()) {
    bool flat = v.size() <= 16 && std::all_of(v.begin(), v.end(), [](const Json& e) { return e.is_primitive(); });
    if (!flat) return fmt::format("an array of {} elements", v.size());
  }
  std::string text = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return fmt::format("{} ({})", text, v.type_name());
}

std::uint64_t read_le64(std::string_view b) {
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(b[static_cast<std::size_t>(i)]);
  return n;
}

// The header size N from the first 8 bytes, checked against the cap and the file's size.
std::uint64_t header_size(std::string_view first8, std::uint64_t file_size, const std::string& source) {
  if (file_size < 8)
    bad(source, "the file is too short to hold the 8-byte header size", "at least 8 bytes",
        fmt::format("{} bytes", file_size));
  std::uint64_t n = read_le64(first8);
  if (n > kMaxSafetensorsHeaderBytes)
    bad(source, "the header size is over the limit", fmt::format("at most {} bytes", kMaxSafetensorsHeaderBytes),
        fmt::format("{} bytes (bytes 0-7: {})", n, printable(first8)));
  if (n > file_size - 8)
    bad(source, "the header is longer than the rest of the file",
        fmt::format("{} header bytes after the 8-byte size", n), fmt::format("{} bytes", file_size - 8));
  return n;
}

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  std::uint64_t begin, end;
};
struct Header {
  std::map<std::string, std::string> metadata;
  std::vector<Entry> entries;  // header order
};

// The parsed header and its top-level keys in file order (nlohmann::json sorts keys; its
// ordered variant looks keys up linearly, quadratic in the number of tensors).
struct ParsedJson {
  Json root;
  std::vector<std::string> order;
};

ParsedJson parse_json(std::string_view text, const std::string& source) {
  if (text.empty() || text.front() != '{')
    bad(source, "the header does not start with '{'", "a JSON object", printable(text, 16));
  // nlohmann stops at a NUL as if the input ended there; JSON never holds a raw NUL.
  if (auto nul = text.find('\0'); nul != std::string_view::npos)
    bad(source, "the header contains a NUL byte", "JSON text padded with spaces",
        fmt::format("a NUL at header byte {}", nul));
  ParsedJson out;
  std::vector<std::set<std::string>> keys;  // keys seen so far, one set per open object
  std::vector<std::size_t> open;            // per open container: elements so far, or npos for an object
  auto on_event = [&](int depth, Json::parse_event_t event, Json& parsed) {
    using E = Json::parse_event_t;
    bool element = event == E::value || event == E::object_start || event == E::array_start;
    if (element && !open.empty() && open.back() != std::string::npos && ++open.back() > kMaxRank)
      bad(source, "an array in the header is too long", fmt::format("shapes of at most {} dims", kMaxRank),
          fmt::format("more than {} elements", kMaxRank));
    if ((event == E::object_start || event == E::array_start) && depth >= kMaxDepth)
      bad(source, "the header nests JSON containers too deeply",
          "tensor entries whose shape and data_offsets are arrays of integers",
          fmt::format("a container at depth {}", depth + 1));
    if (event == E::object_start || event == E::array_start)
      open.push_back(event == E::object_start ? std::string::npos : 0);
    if ((event == E::object_end || event == E::array_end) && !open.empty()) open.pop_back();
    if (event == E::object_start) keys.emplace_back();
    if (event == E::object_end && !keys.empty()) keys.pop_back();
    if (event == E::key) {
      // nlohmann keeps one of two equal keys silently; a duplicate tensor could hide another.
      if (!keys.empty() && !keys.back().insert(parsed.get<std::string>()).second)
        bad(source, fmt::format("the header repeats the key '{}'", parsed.get<std::string>()),
            "every tensor name (and every field) once", "a duplicate key");
      if (depth == 1) out.order.push_back(parsed.get<std::string>());
    }
    return true;
  };
  try {
    out.root = Json::parse(text.begin(), text.end(), on_event);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number too large
    bad(source, "the header is not valid UTF-8 JSON", "a JSON object in UTF-8", printable(e.what(), 300));
  }
  return out;
}

std::uint64_t unsigned_field(const Json& v, const std::string& source, const std::string& what,
                             const std::string& name) {
  if (!v.is_number_unsigned())
    bad(source, fmt::format("{} of tensor '{}' is not a non-negative integer", what, name), "an integer >= 0",
        describe(v));
  return v.get<std::uint64_t>();
}

Entry parse_entry(const std::string& name, const Json& v, std::uint64_t data_size, const std::string& source) {
  if (!v.is_object())
    bad(source, fmt::format("the entry of tensor '{}' is not an object", name), kEntryForm, describe(v));
  for (const auto& [field, value] : v.items())
    if (field != "dtype" && field != "shape" && field != "data_offsets")
      bad(source, fmt::format("the entry of tensor '{}' has an unknown field '{}'", name, field),
          "exactly the fields dtype, shape and data_offsets", fmt::format("'{}': {}", field, describe(value)));
  for (const char* field : {"dtype", "shape", "data_offsets"})
    if (!v.contains(field))
      bad(source, fmt::format("the entry of tensor '{}' has no field '{}'", name, field), kEntryForm, describe(v));

  Entry e{.name = name};
  const Json& dt = v.at("dtype");
  if (!dt.is_string())
    bad(source, fmt::format("the dtype of tensor '{}' is not a string", name), "\"F32\"", describe(dt));
  const auto& code = dt.get_ref<const std::string&>();
  auto known = std::find_if(std::begin(kCodes), std::end(kCodes), [&](const Code& c) { return c.code == code; });
  if (known == std::end(kCodes)) {
    bool other = std::find(std::begin(kOtherCodes), std::end(kOtherCodes), code) != std::end(kOtherCodes);
    bad(source,
        other ? fmt::format("tensor '{}' has dtype {}, which Lamina does not load", name, code)
              : fmt::format("tensor '{}' has an unknown dtype", name),
        "one of F32, F64, I32, I64, BOOL", printable(code),
        other ? "convert the tensor to one of those dtypes before saving (e.g. .float() or .int() in PyTorch)"
              : kDamagedHint);
  }
  e.dtype = known->dtype;

  const Json& shape = v.at("shape");
  if (!shape.is_array())
    bad(source, fmt::format("the shape of tensor '{}' is not an array", name), "an array of dims such as [2, 3]",
        describe(shape));
  std::vector<std::int64_t> dims;
  dims.reserve(shape.size());
  for (const auto& d : shape) {
    if (!d.is_number_unsigned() || d.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
      bad(source, fmt::format("the shape of tensor '{}' has a dim that is not an integer in [0, 2^63)", name),
          "dims >= 0", describe(shape));
    dims.push_back(d.get<std::int64_t>());
  }
  e.shape = Shape(std::move(dims));

  const Json& offsets = v.at("data_offsets");
  if (!offsets.is_array() || offsets.size() != 2)
    bad(source, fmt::format("the data_offsets of tensor '{}' are not a pair", name), "[begin, end]", describe(offsets));
  e.begin = unsigned_field(offsets[0], source, "data_offsets[0]", name);
  e.end = unsigned_field(offsets[1], source, "data_offsets[1]", name);
  if (e.begin > e.end)
    bad(source, fmt::format("the data_offsets of tensor '{}' end before they begin", name), "begin <= end",
        describe(offsets));
  if (e.end > data_size)
    bad(source, fmt::format("tensor '{}' ends past the end of the data buffer", name),
        fmt::format("end <= {} (the data buffer's size)", data_size), describe(offsets),
        "the file is truncated or damaged; save it again");

  // Elements times item size, without overflow; a zero dim makes the count 0 (as Shape does).
  std::uint64_t nbytes = itemsize(e.dtype);
  bool zero = std::find(e.shape.begin(), e.shape.end(), 0) != e.shape.end();
  if (zero) nbytes = 0;
  for (auto d : e.shape)
    if (!zero && __builtin_mul_overflow(nbytes, static_cast<std::uint64_t>(d), &nbytes))
      bad(source, fmt::format("the size of tensor '{}' overflows a 64-bit integer", name),
          "a shape whose size in bytes fits 64 bits", fmt::format("{} {}", code, e.shape.str()));
  if (nbytes != e.end - e.begin)
    bad(source, fmt::format("the data_offsets of tensor '{}' do not match its dtype and shape", name),
        fmt::format("{} bytes ({} {})", nbytes, code, e.shape.str()),
        fmt::format("{} bytes ({}..{})", e.end - e.begin, e.begin, e.end));
  return e;
}

// The spec requires the tensors to tile the data buffer: sorted by offsets, each begins where
// the previous one ends, and the last ends at the buffer's end.
void check_coverage(const std::vector<Entry>& entries, std::uint64_t data_size, const std::string& source) {
  std::vector<const Entry*> order;
  for (const auto& e : entries) order.push_back(&e);
  std::stable_sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  std::uint64_t cursor = 0;
  const Entry* prev = nullptr;
  for (const Entry* e : order) {
    if (e->begin < cursor)
      bad(source, fmt::format("tensor '{}' overlaps tensor '{}' in the data buffer", e->name, prev->name),
          fmt::format("'{}' to start at byte {} or later", e->name, cursor),
          fmt::format("bytes {}..{}, and '{}' has {}..{}", e->begin, e->end, prev->name, prev->begin, prev->end));
    if (e->begin > cursor)
      bad(source, fmt::format("bytes {}..{} of the data buffer belong to no tensor", cursor, e->begin),
          fmt::format("tensor '{}' to start at byte {}", e->name, cursor), fmt::format("it starts at {}", e->begin));
    cursor = e->end;
    prev = e;
  }
  if (cursor != data_size)
    bad(source, fmt::format("bytes {}..{} of the data buffer belong to no tensor", cursor, data_size),
        fmt::format("the tensors to end at the buffer's end (byte {})", data_size),
        fmt::format("the last tensor ends at byte {}", cursor));
}

Header parse_header(std::string_view text, std::uint64_t data_size, const std::string& source) {
  ParsedJson parsed = parse_json(text, source);
  Header h;
  for (const std::string& key : parsed.order) {
    const Json& value = parsed.root.at(key);
    if (key != "__metadata__") {
      h.entries.push_back(parse_entry(key, value, data_size, source));
      continue;
    }
    if (!value.is_object()) bad(source, "__metadata__ is not an object", R"({"key": "value", ...})", describe(value));
    for (const auto& [k, v] : value.items()) {
      if (!v.is_string())
        bad(source, fmt::format("metadata value '{}' is not a string", k), "string values", describe(v));
      h.metadata.emplace(k, v.get<std::string>());
    }
  }
  check_coverage(h.entries, data_size, source);
  return h;
}

// ---- writing ------------------------------------------------------------------------

struct Plan {
  std::string header;             // JSON padded with spaces to a multiple of 8 bytes
  std::vector<std::size_t> data;  // tensor indices in data-buffer order
  std::uint64_t data_size = 0;
};

void check_utf8(const std::string& s, const std::string& what) {
  try {
    (void)Json(s).dump();
  } catch (const nlohmann::json::type_error&) {
    throw ValueError({.problem = fmt::format("{} is not valid UTF-8", what),
                      .expected = "UTF-8 text (safetensors headers are JSON)",
                      .found = printable(s),
                      .hint = "use UTF-8 names and metadata"});
  }
}

Plan plan(const std::vector<NamedTensor>& tensors, const std::map<std::string, std::string>& metadata) {
  std::set<std::string_view> names;
  for (const auto& t : tensors) {
    if (t.name.empty() || t.name == "__metadata__")
      throw ValueError({.problem = "a tensor file needs a non-empty name for every tensor other than __metadata__",
                        .expected = "names such as 'dense/kernel'",
                        .found = t.name.empty() ? "\"\"" : "\"__metadata__\" (reserved for the metadata)",
                        .hint = "rename the tensor"});
    check_utf8(t.name, fmt::format("tensor name '{}'", printable(t.name)));
    if (!names.insert(t.name).second)
      throw ValueError({.problem = fmt::format("the tensor name '{}' appears twice", t.name),
                        .expected = "unique names",
                        .found = "a duplicate",
                        .hint = "give each tensor its own name"});
    if (t.value.defined() && t.value.rank() > static_cast<std::int64_t>(kMaxRank))
      throw ValueError({.problem = fmt::format("tensor '{}' has more dims than a tensor file holds", t.name),
                        .expected = fmt::format("at most {} dims", kMaxRank),
                        .found = t.value.shape().str(),
                        .hint = "reshape it before saving"});
    if (!t.value.defined() || t.value.is_symbolic())
      throw ValueError(
          {.problem = fmt::format("tensor '{}' has no values to save", t.name),
           .expected = "a concrete tensor",
           .found = t.value.defined() ? "a symbolic tensor " + t.value.spec().str() : "an undefined tensor",
           .hint = "save tensors computed from data (weights, outputs), not model placeholders"});
  }
  for (const auto& [k, v] : metadata) {
    check_utf8(k, "a metadata key");
    check_utf8(v, fmt::format("the metadata value of '{}'", printable(k)));
  }

  Plan p;
  for (std::size_t i = 0; i < tensors.size(); ++i) p.data.push_back(i);
  // Larger items first keeps every tensor aligned to its item size (the header is padded to 8).
  std::stable_sort(p.data.begin(), p.data.end(), [&](std::size_t a, std::size_t b) {
    return itemsize(tensors[a].value.dtype()) > itemsize(tensors[b].value.dtype());
  });
  std::vector<std::uint64_t> begin(tensors.size());
  for (std::size_t i : p.data) {
    begin[i] = p.data_size;
    p.data_size += static_cast<std::uint64_t>(tensors[i].value.numel()) * itemsize(tensors[i].value.dtype());
  }
  // Written by hand in a fixed order: metadata first, then the tensors, each entry's fields
  // in the spec's order. Json only escapes the strings.
  p.header = "{";
  if (!metadata.empty()) p.header += R"("__metadata__":)" + Json(metadata).dump() + ",";
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& v = tensors[i].value;
    std::uint64_t nbytes = static_cast<std::uint64_t>(v.numel()) * itemsize(v.dtype());
    p.header += fmt::format(R"({}:{{"dtype":"{}","shape":[{}],"data_offsets":[{},{}]}},)", Json(tensors[i].name).dump(),
                            code_of(v.dtype()), fmt::join(v.shape().dims(), ","), begin[i], begin[i] + nbytes);
  }
  if (p.header.size() > 1) p.header.pop_back();  // the last ','
  p.header += "}";
  p.header.append((8 - p.header.size() % 8) % 8, ' ');
  return p;
}

std::string le64(std::uint64_t n) {
  std::string b(8, '\0');
  for (int i = 0; i < 8; ++i) b[static_cast<std::size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
  return b;
}

std::string_view value_bytes(const Tensor& t) {
  auto n = static_cast<std::size_t>(t.numel()) * itemsize(t.dtype());
  return n == 0 ? std::string_view() : std::string_view(static_cast<const char*>(t.raw_data()), n);
}

std::vector<NamedTensor> placeholders(const Header& h) {
  std::vector<NamedTensor> out;
  for (const auto& e : h.entries) out.push_back({e.name, placeholder(TensorSpec{e.shape, e.dtype})});
  return out;
}

}  // namespace

std::string encode_safetensors(const std::vector<NamedTensor>& tensors,
                               const std::map<std::string, std::string>& metadata) {
  OpScope scope("encode_safetensors");
  Plan p = plan(tensors, metadata);
  std::string out;
  out.reserve(8 + p.header.size() + p.data_size);
  out += le64(p.header.size());
  out += p.header;
  for (std::size_t i : p.data) out += value_bytes(tensors[i].value);
  return out;
}

void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  OpScope scope("save_safetensors");
  Plan p = plan(tensors, metadata);
  write_file_atomic(path, [&](std::FILE* f) {
    std::string size = le64(p.header.size());
    std::fwrite(size.data(), 1, size.size(), f);
    std::fwrite(p.header.data(), 1, p.header.size(), f);
    for (std::size_t i : p.data) {
      std::string_view b = value_bytes(tensors[i].value);
      if (!b.empty()) std::fwrite(b.data(), 1, b.size(), f);
    }
  });
}

TensorFile decode_safetensors(std::string_view bytes, const std::string& source_name) {
  OpScope scope("decode_safetensors");
  std::uint64_t n = header_size(bytes.substr(0, 8), bytes.size(), source_name);
  std::string_view data = bytes.substr(8 + n);
  Header h = parse_header(bytes.substr(8, n), data.size(), source_name);

  for (const auto& e : h.entries) {  // every check before any tensor is made
    if (e.dtype != Bool) continue;
    for (std::uint64_t i = e.begin; i < e.end; ++i)
      if (auto c = static_cast<unsigned char>(data[i]); c > 1)
        bad(source_name, fmt::format("BOOL tensor '{}' holds a byte that is not 0 or 1", e.name),
            "bytes 0 (false) and 1 (true)", fmt::format("{} at element {}", c, i - e.begin));
  }
  TensorFile out{.metadata = std::move(h.metadata)};
  out.tensors.reserve(h.entries.size());
  for (const auto& e : h.entries) {
    Tensor t = lamina::detail::empty(e.shape, e.dtype);
    if (e.end > e.begin) std::memcpy(lamina::detail::mutable_raw_data(t), data.data() + e.begin, e.end - e.begin);
    out.tensors.push_back({e.name, std::move(t)});
  }
  return out;
}

TensorFile load_safetensors(const std::string& path) {
  OpScope scope("load_safetensors");
  detail::MappedFile file(path);
  return decode_safetensors(file.bytes(), path);
}

TensorFile read_safetensors_header(const std::string& path) {
  OpScope scope("read_safetensors_header");
  detail::InputFile file(path);
  std::string first8 = file.read(0, static_cast<std::size_t>(std::min<std::uint64_t>(8, file.size())));
  std::uint64_t n = header_size(first8, file.size(), path);
  std::string text = file.read(8, static_cast<std::size_t>(n));
  Header h = parse_header(text, file.size() - 8 - n, path);
  return TensorFile{.metadata = std::move(h.metadata), .tensors = placeholders(h)};
}

}  // namespace lamina::io
