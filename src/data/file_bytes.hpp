#pragma once
// Reading a whole file for the data readers (library-internal). The data module sits below
// io/ in the layering, so it has its own small reader.
#include <string>

namespace lamina::data::detail {

// The bytes of the regular file at `path`. IOError naming the path, the system's reason and a
// fix when it is missing, unreadable, a folder, a FIFO or device, or larger than memory.
std::string read_file_bytes(const std::string& path);

}  // namespace lamina::data::detail
