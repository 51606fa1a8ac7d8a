// The libhdf5 layer for Keras files, reading (hdf5.hpp): checked reads of an untrusted file
// image. Writing is hdf5_writer.cpp.
#include "io/keras/hdf5.hpp"

#include <H5PLpublic.h>
#include <fmt/format.h>
#include <hdf5.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <mutex>

#include "io/keras/hdf5_calls.hpp"
#include "io/keras/hdf5_direct.hpp"
#include "lamina/core/error.hpp"

namespace lamina::io::keras {

namespace {

// libhdf5 (Debian's serial build) is not thread-safe: every call goes through this lock.
std::recursive_mutex& hdf5_mutex() {
  static std::recursive_mutex mu;
  return mu;
}

// Set in H5Reader's child process: it is single-threaded, and the mutex it inherited is
// held by the parent's thread, so it must not be taken there.
bool in_reader_child = false;

constexpr std::uint64_t kMaxRank = 32;
constexpr hsize_t kMaxLinks = 1 << 20;

}  // namespace

// ---- shared with the writer (hdf5_calls.hpp) ---------------------------------------------

std::unique_lock<std::recursive_mutex> hdf5_lock() {
  std::unique_lock<std::recursive_mutex> lock;
  if (!in_reader_child) lock = std::unique_lock(hdf5_mutex());
  static const bool init = [] {
    H5open();
    H5PLset_loading_state(0);
    return true;
  }();
  (void)init;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  return lock;
}

std::string unique_image_name(const char* prefix) {
  static std::atomic<std::uint64_t> counter{0};
  return fmt::format("{}-{}", prefix, counter.fetch_add(1));
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

H5Id checked(hid_t id, H5Id::Kind kind, const char* what) {
  if (id < 0)
    throw ValueError({.problem = fmt::format("libhdf5 could not {}", what),
                      .expected = "a well-formed HDF5 file",
                      .found = "an HDF5 error",
                      .hint = "the file is damaged or not written by Keras/h5py"});
  return H5Id(id, kind);
}

std::unique_lock<std::recursive_mutex> hdf5_fork_lock() { return hdf5_lock(); }
void hdf5_enter_child() { in_reader_child = true; }

H5Id::~H5Id() {
  if (id_ < 0) return;
  auto lock = hdf5_lock();
  switch (kind_) {
    case Kind::File:
      H5Fclose(id_);
      break;
    case Kind::Group:
      H5Gclose(id_);
      break;
    case Kind::Dataset:
      H5Dclose(id_);
      break;
    case Kind::Dataspace:
      H5Sclose(id_);
      break;
    case Kind::Datatype:
      H5Tclose(id_);
      break;
    case Kind::Attribute:
      H5Aclose(id_);
      break;
    case Kind::Plist:
      H5Pclose(id_);
      break;
    case Kind::Object:
      H5Oclose(id_);
      break;
  }
}

H5Id& H5Id::operator=(H5Id&& o) noexcept {
  if (this != &o) {
    H5Id old(id_, kind_);
    id_ = o.id_;
    kind_ = o.kind_;
    o.id_ = -1;
  }
  return *this;
}

// ---- reading ----------------------------------------------------------------------------

H5Direct::H5Direct(std::string_view bytes, std::string source) : source_(std::move(source)) {
  static constexpr char kSignature[] = "\x89HDF\r\n\x1a\n";
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kSignature, 8) != 0)
    throw ValueError({.problem = fmt::format("'{}' is not an HDF5 file", source_),
                      .expected = "the HDF5 signature \\x89HDF\\r\\n\\x1a\\n at the start",
                      .found = bytes.size() < 8 ? fmt::format("{} bytes", bytes.size()) : "other bytes",
                      .hint = "Keras weights files (model.weights.h5, legacy .h5) start with it; the file is "
                              "damaged or of another kind"});
  auto lock = hdf5_lock();
  H5Id fapl = checked(H5Pcreate(H5P_FILE_ACCESS), H5Id::Kind::Plist, "create a property list");
  if (H5Pset_fapl_core(fapl.get(), 1 << 16, 0) < 0 ||
      H5Pset_file_image(fapl.get(), const_cast<char*>(bytes.data()), bytes.size()) < 0)
    fail("", "libhdf5 could not take the file image", "memory for a copy of the file", "an HDF5 error");
  hid_t f = H5Fopen(unique_image_name("lamina-read").c_str(), H5F_ACC_RDONLY, fapl.get());
  if (f < 0)
    fail("", "libhdf5 cannot open it", "a well-formed HDF5 file",
         fmt::format("{} bytes that libhdf5 refuses", bytes.size()), "the file is truncated or damaged; save it again");
  file_ = H5Id(f, H5Id::Kind::File);
  image_size_ = bytes.size();
}

