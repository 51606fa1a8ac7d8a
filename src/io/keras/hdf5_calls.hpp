#pragma once
// How every libhdf5 call is made, for the reader (hdf5.cpp) and the writer (hdf5_writer.cpp).
#include <hdf5.h>

#include <mutex>
#include <string>
#include <vector>

#include "io/keras/hdf5.hpp"

namespace lamina::io::keras {

// Taken before any libhdf5 call: one process-wide lock (Debian's serial libhdf5 is not
// thread-safe), libhdf5's own error printing off, filter plugins never loaded.
std::unique_lock<std::recursive_mutex> hdf5_lock();
// A fresh name for an in-memory file image (libhdf5 keys core-driver files by name).
std::string unique_image_name(const char* prefix);
// "a/b/c" -> {"a", "b", "c"}; empty parts are kept, for the caller to refuse.
std::vector<std::string> split_path(const std::string& path);
// `id` as an owned handle, or a ValueError saying libhdf5 could not do `what`.
H5Id checked(hid_t id, H5Id::Kind kind, const char* what);

}  // namespace lamina::io::keras
