#pragma once
// libhdf5 itself, reading an untrusted file image in this process (hdf5.cpp). Only the
// child process of H5Reader (hdf5_snapshot.cpp) uses it: libhdf5 can crash on crafted files.
//
// Refuses, with a ValueError naming the file and the path: soft and external links,
// external and virtual datasets, filters other than deflate/shuffle/fletcher32 (no plugin is
// ever loaded), ranks above 32, element counts that overflow, and datasets whose declared
// size exceeds what the file stores by more than kMaxExpansion (a "shape bomb"), all checked
// before any buffer is allocated. Every libhdf5 call runs under one process-wide lock (the
// Debian build is not thread-safe) with its error printing turned off.
#include <mutex>

#include "io/keras/hdf5.hpp"

namespace lamina::io::keras {

// A dataset's values as read: the dtype H5Reader::dataset gives, and the raw bytes.
struct H5RawArray {
  DType dtype = Float32;
  std::vector<std::int64_t> shape;
  std::string bytes;
};

// Reads an HDF5 file image. Paths are '/'-separated from the root ("layers/dense/vars/0").
class H5Direct {
 public:
  // Checks the signature, then opens the image (copied into libhdf5's core driver).
  H5Direct(std::string_view bytes, std::string source);
  ~H5Direct();
  H5Direct(const H5Direct&) = delete;
  H5Direct& operator=(const H5Direct&) = delete;

  const std::string& source() const { return source_; }
  // Whether `path` exists as a group / a dataset; a soft or external link on the way is a
  // ValueError (Keras refuses them too), an object of the other kind is `false`.
  bool has_group(const std::string& path) const;
  bool has_dataset(const std::string& path) const;
  // The names of the links in a group, in name order (each checked to be a hard link).
  std::vector<std::string> children(const std::string& group) const;
  bool has_attr(const std::string& path, const std::string& name) const;
  // The names of the object's attributes (empty when there is no such object).
  std::vector<std::string> attr_names(const std::string& path) const;
  // A string attribute, or a 1-D array of strings (fixed- or variable-length); nullopt when
  // the attribute is absent. ValueError when it is not made of strings.
  std::optional<std::vector<std::string>> string_list_attr(const std::string& path, const std::string& name) const;
  std::optional<std::string> string_attr(const std::string& path, const std::string& name) const;
  // Keras's chunked attributes: `name`, or `name0`, `name1`, ... concatenated.
  std::vector<std::string> chunked_string_list_attr(const std::string& path, const std::string& name) const;
  // A numeric dataset as a tensor: float32/float64 stay, integers become int32 (at most 32
  // bits signed, or 16 unsigned) or int64, h5py's booleans become Bool.
  H5RawArray dataset(const std::string& path) const;

  static constexpr std::uint64_t kMaxExpansion = H5Reader::kMaxExpansion;
  static constexpr std::uint64_t kSmallDataset = H5Reader::kSmallDataset;
  static constexpr std::uint64_t kMaxAttributeBytes = H5Reader::kMaxAttributeBytes;

 private:
  H5Id open_object(const std::string& path, bool want_group) const;
  [[noreturn]] void fail(const std::string& path, const std::string& problem, const std::string& expected,
                         const std::string& found, const std::string& hint = "") const;

  std::string source_;
  H5Id file_;
  std::uint64_t image_size_ = 0;
};

// Serialises the libhdf5 lock for a fork (hdf5.cpp): held across fork() so the child owns it.
std::unique_lock<std::recursive_mutex> hdf5_fork_lock();
// Called first in the child: libhdf5 calls there no longer take the (inherited) lock.
void hdf5_enter_child();

}  // namespace lamina::io::keras