H5Direct::~H5Direct() = default;

void H5Direct::fail(const std::string& path, const std::string& problem, const std::string& expected,
                    const std::string& found, const std::string& hint) const {
  std::string where = path.empty() ? fmt::format("'{}'", source_) : fmt::format("'{}' at '{}'", source_, path);
  throw ValueError({.problem = fmt::format("invalid HDF5 file {}: {}", where, problem),
                    .expected = expected,
                    .found = found,
                    .hint = hint.empty() ? "the file is damaged or was not written by Keras/h5py" : hint});
}

// Walks `path` from the root through hard links only. Returns an invalid id when a
// component is missing or (for the last one) is not of the wanted kind.
H5Id H5Direct::open_object(const std::string& path, bool want_group) const {
  auto lock = hdf5_lock();
  H5Id current = checked(H5Gopen2(file_.get(), "/", H5P_DEFAULT), H5Id::Kind::Group, "open the root group");
  if (path.empty()) return want_group ? std::move(current) : H5Id();
  auto parts = split_path(path);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    if (part.empty() || part == "." || part == "..")
      fail(path, "a path component is empty or relative", "names such as layers/dense/vars/0", "'" + part + "'");
    htri_t exists = H5Lexists(current.get(), part.c_str(), H5P_DEFAULT);
    if (exists <= 0) return H5Id();
    H5L_info_t info;
    if (H5Lget_info(current.get(), part.c_str(), &info, H5P_DEFAULT) < 0)
      fail(path, "a link cannot be read", "a hard link", "an HDF5 error");
    if (info.type != H5L_TYPE_HARD)
      fail(path, "it holds a soft or external link, which Keras files never hold", "hard links only",
           info.type == H5L_TYPE_SOFT       ? "a soft link"
           : info.type == H5L_TYPE_EXTERNAL ? "an external link"
                                            : "a user-defined link",
           "links could make the reader follow paths outside the file; such files are refused, as Keras refuses them");
    hid_t obj = H5Oopen(current.get(), part.c_str(), H5P_DEFAULT);
    if (obj < 0) fail(path, "an object cannot be opened", "a group or dataset", "an HDF5 error");
    H5I_type_t type = H5Iget_type(obj);
    bool last = i + 1 == parts.size();
    if (type == H5I_GROUP) {
      current = H5Id(obj, H5Id::Kind::Group);
      if (last) return want_group ? std::move(current) : H5Id();
    } else if (type == H5I_DATASET) {
      H5Id ds(obj, H5Id::Kind::Dataset);
      if (last && !want_group) return ds;
      return H5Id();
    } else {
      H5Oclose(obj);
      return H5Id();
    }
  }
  return H5Id();
}

bool H5Direct::has_group(const std::string& path) const { return open_object(path, true).valid(); }
bool H5Direct::has_dataset(const std::string& path) const { return open_object(path, false).valid(); }

std::vector<std::string> H5Direct::children(const std::string& group) const {
  auto lock = hdf5_lock();
  H5Id g = open_object(group, true);
  if (!g.valid()) fail(group, "the group does not exist", "a group", "nothing");
  H5G_info_t info;
  if (H5Gget_info(g.get(), &info) < 0) fail(group, "the group cannot be read", "a group", "an HDF5 error");
  if (info.nlinks > kMaxLinks)
    fail(group, "the group holds too many links", fmt::format("at most {}", kMaxLinks), std::to_string(info.nlinks));
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    ssize_t n = H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (n < 0 || n > 65535) fail(group, "a link name cannot be read", "names up to 64 KiB", "an HDF5 error");
    std::string name(static_cast<std::size_t>(n) + 1, '\0');
    if (H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT) < 0)
      fail(group, "a link name cannot be read", "a name", "an HDF5 error");
    name.resize(static_cast<std::size_t>(n));
    H5L_info_t linfo;
    if (H5Lget_info(g.get(), name.c_str(), &linfo, H5P_DEFAULT) < 0 || linfo.type != H5L_TYPE_HARD)
      fail(group + "/" + name, "it holds a soft or external link, which Keras files never hold", "hard links only",
           "another kind of link", "such files are refused, as Keras refuses them");
    names.push_back(std::move(name));
  }
  return names;
}

