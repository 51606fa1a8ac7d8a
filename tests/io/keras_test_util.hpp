#pragma once
// Helpers for the Keras interop tests: where the Keras-written samples are, running a small
// h5py script (Debian's python3-h5py reads and writes HDF5 independently of Lamina), and
// comparing tensors with Keras's float32 tolerance.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io_test_util.hpp"
#include "test_util.hpp"

namespace lamina::kerastest {

namespace fs = std::filesystem;

// ../shared/keras_samples next to the checkout (LAMINA_KERAS_SAMPLES overrides): searched
// upwards from the working directory, since ctest runs the tests inside the build folder.
inline std::string samples_dir() {
  if (const char* env = std::getenv("LAMINA_KERAS_SAMPLES")) return env;
  for (fs::path p = fs::current_path(); !p.empty(); p = p.parent_path()) {
    for (const auto& cand : {p / "shared" / "keras_samples", p / ".." / "shared" / "keras_samples"})
      if (fs::exists(cand / "README.md")) return fs::canonical(cand).string();
    if (p == p.root_path()) break;
  }
  return "";
}

inline std::string sample(const std::string& name) {
  const std::string dir = samples_dir();
  if (dir.empty()) ADD_FAILURE() << "keras_samples not found: set LAMINA_KERAS_SAMPLES";
  return dir + "/" + name;
}

// Debian's interpreter (it has h5py), not whatever python3 comes first on PATH.
inline std::string python() { return fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3"; }

inline bool have_h5py() {
  static const bool ok = std::system((python() + " -c 'import h5py' 2>/dev/null").c_str()) == 0;
  return ok;
}

// Runs `script` with the given arguments; returns its stdout, and fails the test when it fails.
inline std::string run_python(const std::string& script, const std::vector<std::string>& args = {}) {
  iotest::TempDir dir;
  const std::string file = dir.file("script.py"), out = dir.file("out.txt");
  iotest::spit(file, script);
  std::string cmd = python() + " " + file;
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " > " + out;
  const int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << "python failed: " << cmd;
  return iotest::slurp(out);
}

// Every dataset of an HDF5 file as h5py reads it: {"path": {"shape": [...], "values": [...]}}.
inline Json h5py_datasets(const std::string& path) {
  const char* script = R"(
import h5py, json, sys
out = {}
def visit(name, obj):
    if isinstance(obj, h5py.Dataset):
        out[name] = {"shape": list(obj.shape), "dtype": str(obj.dtype), "values": obj[()].reshape(-1).tolist()}
with h5py.File(sys.argv[1], "r") as f:
    f.visititems(visit)
print(json.dumps(out))
)";
  return Json::parse(run_python(script, {path}));
}

inline Tensor tensor_from_json(const Json& entry, DType dtype = Float32) {
  Shape shape(entry.at("shape").get<std::vector<std::int64_t>>());
  std::vector<double> values = entry.at("values").get<std::vector<double>>();
  return cast(tensor(values, shape), dtype);
}

// |a - b| <= atol + rtol |b| elementwise, with the first few mismatches reported.
inline void expect_close(const Tensor& actual, const Tensor& expected, double rtol = 1e-5, double atol = 1e-6,
                         const std::string& what = "") {
  ASSERT_EQ(actual.shape(), expected.shape()) << what;
  auto a = actual.to_vector<double>(), b = expected.to_vector<double>();
  int bad = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!(std::abs(a[i] - b[i]) <= atol + rtol * std::abs(b[i]))) {
      if (++bad <= 5) ADD_FAILURE() << what << " [" << i << "]: " << a[i] << " vs expected " << b[i];
    }
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << a.size() << " values differ";
}

}  // namespace lamina::kerastest
