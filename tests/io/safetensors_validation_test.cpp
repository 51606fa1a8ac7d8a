// safetensors files are untrusted: every malformed header, offset, size and value is a typed
// error naming the file, what was expected and what was found; truncated or bit-flipped
// files never crash and never load partly.
#include "io_test_util.hpp"

namespace lm = lamina;
namespace io = lamina::io;
using lm::iotest::le;
using lm::iotest::raw;
using ::testing::HasSubstr;

namespace {

// A file with the given header text (no padding added) and data buffer.
std::string file(const std::string& header, const std::string& data = "") {
  return le(header.size(), 8) + header + data;
}

// An F32 [1] entry at [b, e).
std::string f32(const std::string& name, int b, int e, const std::string& shape = "[1]") {
  return fmt::format(R"("{}":{{"dtype":"F32","shape":{},"data_offsets":[{},{}]}})", name, shape, b, e);
}

#define EXPECT_INVALID(bytes, ...)                                                          \
  EXPECT_LAMINA_ERROR(io::decode_safetensors((bytes), "bad.safetensors"), lm::ValueError, { \
    EXPECT_THAT(msg, HasSubstr("invalid safetensors file 'bad.safetensors'"));              \
    for (const char* part : {__VA_ARGS__}) EXPECT_THAT(msg, HasSubstr(part));               \
  })

}  // namespace

TEST(SafetensorsValidation, SizeField) {
  EXPECT_INVALID(std::string("abc"), "too short to hold the 8-byte header size", "found:    3 bytes");
  EXPECT_INVALID(le(100 * 1024 * 1024 + 1, 8) + "{}", "the header size is over the limit",
                 "expected: at most 104857600 bytes", "found:    104857601 bytes");
  EXPECT_INVALID(le(~0ull, 8), "over the limit");
  EXPECT_INVALID(le(100, 8) + "{}", "the header is longer than the rest of the file", "100 header bytes",
                 "found:    2 bytes");
}

TEST(SafetensorsValidation, HeaderMustBeAUtf8JsonObject) {
  EXPECT_INVALID(file(" {}"), "does not start with '{'", "found:     {}");
  EXPECT_INVALID(file("[1, 2]"), "does not start with '{'");
  EXPECT_INVALID(file(""), "does not start with '{'");
  EXPECT_INVALID(file(R"({"x":})"), "the header is not valid UTF-8 JSON", "syntax error");
  EXPECT_INVALID(file("{} x"), "not valid UTF-8 JSON");
  EXPECT_INVALID(file("{\"\xff\":1}"), "not valid UTF-8 JSON", "ill-formed UTF-8");
  EXPECT_INVALID(file(R"({"\ud800":1})"), "not valid UTF-8 JSON", "surrogate");
  // A number too large for a double (fuzzing found it ended in std::terminate).
  EXPECT_INVALID(file(R"({"__metadata__":{"a":"b"},"t":[3E1333333333]})"), "not valid UTF-8 JSON", "number overflow");
  // nlohmann would stop at a NUL and ignore what follows.
  EXPECT_INVALID(file("{" + f32("a", 0, 4) + std::string("}\0", 2), std::string(4, '\0')),
                 "the header contains a NUL byte", "a NUL at header byte 54");
  EXPECT_INVALID(file(std::string("{\0\"a\":1}", 9)), "a NUL at header byte 1");
  // Deep nesting is refused at a small depth instead of building the tree.
  std::string deep = R"({"__metadata__":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_INVALID(file(deep), "nests JSON containers too deeply");
}

