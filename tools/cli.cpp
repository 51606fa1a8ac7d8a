#include "cli.hpp"

#include <cstdlib>
#include <filesystem>

#include "lamina/core/error.hpp"

#ifndef LAMINA_SOURCE_DATA_DIR
#define LAMINA_SOURCE_DATA_DIR "data"
#endif

namespace lamina::tools {

std::string data_dir(const std::string& given) {
  std::string dir = given;
  if (dir.empty())
    if (const char* env = std::getenv("LAMINA_DATA")) dir = env;
  if (dir.empty()) dir = LAMINA_SOURCE_DATA_DIR;
  if (!std::filesystem::is_directory(dir))
    throw IOError({.problem = "the data folder does not exist",
                   .expected = "the repository's data/ folder",
                   .found = "'" + dir + "'",
                   .hint = "pass --data PATH/TO/lamina/data, or set LAMINA_DATA"});
  return dir;
}

std::string one_line(const std::exception& e) {
  std::string text = e.what(), out;
  // Lamina's messages are several indented lines; join them with "; ".
  bool start = true;
  for (char c : text) {
    if (c == '\n') {
      start = true;
      continue;
    }
    if (start) {
      while (!out.empty() && out.back() == ' ') out.pop_back();
      if (!out.empty()) out += "; ";
      start = false;
      if (c == ' ') continue;
    } else if (c == ' ' && !out.empty() && out.back() == ' ') {
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace lamina::tools