namespace {
// The attribute's object: a group, or else a dataset.
H5Id attr_owner(const H5Direct& r, const std::string& path, const std::function<H5Id(bool)>& open) {
  H5Id obj = open(true);
  if (!obj.valid()) obj = open(false);
  return obj;
}
}  // namespace

std::vector<std::string> H5Direct::attr_names(const std::string& path) const {
  auto lock = hdf5_lock();
  H5Id obj = attr_owner(*this, path, [&](bool g) { return open_object(path, g); });
  if (!obj.valid()) return {};
  H5O_info_t info;
  if (H5Oget_info2(obj.get(), &info, H5O_INFO_NUM_ATTRS) < 0)
    fail(path, "its attributes cannot be listed", "an object header", "an HDF5 error");
  if (info.num_attrs > kMaxLinks)
    fail(path, "it holds too many attributes", fmt::format("at most {}", kMaxLinks), std::to_string(info.num_attrs));
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.num_attrs; ++i) {
    ssize_t n = H5Aget_name_by_idx(obj.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (n < 0 || n > 65535) fail(path, "an attribute name cannot be read", "names up to 64 KiB", "an HDF5 error");
    std::string name(static_cast<std::size_t>(n) + 1, '\0');
    if (H5Aget_name_by_idx(obj.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT) < 0)
      fail(path, "an attribute name cannot be read", "a name", "an HDF5 error");
    name.resize(static_cast<std::size_t>(n));
    names.push_back(std::move(name));
  }
  return names;
}

bool H5Direct::has_attr(const std::string& path, const std::string& name) const {
  auto lock = hdf5_lock();
  H5Id obj = attr_owner(*this, path, [&](bool g) { return open_object(path, g); });
  if (!obj.valid()) return false;
  return H5Aexists(obj.get(), name.c_str()) > 0;
}

std::optional<std::vector<std::string>> H5Direct::string_list_attr(const std::string& path,
                                                                   const std::string& name) const {
  auto lock = hdf5_lock();
  H5Id obj = attr_owner(*this, path, [&](bool g) { return open_object(path, g); });
  if (!obj.valid() || H5Aexists(obj.get(), name.c_str()) <= 0) return std::nullopt;
  const std::string where = path + "@" + name;
  H5Id attr = checked(H5Aopen(obj.get(), name.c_str(), H5P_DEFAULT), H5Id::Kind::Attribute, "open an attribute");
  H5Id type = checked(H5Aget_type(attr.get()), H5Id::Kind::Datatype, "read an attribute's type");
  H5Id space = checked(H5Aget_space(attr.get()), H5Id::Kind::Dataspace, "read an attribute's shape");
  int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0 || rank > 1)
    fail(where, "the attribute is not a string or a list of strings", "rank 0 or 1", std::to_string(rank));
  hsize_t n = 1;
  if (rank == 1) H5Sget_simple_extent_dims(space.get(), &n, nullptr);
  if (H5Sget_simple_extent_type(space.get()) == H5S_NULL) n = 0;
  if (n == 0) return std::vector<std::string>{};  // h5py writes [] as an empty float64 array
  if (H5Tget_class(type.get()) != H5T_STRING)
    fail(where, "the attribute does not hold strings", "a string attribute", "another type");
  std::vector<std::string> out;
  if (H5Tis_variable_str(type.get()) > 0) {
    if (n > kMaxAttributeBytes / sizeof(char*))
      fail(where, "the attribute is too large", "at most 64 MiB", std::to_string(n) + " strings");
    H5Id mem = checked(H5Tcopy(H5T_C_S1), H5Id::Kind::Datatype, "copy a type");
    H5Tset_size(mem.get(), H5T_VARIABLE);
    H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
    std::vector<char*> buf(n, nullptr);
    if (H5Aread(attr.get(), mem.get(), buf.data()) < 0)
      fail(where, "the attribute cannot be read", "strings", "an HDF5 error");
    for (char* s : buf) out.emplace_back(s ? s : "");
    H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, buf.data());
  } else {
    std::size_t size = H5Tget_size(type.get());
    if (size == 0 || n > kMaxAttributeBytes / size)
      fail(where, "the attribute is too large", "at most 64 MiB", fmt::format("{} strings of {} bytes", n, size));
    std::string buf(n * size, '\0');
    if (H5Aread(attr.get(), type.get(), buf.data()) < 0)
      fail(where, "the attribute cannot be read", "strings", "an HDF5 error");
    const bool space_pad = H5Tget_strpad(type.get()) == H5T_STR_SPACEPAD;
    for (hsize_t i = 0; i < n; ++i) {
      std::string s = buf.substr(i * size, size);
      if (auto z = s.find('\0'); z != std::string::npos) s.resize(z);
      if (space_pad)
        while (!s.empty() && s.back() == ' ') s.pop_back();
      out.push_back(std::move(s));
    }
  }
  if (rank == 0) out.resize(1);
  return out;
}

