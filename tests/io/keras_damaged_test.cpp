// Damaged Keras files: every truncation and a sweep of bit flips of real Keras files (and of a
// .keras Lamina wrote) are rejected with Lamina's typed errors -- never a crash, an abort or a
// foreign exception -- or, for flips that only change a weight's value, load.
#include <fmt/format.h>

#include <random>

#include "keras_test_util.hpp"
#include "lamina/io/keras.hpp"
#include "lamina/layers/lambda.hpp"

namespace lm = lamina;
using lamina::iotest::slurp;
using lamina::kerastest::sample;

namespace {

enum class Outcome { Loaded, TypedError };

// Decodes `bytes` as the kind of `name`; any exception but lamina::Error fails the test.
Outcome decode(const std::string& name, const std::string& bytes) {
  try {
    if (name.ends_with(".keras"))
      lm::io::decode_keras(bytes, name);
    else
      lm::io::decode_keras_h5(bytes, name);
    return Outcome::Loaded;
  } catch (const lm::Error& e) {
    EXPECT_NE(std::string(e.what()).find("expected"), std::string::npos) << e.what();  // ErrorDetails filled in
    return Outcome::TypedError;
  } catch (const std::exception& e) {
    ADD_FAILURE() << name << ": untyped exception " << typeid(e).name() << ": " << e.what();
    return Outcome::TypedError;
  }
}

const std::vector<std::string>& sample_files() {
  static const std::vector<std::string> files = {"dl4j_simple_rnn_tf_keras_2_model.h5", "dl4j_masking_zero_lstm.h5",
                                                 "dl4j_bidirectional_lstm_tensorflow_2.h5",
                                                 "dl4j_conv1d_k3_s1_d1_cl_same_model.h5", "har_stacked_lstm.keras"};
  return files;
}

}  // namespace

TEST(KerasDamaged, EveryTruncationIsATypedError) {
  for (const auto& name : sample_files()) {
    const std::string bytes = slurp(sample(name));
    ASSERT_FALSE(bytes.empty()) << name;
    ASSERT_EQ(decode(name, bytes), Outcome::Loaded) << name;
    // Lengths every 61 bytes below 4 KiB, then 97 spread over the file.
    std::vector<std::size_t> lengths;
    for (std::size_t n = 0; n < std::min<std::size_t>(bytes.size(), 4096); n += 61) lengths.push_back(n);
    for (std::size_t k = 1; k < 98; ++k) lengths.push_back(bytes.size() * k / 98);
    lengths.push_back(bytes.size() - 1);
    for (std::size_t n : lengths)
      EXPECT_EQ(decode(name, bytes.substr(0, n)), Outcome::TypedError) << name << " cut at " << n;
  }
}

TEST(KerasDamaged, BitFlipsAreTypedErrorsOrLoad) {
  std::mt19937_64 rng(20240601);
  for (const auto& name : sample_files()) {
    const std::string bytes = slurp(sample(name));
    int errors = 0;
    for (int trial = 0; trial < 150; ++trial) {
      std::string damaged = bytes;
      // Mostly the first 4 KiB (signatures, superblock, object headers, the zip's local header),
      // and anywhere else too.
      std::size_t at = trial % 3 == 0 ? rng() % bytes.size() : rng() % std::min<std::size_t>(bytes.size(), 4096);
      damaged[at] = static_cast<char>(damaged[at] ^ (1 << (rng() % 8)));
      if (decode(name, damaged) == Outcome::TypedError) ++errors;
    }
    EXPECT_GT(errors, 0) << name;  // some flips land in structure and must be caught
  }
}

// The zip's member directory damaged at the end (central directory, end record).
TEST(KerasDamaged, ZipTailFlipsAreTypedErrors) {
  const std::string bytes = slurp(sample("har_stacked_lstm.keras"));
  for (std::size_t back = 1; back <= 300; back += 3) {
    std::string damaged = bytes;
    damaged[bytes.size() - back] = static_cast<char>(damaged[bytes.size() - back] ^ 0x5a);
    decode("har_stacked_lstm.keras", damaged);
  }
}

// Not a Keras file at all.
TEST(KerasDamaged, ForeignBytesAreTypedErrors) {
  EXPECT_EQ(decode("x.keras", ""), Outcome::TypedError);
  EXPECT_EQ(decode("x.h5", ""), Outcome::TypedError);
  EXPECT_EQ(decode("x.keras", "PK\x03\x04 not really a zip"), Outcome::TypedError);
  EXPECT_EQ(decode("x.h5", std::string("\x89HDF\r\n\x1a\n", 8) + std::string(100, '\0')), Outcome::TypedError);
  EXPECT_EQ(decode("x.h5", std::string(5000, 'A')), Outcome::TypedError);
}

// Every field of the config (at any depth) replaced by a value of another kind -- a list, an
// object, a string, a number, in turn: each file loads or raises a typed error. (Fuzzing
// found a layer name given as a list ending in std::terminate.)
TEST(KerasDamaged, ConfigFieldsOfAnotherKindAreTypedErrors) {
  const char* mutate = R"(
import json, sys, zipfile
src, out = sys.argv[1], sys.argv[2]
z = zipfile.ZipFile(src)
members = {n: z.read(n) for n in z.namelist()}
config = json.loads(members["config.json"])
slots = []
def walk(j):
    if isinstance(j, dict):
        for k in j: slots.append((j, k)); walk(j[k])
    elif isinstance(j, list):
        for i in range(len(j)): slots.append((j, i)); walk(j[i])
walk(config)
others = [[None, 3], {"x": 1}, "s", 7]
for n, (parent, key) in enumerate(slots):
    old = parent[key]
    parent[key] = others[n % len(others)]
    if type(parent[key]) == type(old): parent[key] = others[(n + 1) % len(others)]
    with zipfile.ZipFile(f"{out}/{n}.keras", "w") as w:
        for name, data in members.items():
            w.writestr(name, json.dumps(config) if name == "config.json" else data)
    parent[key] = old
print(len(slots))
)";
  lamina::iotest::TempDir dir;
  const int n = std::stoi(lamina::kerastest::run_python(mutate, {sample("har_stacked_lstm.keras"), dir.path()}));
  ASSERT_GT(n, 100);
  int typed = 0;
  for (int i = 0; i < n; ++i) typed += decode(fmt::format("{}.keras", i), slurp(dir.file(fmt::format("{}.keras", i)))) == Outcome::TypedError;
  EXPECT_GT(typed, n / 4);  // many of them break the model
}
