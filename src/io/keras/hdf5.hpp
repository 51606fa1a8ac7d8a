#pragma once
// A small, defensive layer over libhdf5 for Keras files: read an HDF5 file image held in
// memory (untrusted), and write one in memory. Only what Keras files use: groups, hard
// links, numeric datasets and string attributes.
//
// Reading happens in a child process (H5Reader below); its checks are H5Direct's
// (hdf5_direct.hpp).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lamina/core/tensor.hpp"

namespace lamina::io::keras {

// An owned hid_t, closed with the right H5*close function.
class H5Id {
 public:
  enum class Kind { File, Group, Dataset, Dataspace, Datatype, Attribute, Plist, Object };
  H5Id() = default;
  H5Id(std::int64_t id, Kind kind) : id_(id), kind_(kind) {}
  ~H5Id();
  H5Id(H5Id&& o) noexcept : id_(o.id_), kind_(o.kind_) { o.id_ = -1; }
  H5Id& operator=(H5Id&& o) noexcept;
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
  std::int64_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  std::int64_t id_ = -1;
  Kind kind_ = Kind::Object;
};

// Reads an HDF5 file image. Paths are '/'-separated from the root ("layers/dense/vars/0").
//
// libhdf5 is not hardened against crafted files (damaged global heaps, B-trees and object
// headers crash it inside its own code), so the file is never parsed in this process: a
// child process (fork) reads the whole file with libhdf5 through H5Direct, checking every
// limit below, and sends back a snapshot of its groups, string attributes and datasets. If
// the child crashes, hangs or runs out of memory, the file is refused with a ValueError.
// Problems found at one path (a soft link, a non-numeric dataset...) are raised when that
// path is asked for, as a direct reader would.
struct H5Snapshot;
class H5Reader {
 public:
  // Checks the signature, then reads the image in a child process (see above).
  H5Reader(std::string_view bytes, std::string source);
  ~H5Reader();
  H5Reader(const H5Reader&) = delete;
  H5Reader& operator=(const H5Reader&) = delete;

  const std::string& source() const { return source_; }
  // Whether `path` exists as a group / a dataset; a soft or external link on the way is a
  // ValueError (Keras refuses them too), an object of the other kind is `false`.
  bool has_group(const std::string& path) const;
  bool has_dataset(const std::string& path) const;
  // The names of the links in a group, in name order (each checked to be a hard link).
  std::vector<std::string> children(const std::string& group) const;
  bool has_attr(const std::string& path, const std::string& name) const;
  // A string attribute, or a 1-D array of strings (fixed- or variable-length); nullopt when
  // the attribute is absent. ValueError when it is not made of strings.
  std::optional<std::vector<std::string>> string_list_attr(const std::string& path, const std::string& name) const;
  std::optional<std::string> string_attr(const std::string& path, const std::string& name) const;
  // Keras's chunked attributes: `name`, or `name0`, `name1`, ... concatenated.
  std::vector<std::string> chunked_string_list_attr(const std::string& path, const std::string& name) const;
  // A numeric dataset as a tensor: float32/float64 stay, integers become int32 (at most 32
  // bits signed, or 16 unsigned) or int64, h5py's booleans become Bool.
  Tensor dataset(const std::string& path) const;

  // Limits, checked before allocating.
  static constexpr std::uint64_t kMaxExpansion = 1000;           // declared / stored bytes
  static constexpr std::uint64_t kSmallDataset = 1 << 20;        // below this, no ratio check
  static constexpr std::uint64_t kMaxAttributeBytes = 64 << 20;  // one attribute
  static constexpr std::size_t kMaxObjects = 200000;             // groups + datasets walked
  static constexpr int kMaxDepth = 64;                           // group nesting
  static constexpr int kChildTimeoutSeconds = 120;               // without progress

 private:
  [[noreturn]] void fail(const std::string& path, const std::string& problem, const std::string& expected,
                         const std::string& found, const std::string& hint = "") const;
  std::string source_;
  std::unique_ptr<H5Snapshot> snap_;
};

// Writes an HDF5 file in memory; bytes() closes it and returns the image.
class H5Writer {
 public:
  H5Writer();
  ~H5Writer();
  H5Writer(const H5Writer&) = delete;
  H5Writer& operator=(const H5Writer&) = delete;

  // Creates the group and any missing parents ("" is the root, which exists).
  void group(const std::string& path);
  // A variable-length UTF-8 string scalar, as h5py writes a Python str.
  void string_attr(const std::string& path, const std::string& name, const std::string& value);
  // A fixed-length byte-string array, as h5py writes a NumPy array of bytes (Keras's
  // layer_names / weight_names), chunked as Keras chunks it above 64 KiB.
  void chunked_string_list_attr(const std::string& path, const std::string& name,
                                const std::vector<std::string>& values);
  // A contiguous dataset of the tensor's dtype (Bool as h5py's enum) and shape; parents created.
  void dataset(const std::string& path, const Tensor& value);
  std::string bytes();

 private:
  H5Id file_;
};

// Keras's limit for one attribute (HDF5's object header limit).
inline constexpr std::size_t kHdf5ObjectHeaderLimit = 64512;

}  // namespace lamina::io::keras
