// The libhdf5 layer for Keras files, writing (hdf5.hpp): a new file built in memory.
#include <fmt/format.h>
#include <hdf5.h>

#include "io/keras/hdf5.hpp"
#include "io/keras/hdf5_calls.hpp"
#include "lamina/core/error.hpp"

namespace lamina::io::keras {

H5Writer::H5Writer() {
  auto lock = hdf5_lock();
  H5Id fapl = checked(H5Pcreate(H5P_FILE_ACCESS), H5Id::Kind::Plist, "create a property list");
  H5Pset_fapl_core(fapl.get(), 1 << 16, 0);
  file_ = checked(H5Fcreate(unique_image_name("lamina-write").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()),
                  H5Id::Kind::File, "create an in-memory file");
}

H5Writer::~H5Writer() = default;

namespace {
[[noreturn]] void write_failed(const std::string& what, const std::string& path) {
  throw IOError({.problem = fmt::format("libhdf5 could not {} '{}' while writing a Keras file", what, path),
                 .expected = "an in-memory HDF5 file",
                 .found = "an HDF5 error",
                 .hint = "free some memory; if it persists, report it"});
}

// Opens (creating when missing) the group at `path`.
H5Id open_or_create_group(hid_t file, const std::string& path) {
  H5Id current(H5Gopen2(file, "/", H5P_DEFAULT), H5Id::Kind::Group);
  if (path.empty()) return current;
  for (const auto& part : split_path(path)) {
    if (part.empty()) write_failed("create a group with an empty name in", path);
    hid_t next = H5Lexists(current.get(), part.c_str(), H5P_DEFAULT) > 0
                     ? H5Gopen2(current.get(), part.c_str(), H5P_DEFAULT)
                     : H5Gcreate2(current.get(), part.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (next < 0) write_failed("create the group", path);
    current = H5Id(next, H5Id::Kind::Group);
  }
  return current;
}

H5Id open_any(hid_t file, const std::string& path) {
  if (path.empty()) return H5Id(H5Gopen2(file, "/", H5P_DEFAULT), H5Id::Kind::Group);
  hid_t obj = H5Oopen(file, path.c_str(), H5P_DEFAULT);
  if (obj < 0) write_failed("open", path);
  return H5Id(obj, H5Id::Kind::Object);
}

void write_fixed_strings(hid_t owner, const std::string& name, const std::vector<std::string>& values,
                         std::size_t begin, std::size_t end, std::size_t itemsize) {
  hsize_t n = end - begin;
  H5Id space(H5Screate_simple(1, &n, nullptr), H5Id::Kind::Dataspace);
  H5Id type(H5Tcopy(H5T_C_S1), H5Id::Kind::Datatype);
  H5Tset_size(type.get(), itemsize);
  H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
  std::string buf(n * itemsize, '\0');
  for (std::size_t i = begin; i < end; ++i)
    std::memcpy(&buf[(i - begin) * itemsize], values[i].data(), values[i].size());
  H5Id attr(H5Acreate2(owner, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Id::Kind::Attribute);
  if (!attr.valid() || H5Awrite(attr.get(), type.get(), buf.data()) < 0)
    write_failed("write the attribute " + name + " of", "");
}
}  // namespace

void H5Writer::group(const std::string& path) {
  auto lock = hdf5_lock();
  open_or_create_group(file_.get(), path);
}

void H5Writer::string_attr(const std::string& path, const std::string& name, const std::string& value) {
  auto lock = hdf5_lock();
  H5Id obj = open_any(file_.get(), path);
  H5Id type(H5Tcopy(H5T_C_S1), H5Id::Kind::Datatype);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  H5Id space(H5Screate(H5S_SCALAR), H5Id::Kind::Dataspace);
  H5Id attr(H5Acreate2(obj.get(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
            H5Id::Kind::Attribute);
  const char* p = value.c_str();
  if (!attr.valid() || H5Awrite(attr.get(), type.get(), &p) < 0)
    write_failed("write the attribute " + name + " of", path);
}

void H5Writer::chunked_string_list_attr(const std::string& path, const std::string& name,
                                        const std::vector<std::string>& values) {
  auto lock = hdf5_lock();
  H5Id obj = open_any(file_.get(), path);
  if (values.empty()) {  // h5py writes [] as an empty float64 array
    hsize_t zero = 0;
    H5Id space(H5Screate_simple(1, &zero, nullptr), H5Id::Kind::Dataspace);
    H5Id attr(H5Acreate2(obj.get(), name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
              H5Id::Kind::Attribute);
    double none = 0;
    if (!attr.valid() || H5Awrite(attr.get(), H5T_NATIVE_DOUBLE, &none) < 0)
      write_failed("write the attribute " + name + " of", path);
    return;
  }
  std::size_t itemsize = 1;
  for (const auto& v : values) itemsize = std::max(itemsize, v.size());
  if (itemsize > kHdf5ObjectHeaderLimit)
    throw ValueError({.problem = fmt::format("a name in '{}' is too long for an HDF5 attribute", name),
                      .expected = fmt::format("names of at most {} bytes", kHdf5ObjectHeaderLimit),
                      .found = fmt::format("{} bytes", itemsize),
                      .hint = "use shorter layer names"});
  // Keras's rule: the fewest equal splits (numpy.array_split) whose every part fits.
  const std::size_t n = values.size();
  std::size_t chunks = 1;
  while (((n + chunks - 1) / chunks) * itemsize > kHdf5ObjectHeaderLimit) ++chunks;
  if (chunks == 1) {
    write_fixed_strings(obj.get(), name, values, 0, n, itemsize);
    return;
  }
  std::size_t begin = 0;
  for (std::size_t c = 0; c < chunks; ++c) {
    std::size_t len = n / chunks + (c < n % chunks ? 1 : 0);
    write_fixed_strings(obj.get(), fmt::format("{}{}", name, c), values, begin, begin + len, itemsize);
    begin += len;
  }
}

void H5Writer::dataset(const std::string& path, const Tensor& value) {
  auto lock = hdf5_lock();
  auto slash = path.rfind('/');
  H5Id parent = open_or_create_group(file_.get(), slash == std::string::npos ? "" : path.substr(0, slash));
  const std::string leaf = slash == std::string::npos ? path : path.substr(slash + 1);
  std::vector<hsize_t> dims(value.shape().begin(), value.shape().end());
  H5Id space(value.rank() == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(value.rank(), dims.data(), nullptr),
             H5Id::Kind::Dataspace);
  H5Id enum_type;
  hid_t file_type = -1, mem_type = -1;
  switch (value.dtype()) {
    case Float32:
      file_type = H5T_IEEE_F32LE, mem_type = H5T_NATIVE_FLOAT;
      break;
    case Float64:
      file_type = H5T_IEEE_F64LE, mem_type = H5T_NATIVE_DOUBLE;
      break;
    case Int32:
      file_type = H5T_STD_I32LE, mem_type = H5T_NATIVE_INT32;
      break;
    case Int64:
      file_type = H5T_STD_I64LE, mem_type = H5T_NATIVE_INT64;
      break;
    default: {  // Bool, as h5py writes numpy booleans
      enum_type = H5Id(H5Tenum_create(H5T_NATIVE_INT8), H5Id::Kind::Datatype);
      std::int8_t f = 0, t = 1;
      H5Tenum_insert(enum_type.get(), "FALSE", &f);
      H5Tenum_insert(enum_type.get(), "TRUE", &t);
      file_type = mem_type = enum_type.get();
    }
  }
  H5Id ds(H5Dcreate2(parent.get(), leaf.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
          H5Id::Kind::Dataset);
  if (!ds.valid()) write_failed("create the dataset", path);
  Tensor v = value.without_mask();
  if (v.numel() > 0 && H5Dwrite(ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.raw_data()) < 0)
    write_failed("write the dataset", path);
}

std::string H5Writer::bytes() {
  auto lock = hdf5_lock();
  if (H5Fflush(file_.get(), H5F_SCOPE_GLOBAL) < 0) write_failed("flush", "<memory>");
  ssize_t size = H5Fget_file_image(file_.get(), nullptr, 0);
  if (size <= 0) write_failed("take the image of", "<memory>");
  std::string out(static_cast<std::size_t>(size), '\0');
  if (H5Fget_file_image(file_.get(), out.data(), out.size()) != size) write_failed("take the image of", "<memory>");
  file_ = H5Id();
  return out;
}

}  // namespace lamina::io::keras