TEST(SafetensorsValidation, DuplicateKeysAreRefused) {
  EXPECT_INVALID(file("{" + f32("a", 0, 4) + "," + f32("a", 4, 8) + "}", std::string(8, '\0')),
                 "the header repeats the key 'a'");
  EXPECT_INVALID(file(R"({"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}})", std::string(4, '\0')),
                 "repeats the key 'dtype'");
  EXPECT_INVALID(file(R"({"__metadata__":{"k":"1","k":"2"}})"), "repeats the key 'k'");
  EXPECT_INVALID(file(R"({"__metadata__":{},"__metadata__":{}})"), "repeats the key '__metadata__'");
  // The same key in different objects is fine.
  auto f = io::decode_safetensors(file(R"({"__metadata__":{"a":"x"},)" + f32("a", 0, 4) + "}", std::string(4, '\0')));
  EXPECT_EQ(f.tensors.at(0).name, "a");
  EXPECT_EQ(f.metadata.at("a"), "x");
}

TEST(SafetensorsValidation, EntriesHaveExactlyDtypeShapeAndOffsets) {
  std::string d4(4, '\0');
  EXPECT_INVALID(file(R"({"a":[1]})"), "the entry of tensor 'a' is not an object", "found:    [1] (array)");
  EXPECT_INVALID(file(R"({"a":{"dtype":"F32","shape":[1]}})", d4), "has no field 'data_offsets'");
  EXPECT_INVALID(file(R"({"a":{"shape":[1],"data_offsets":[0,4]}})", d4), "has no field 'dtype'");
  EXPECT_INVALID(file(R"({"a":{"dtype":"F32","data_offsets":[0,4]}})", d4), "has no field 'shape'");
  EXPECT_INVALID(file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"offsets":[0,4]}})", d4),
                 "the entry of tensor 'a' has an unknown field 'offsets'");
  EXPECT_INVALID(file(R"({"a":{"dtype":5,"shape":[1],"data_offsets":[0,4]}})", d4),
                 "the dtype of tensor 'a' is not a string", "found:    5 (number)");
}

TEST(SafetensorsValidation, DTypes) {
  std::string d4(4, '\0');
  EXPECT_INVALID(file(R"({"a":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}})", d4),
                 "tensor 'a' has an unknown dtype", "one of F32, F64, I32, I64, BOOL", "found:    F33");
  EXPECT_INVALID(file(R"({"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}})", d4), "unknown dtype");
  EXPECT_INVALID(file(R"({"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", d4),
                 "tensor 'a' has dtype F16, which Lamina does not load", ".float()");
  EXPECT_INVALID(file(R"({"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})", d4), "dtype BF16");
}

TEST(SafetensorsValidation, Shapes) {
  std::string d4(4, '\0');
  EXPECT_INVALID(file(R"({"a":{"dtype":"F32","shape":1,"data_offsets":[0,4]}})", d4),
                 "the shape of tensor 'a' is not an array", "found:    1 (number)");
  EXPECT_INVALID(file("{" + f32("a", 0, 4, "[-1]") + "}", d4), "has a dim that is not an integer in [0, 2^63)",
                 "found:    [-1] (array)");
  EXPECT_INVALID(file("{" + f32("a", 0, 4, "[1.0]") + "}", d4), "not an integer");
  EXPECT_INVALID(file("{" + f32("a", 0, 4, R"(["1"])") + "}", d4), "not an integer");
  EXPECT_INVALID(file("{" + f32("a", 0, 4, "[9223372036854775808]") + "}", d4), "not an integer in [0, 2^63)");
  EXPECT_INVALID(file("{" + f32("a", 0, 4, "[[1]]") + "}", d4), "nests JSON containers too deeply");
  // At most 64 dims (as NumPy); longer arrays are refused while parsing, before they are built.
  std::string ones64 = "[1";
  for (int i = 1; i < 64; ++i) ones64 += ",1";
  auto f64 = io::decode_safetensors(file("{" + f32("a", 0, 4, ones64 + "]") + "}", d4));
  EXPECT_EQ(f64.tensors.at(0).value.rank(), 64);
  EXPECT_INVALID(file("{" + f32("a", 0, 4, ones64 + ",1]") + "}", d4), "an array in the header is too long",
                 "shapes of at most 64 dims");
  EXPECT_INVALID(file(R"({"a":[)" + ones64.substr(1) + ",1,1]}"), "too long");
  // Sizes are computed without overflow: 2^32 * 2^32 elements.
  EXPECT_INVALID(file(R"({"a":{"dtype":"I64","shape":[4294967296,4294967296],"data_offsets":[0,0]}})"),
                 "the size of tensor 'a' overflows a 64-bit integer");
  EXPECT_INVALID(file(R"({"a":{"dtype":"I64","shape":[2305843009213693952],"data_offsets":[0,0]}})"),
                 "overflows a 64-bit integer");  // 2^61 elements of 8 bytes
  EXPECT_INVALID(file("{" + f32("a", 0, 4, "[2]") + "}", d4),
                 "the data_offsets of tensor 'a' do not match its dtype and shape", "expected: 8 bytes (F32 (2,))",
                 "found:    4 bytes (0..4)");
  // A zero dim makes the size 0 whatever the other dims are.
  auto f = io::decode_safetensors(file("{" + f32("a", 0, 0, "[4294967296,4294967296,0]") + "}"));
  EXPECT_EQ(f.tensors.at(0).value.shape(), (lm::Shape{4294967296, 4294967296, 0}));
}