std::optional<std::string> H5Direct::string_attr(const std::string& path, const std::string& name) const {
  auto list = string_list_attr(path, name);
  if (!list) return std::nullopt;
  if (list->size() != 1)
    fail(path + "@" + name, "the attribute is not one string", "one string", fmt::format("{} strings", list->size()));
  return list->front();
}

std::vector<std::string> H5Direct::chunked_string_list_attr(const std::string& path, const std::string& name) const {
  if (auto whole = string_list_attr(path, name)) return *whole;
  std::vector<std::string> out;
  for (int chunk = 0;; ++chunk) {
    auto part = string_list_attr(path, fmt::format("{}{}", name, chunk));
    if (!part) break;
    out.insert(out.end(), part->begin(), part->end());
    if (chunk > 100000) fail(path, "too many attribute chunks", "a few", std::to_string(chunk));
  }
  return out;
}

H5RawArray H5Direct::dataset(const std::string& path) const {
  auto lock = hdf5_lock();
  H5Id ds = open_object(path, false);
  if (!ds.valid()) fail(path, "the dataset does not exist", "a dataset", has_group(path) ? "a group" : "nothing");
  H5Id dcpl = checked(H5Dget_create_plist(ds.get()), H5Id::Kind::Plist, "read a dataset's properties");
  H5D_layout_t layout = H5Pget_layout(dcpl.get());
  if (layout == H5D_VIRTUAL)
    fail(path, "it is a virtual dataset", "data stored in the file", "a virtual dataset",
         "Keras refuses virtual datasets too");
  if (layout != H5D_CONTIGUOUS && layout != H5D_CHUNKED && layout != H5D_COMPACT)
    fail(path, "its storage layout is unknown", "contiguous, chunked or compact", std::to_string(int(layout)));
  if (H5Pget_external_count(dcpl.get()) != 0)
    fail(path, "its data is stored in an external file", "data stored in the file", "an external dataset",
         "Keras refuses external datasets too");
  int nfilters = H5Pget_nfilters(dcpl.get());
  if (nfilters < 0 || nfilters > 16)
    fail(path, "its filters cannot be read", "a few filters", std::to_string(nfilters));
  for (int i = 0; i < nfilters; ++i) {
    unsigned flags = 0, info = 0;
    std::size_t nelmts = 0;
    char fname[64];
    H5Z_filter_t id =
        H5Pget_filter2(dcpl.get(), static_cast<unsigned>(i), &flags, &nelmts, nullptr, sizeof fname, fname, &info);
    if (id != H5Z_FILTER_DEFLATE && id != H5Z_FILTER_SHUFFLE && id != H5Z_FILTER_FLETCHER32)
      fail(path, "it uses a filter Lamina does not run", "deflate (gzip), shuffle or fletcher32",
           fmt::format("filter {}", int(id)),
           "save the weights without compression plugins (h5py's default writes none)");
  }

  H5Id space = checked(H5Dget_space(ds.get()), H5Id::Kind::Dataspace, "read a dataset's shape");
  int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0 || static_cast<std::uint64_t>(rank) > kMaxRank)
    fail(path, "its rank is out of range", fmt::format("0 to {}", kMaxRank), std::to_string(rank));
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  if (H5Sget_simple_extent_type(space.get()) == H5S_NULL)
    fail(path, "it has no dataspace", "an array", "a null dataspace");
  std::uint64_t count = 1;
  std::vector<std::int64_t> shape;
  for (hsize_t d : dims) {
    if (d > static_cast<hsize_t>(std::numeric_limits<std::int64_t>::max()) ||
        (d != 0 && count > std::numeric_limits<std::uint64_t>::max() / d))
      fail(path, "its element count overflows", "a shape that fits in memory", fmt::format("a dimension {}", d));
    count *= d;
    shape.push_back(static_cast<std::int64_t>(d));
  }

  H5Id type = checked(H5Dget_type(ds.get()), H5Id::Kind::Datatype, "read a dataset's type");
  H5T_class_t cls = H5Tget_class(type.get());
  std::size_t size = H5Tget_size(type.get());
  DType dtype;
  hid_t memtype = -1;
  bool is_enum_bool = false;
  if (cls == H5T_FLOAT && (size == 2 || size == 4)) {
    dtype = Float32, memtype = H5T_NATIVE_FLOAT;  // float16 widens exactly
  } else if (cls == H5T_FLOAT && size == 8) {
    dtype = Float64, memtype = H5T_NATIVE_DOUBLE;
  } else if (cls == H5T_INTEGER && size >= 1 && size <= 8) {
    bool is_signed = H5Tget_sign(type.get()) == H5T_SGN_2;
    if (!is_signed && size == 8)
      fail(path, "it holds uint64 values, which may not fit int64", "float or int types up to int64", "uint64",
           "store the array as int64 in Keras (x.astype('int64'))");
    bool narrow = is_signed ? size <= 4 : size <= 2;
    dtype = narrow ? Int32 : Int64;
    memtype = narrow ? H5T_NATIVE_INT32 : H5T_NATIVE_INT64;
  } else if (cls == H5T_ENUM && size == 1) {
    dtype = Bool, is_enum_bool = true;  // h5py's numpy bool
  } else {
    fail(path, "its element type is not a number", "float16/32/64, integers, or h5py booleans",
         fmt::format("HDF5 type class {} of {} bytes", int(cls), size),
         "Keras weights are float arrays; convert the array");
  }

  // Sizes before allocating: the declared bytes must be backed by what the file stores.
  const std::uint64_t item = itemsize(dtype);
  if (count > std::numeric_limits<std::uint64_t>::max() / 8)
    fail(path, "its size overflows", "a shape that fits in memory", fmt::format("{} elements", count));
  const std::uint64_t declared = count * item, declared_file = count * size;
  const std::uint64_t stored = H5Dget_storage_size(ds.get());
  if ((layout != H5D_CHUNKED && declared_file > image_size_) || stored > image_size_ ||
      (declared > kSmallDataset && declared / kMaxExpansion > stored))
    fail(path, "it declares far more data than the file stores (a truncated file, or a 'shape bomb')",
         fmt::format("at most {}x the {} bytes stored, and no more than the file's {} bytes", kMaxExpansion, stored,
                     image_size_),
         fmt::format("{} elements, {} bytes", count, declared), "the file is truncated or crafted; save it again");

  // Plain memory, not a Tensor: this runs in H5Reader's child, where Lamina's allocator (whose
  // lock another thread of the parent may have held at fork time) must not be used.
  H5RawArray out{dtype, shape, std::string(static_cast<std::size_t>(declared), '\0')};
  if (count == 0) return out;
  void* buf = out.bytes.data();
  if (is_enum_bool) {
    H5Id native = checked(H5Tget_native_type(type.get(), H5T_DIR_ASCEND), H5Id::Kind::Datatype, "map a type");
    std::int8_t false_v = 0, true_v = 1;
    if (H5Tenum_valueof(type.get(), "FALSE", &false_v) < 0 || H5Tenum_valueof(type.get(), "TRUE", &true_v) < 0)
      fail(path, "its enum type is not h5py's bool", "members FALSE and TRUE", "other members");
    if (H5Dread(ds.get(), native.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
      fail(path, "its data cannot be read", "readable data", "an HDF5 error", "the file is truncated or damaged");
    auto* b = static_cast<std::int8_t*>(buf);
    for (std::uint64_t i = 0; i < count; ++i) {
      if (b[i] != false_v && b[i] != true_v)
        fail(path, "a boolean holds another value", "FALSE or TRUE", std::to_string(int(b[i])));
      b[i] = b[i] == true_v ? 1 : 0;
    }
    return out;
  }
  if (H5Dread(ds.get(), memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
    fail(path, "its data cannot be read", "readable data", "an HDF5 error", "the file is truncated or damaged");
  return out;
}

}  // namespace lamina::io::keras
