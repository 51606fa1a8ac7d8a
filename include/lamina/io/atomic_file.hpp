#pragma once
// Whole-file reads and crash-safe writes: a reader sees either the old file or the new one,
// never a half-written one.
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

namespace lamina::io {

// Writes `bytes` to `path` atomically: a temporary file in the same folder is written,
// fsync'ed, renamed over `path`, and the folder is fsync'ed so the rename survives a crash.
// On any failure the old file (if any) is untouched, the temporary file is removed, and an
// IOError names the path, the failing step and the system's reason. A new file gets the
// default permissions (0666 minus the umask); a replaced file keeps its permission bits.
// `path` itself is replaced: if it is a symbolic link, the link is replaced, not its target.
void write_file_atomic(const std::string& path, std::string_view bytes);

// Streaming form: `writer` writes the contents with fwrite/fputs to a FILE* opened for binary
// writing (no need to check each call: write errors are picked up afterwards). If `writer`
// throws, nothing is replaced, the temporary file is removed and the exception propagates.
void write_file_atomic(const std::string& path, const std::function<void(std::FILE*)>& writer);

// The whole contents of a regular file. IOError when it is missing, unreadable, a folder or
// another non-regular file (a FIFO, a device), or larger than this machine's memory.
std::string read_file(const std::string& path);

}  // namespace lamina::io