TEST(SafetensorsValidation, Offsets) {
  std::string d4(4, '\0');
  for (const char* offsets : {"[0]", "[0,4,8]", "\"0,4\"", "{}"})
    EXPECT_INVALID(file(fmt::format(R"({{"a":{{"dtype":"F32","shape":[1],"data_offsets":{}}}}})", offsets), d4),
                   "the data_offsets of tensor 'a' are not a pair");
  EXPECT_INVALID(file("{" + f32("a", -4, 0) + "}", d4), "data_offsets[0] of tensor 'a' is not a non-negative integer");
  EXPECT_INVALID(file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}})", d4), "data_offsets[1]");
  EXPECT_INVALID(file("{" + f32("a", 4, 0) + "}", d4), "end before they begin");
  EXPECT_INVALID(file("{" + f32("a", 0, 4) + "}", std::string("\0\0\0", 3)),
                 "tensor 'a' ends past the end of the data buffer", "end <= 3", "truncated");
}

TEST(SafetensorsValidation, TensorsMustTileTheDataBuffer) {
  std::string d8(8, '\0'), d12(12, '\0');
  EXPECT_INVALID(file("{" + f32("a", 0, 8, "[2]") + "," + f32("b", 4, 8) + "}", d8),
                 "tensor 'b' overlaps tensor 'a' in the data buffer", "found:    bytes 4..8, and 'a' has 0..8");
  EXPECT_INVALID(file("{" + f32("a", 0, 4) + "," + f32("b", 0, 4) + "}", std::string(4, '\0')), "overlaps");
  // A zero-size tensor inside another one overlaps it too.
  EXPECT_INVALID(file("{" + f32("a", 0, 8, "[2]") + "," + f32("z", 4, 4, "[0]") + "}", d8), "overlaps");
  EXPECT_INVALID(file("{" + f32("a", 0, 4) + "," + f32("b", 8, 12) + "}", d12),
                 "bytes 4..8 of the data buffer belong to no tensor", "tensor 'b' to start at byte 4");
  EXPECT_INVALID(file("{" + f32("b", 4, 8) + "}", d8), "bytes 0..4 of the data buffer belong to no tensor");
  EXPECT_INVALID(file("{" + f32("a", 0, 4) + "}", d8), "bytes 4..8 of the data buffer belong to no tensor",
                 "the last tensor ends at byte 4");
  EXPECT_INVALID(file("{}", "xy"), "bytes 0..2 of the data buffer belong to no tensor");

  // Any header order is fine as long as the ranges tile the buffer; the header order is kept.
  std::string data = le(0x3f800000, 4) + le(0x40000000, 4);  // 1.0f, 2.0f
  auto f = io::decode_safetensors(file("{" + f32("second", 4, 8) + "," + f32("empty", 4, 4, "[0]") + "," +
                                           f32("first", 0, 4) + "," + f32("tail", 8, 8, "[0,2]") + "}",
                                       data));
  ASSERT_EQ(f.tensors.size(), 4u);
  EXPECT_EQ(f.tensors[0].name, "second");
  EXPECT_EQ(f.tensors[0].value.item<float>(), 2.0f);
  EXPECT_EQ(f.tensors[1].name, "empty");
  EXPECT_EQ(f.tensors[2].name, "first");
  EXPECT_EQ(f.tensors[2].value.item<float>(), 1.0f);
  EXPECT_EQ(f.tensors[3].name, "tail");
}

TEST(SafetensorsValidation, Metadata) {
  EXPECT_INVALID(file(R"({"__metadata__":"x"})"), "__metadata__ is not an object", "found:    \"x\" (string)");
  EXPECT_INVALID(file(R"({"__metadata__":{"k":1}})"), "metadata value 'k' is not a string", "found:    1 (number)");
  EXPECT_INVALID(file(R"({"__metadata__":{"k":null}})"), "metadata value 'k' is not a string");
  EXPECT_INVALID(file(R"({"__metadata__":{"k":{"nested":"x"}}})"), "metadata value 'k' is not a string");
}

TEST(SafetensorsValidation, BoolBytesAreZeroOrOne) {
  std::string h = R"({"b":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}})";
  EXPECT_INVALID(file(h, std::string("\1\2\0", 3)), "BOOL tensor 'b' holds a byte that is not 0 or 1",
                 "found:    2 at element 1");
  EXPECT_INVALID(file(h, std::string("\0\0\xff", 3)), "255 at element 2");
  auto f = io::decode_safetensors(file(h, std::string("\1\0\1", 3)));
  EXPECT_EQ(f.tensors[0].value.to_vector<int>(), (std::vector<int>{1, 0, 1}));
}

namespace {

// A valid file with every dtype, metadata, a scalar and an empty tensor.
std::vector<io::NamedTensor> sample() {
  return {{"dense/kernel", lm::tensor({{0.25f, -1.5f, 3.f}, {7.f, 8.f, -9.f}})},
          {"dense/bias", lm::tensor(std::vector<double>{1e-3, -2e5})},
          {"steps", lm::tensor(std::vector<std::int64_t>{12345678901, -3})},
          {"ids", lm::tensor({3, 1, 4, 1, 5})},
          {"valid", lm::tensor({true, false, true, true})},
          {"lr", lm::scalar(0.125f)},
          {"nothing", lm::zeros({0, 4})}};
}
const std::map<std::string, std::string> kMeta = {{"format", "lamina"}, {"version", "1"}};

}  // namespace

TEST(SafetensorsValidation, TruncatedFilesAreRefusedAtEverySixteenth) {
  std::string good = io::encode_safetensors(sample(), kMeta);
  for (std::size_t k = 0; k < 16; ++k) {
    std::size_t len = good.size() * k / 16;
    SCOPED_TRACE(fmt::format("truncated to {} of {} bytes", len, good.size()));
    EXPECT_THROW(io::decode_safetensors(std::string_view(good).substr(0, len)), lm::ValueError);
  }
  std::size_t header_end = 8 + static_cast<unsigned char>(good[0]) + 256 * static_cast<unsigned char>(good[1]);
  EXPECT_INVALID(good.substr(0, header_end + 3), "ends past the end of the data buffer");
  EXPECT_INVALID(good.substr(0, good.size() - 1), "ends past the end of the data buffer");
  EXPECT_INVALID(good + '\0', "belong to no tensor");
  // On disk too.
  lm::iotest::TempDir dir;
  lm::iotest::spit(dir.file("t.safetensors"), good.substr(0, good.size() / 2));
  EXPECT_LAMINA_ERROR(io::load_safetensors(dir.file("t.safetensors")), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr(dir.file("t.safetensors"))); });
}

TEST(SafetensorsValidation, FlippedHeaderBytesAreRefusedOrOnlyRenameSomething) {
  const auto in = sample();
  const std::string good = io::encode_safetensors(in, kMeta);
  const std::size_t header_end = 8 + static_cast<unsigned char>(good[0]) + 256 * static_cast<unsigned char>(good[1]);
  ASSERT_LT(header_end, good.size());
  int refused = 0, loaded = 0;
  for (std::size_t i = 0; i < header_end; ++i)
    for (unsigned char flip : {0x01, 0x20, 0x80}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      SCOPED_TRACE(fmt::format("byte {} ^ {:#x}", i, flip));
      io::TensorFile f;
      try {
        f = io::decode_safetensors(bad);
      } catch (const lm::ValueError&) {
        ++refused;
        continue;
      }
      // A file that still loads differs in exactly one thing the data cannot check: a name, a
      // metadata string, or a dim of a tensor that has no elements either way ([0, 4] -> [0, 5]).
      // Every dtype and value is as saved, and the order is unchanged.
      ++loaded;
      ASSERT_GE(i, 8u) << "a changed size field must never load";
      ASSERT_EQ(f.tensors.size(), in.size());
      int changes = f.metadata != kMeta ? 1 : 0;
      for (std::size_t t = 0; t < in.size(); ++t) {
        EXPECT_EQ(f.tensors[t].value.dtype(), in[t].value.dtype());
        EXPECT_EQ(raw(f.tensors[t].value), raw(in[t].value));
        changes += f.tensors[t].name != in[t].name;
        if (f.tensors[t].value.shape() != in[t].value.shape()) {
          ++changes;
          EXPECT_EQ(f.tensors[t].value.numel(), 0);
          EXPECT_EQ(in[t].value.numel(), 0);
        }
      }
      EXPECT_EQ(changes, 1);
    }
  EXPECT_GT(refused, 0);
  EXPECT_GT(loaded, 0);  // e.g. "steps" -> "stePs"
}

TEST(SafetensorsValidation, FlippedDataBytesChangeOnlyThatByteOrAreRefusedForBool) {
  const auto in = sample();
  const std::string good = io::encode_safetensors(in, kMeta);
  const std::size_t data_start = 8 + static_cast<unsigned char>(good[0]) + 256 * static_cast<unsigned char>(good[1]);
  std::string all_raw;  // concatenated original values, to find each flipped byte again
  for (const auto& t : in) all_raw += raw(t.value);
  ASSERT_EQ(all_raw.size(), good.size() - data_start);
  for (std::size_t i = data_start; i < good.size(); ++i)
    for (unsigned char flip : {0x01, 0x80}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      SCOPED_TRACE(fmt::format("byte {} ^ {:#x}", i, flip));
      // The BOOL tensor is last in the data buffer (smallest items last): its 4 bytes.
      bool in_bool = i >= good.size() - 4;
      if (in_bool && flip == 0x80) {
        EXPECT_THROW(io::decode_safetensors(bad), lm::ValueError);
        continue;
      }
      io::TensorFile f = io::decode_safetensors(bad);
      std::size_t differing = 0;
      for (std::size_t t = 0; t < in.size(); ++t) {
        std::string a = raw(in[t].value), b = raw(f.tensors[t].value);
        ASSERT_EQ(a.size(), b.size());
        for (std::size_t k = 0; k < a.size(); ++k)
          if (a[k] != b[k]) {
            ++differing;
            EXPECT_EQ(static_cast<unsigned char>(a[k] ^ b[k]), flip);
          }
      }
      EXPECT_EQ(differing, 1u);
    }
}
