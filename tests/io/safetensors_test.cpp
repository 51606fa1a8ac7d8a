// safetensors: byte-exact encoding against bytes written by hand from the spec, decoding of
// hand-built files, round trips of every dtype and shape, and the file-level API.
#include "lamina/io/safetensors.hpp"

#include <cmath>
#include <limits>

#include "io_test_util.hpp"

namespace lm = lamina;
namespace io = lamina::io;
using lm::iotest::le;
using lm::iotest::raw;
using lm::iotest::slurp;
using lm::iotest::spit;
using lm::iotest::TempDir;
using ::testing::HasSubstr;

namespace {

std::string bytes(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) s += static_cast<char>(b);
  return s;
}

}  // namespace

TEST(Safetensors, EncodesATinyFileByteForByte) {
  // From the spec: N (u64 LE), the JSON header padded with spaces to a multiple of 8, the data.
  const std::string header = R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  ASSERT_EQ(header.size(), 54u);
  std::string expected = bytes({56, 0, 0, 0, 0, 0, 0, 0}) + header + "  " +
                         bytes({0x00, 0x00, 0x80, 0x3f,    // 1.0f
                                0x00, 0x00, 0x00, 0xc0});  // -2.0f
  std::string got = io::encode_safetensors({{"x", lm::tensor({1.0f, -2.0f})}}, {});
  EXPECT_EQ(got, expected);

  io::TensorFile f = io::decode_safetensors(expected);
  ASSERT_EQ(f.tensors.size(), 1u);
  EXPECT_EQ(f.tensors[0].name, "x");
  EXPECT_EQ(f.tensors[0].value.dtype(), lm::Float32);
  EXPECT_SHAPE(f.tensors[0].value, {2});
  EXPECT_VALUES(f.tensors[0].value, {1.0, -2.0}, 0);
  EXPECT_TRUE(f.metadata.empty());
}

TEST(Safetensors, EncodesMetadataFirstAndLargerItemsFirstInTheData) {
  // Header order is the caller's (b, w); the data holds the 8-byte F64 before the 1-byte BOOLs.
  const std::string header =
      R"({"__metadata__":{"format":"lamina"},"b":{"dtype":"BOOL","shape":[3],"data_offsets":[8,11]},)"
      R"("w":{"dtype":"F64","shape":[1,1],"data_offsets":[0,8]}})";
  ASSERT_EQ(header.size(), 146u);
  std::string expected = bytes({152, 0, 0, 0, 0, 0, 0, 0}) + header + "      " +
                         bytes({0, 0, 0, 0, 0, 0, 0xe0, 0x3f,  // 0.5 as float64
                                1, 0, 1});
  auto b = lm::tensor({true, false, true});
  auto w = lm::tensor(std::vector<double>{0.5}, lm::Shape{1, 1});
  EXPECT_EQ(io::encode_safetensors({{"b", b}, {"w", w}}, {{"format", "lamina"}}), expected);

  io::TensorFile f = io::decode_safetensors(expected);
  ASSERT_EQ(f.tensors.size(), 2u);
  EXPECT_EQ(f.tensors[0].name, "b");
  EXPECT_EQ(f.tensors[1].name, "w");
  EXPECT_EQ(f.tensors[0].value.dtype(), lm::Bool);
  EXPECT_EQ(f.tensors[0].value.to_vector<int>(), (std::vector<int>{1, 0, 1}));
  EXPECT_SHAPE(f.tensors[1].value, {1, 1});
  EXPECT_EQ(f.tensors[1].value.item<double>(), 0.5);
  EXPECT_EQ(f.metadata, (std::map<std::string, std::string>{{"format", "lamina"}}));
}

TEST(Safetensors, DecodesAHandBuiltFileFromAnotherWriter) {
  // Pretty-printed JSON, metadata last, tensors listed out of offset order, a scalar and an
  // empty tensor, trailing space padding: all allowed by the spec.
  std::string header = R"({
  "ids": {"dtype": "I64", "shape": [2], "data_offsets": [0, 16]},
  "flag": {"dtype": "BOOL", "shape": [], "data_offsets": [20, 21]},
  "n": {"dtype": "I32", "shape": [], "data_offsets": [16, 20]},
  "none": {"dtype": "F32", "shape": [0, 3], "data_offsets": [21, 21]},
  "__metadata__": {"k": "v", "empty": ""}
}   )";
  std::string data = bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // -1
                            0,    0,    0,    0,    0,    1,    0,    0,     // 2^40
                            7,    0,    0,    0,                             // 7
                            1});                                             // true
  io::TensorFile f = io::decode_safetensors(le(header.size(), 8) + header + data, "other.safetensors");
  ASSERT_EQ(f.tensors.size(), 4u);
  EXPECT_EQ(f.tensors[0].name, "ids");
  EXPECT_EQ(f.tensors[0].value.dtype(), lm::Int64);
  EXPECT_EQ(f.tensors[0].value.to_vector<std::int64_t>(), (std::vector<std::int64_t>{-1, std::int64_t{1} << 40}));
  EXPECT_EQ(f.tensors[1].name, "flag");
  EXPECT_EQ(f.tensors[1].value.rank(), 0);
  EXPECT_EQ(f.tensors[1].value.item<bool>(), true);
  EXPECT_EQ(f.tensors[2].name, "n");
  EXPECT_EQ(f.tensors[2].value.dtype(), lm::Int32);
  EXPECT_EQ(f.tensors[2].value.item<int>(), 7);
  EXPECT_EQ(f.tensors[3].name, "none");
  EXPECT_SHAPE(f.tensors[3].value, {0, 3});
  EXPECT_EQ(f.tensors[3].value.numel(), 0);
  EXPECT_EQ(f.metadata, (std::map<std::string, std::string>{{"empty", ""}, {"k", "v"}}));
}

TEST(Safetensors, EmptyFileHasAnEmptyHeader) {
  std::string expected = bytes({8, 0, 0, 0, 0, 0, 0, 0}) + "{}      ";
  EXPECT_EQ(io::encode_safetensors({}, {}), expected);
  io::TensorFile f = io::decode_safetensors(expected);
  EXPECT_TRUE(f.tensors.empty());
  EXPECT_TRUE(f.metadata.empty());
}

TEST(Safetensors, RoundTripsEveryDTypeAndShapeBitForBit) {
  const float fnan = std::numeric_limits<float>::quiet_NaN(), finf = std::numeric_limits<float>::infinity();
  const double dnan = std::numeric_limits<double>::quiet_NaN(), dinf = std::numeric_limits<double>::infinity();
  std::vector<io::NamedTensor> in = {
      {"f32",
       lm::tensor(std::vector<float>{0.f, -0.f, 1.5f, -finf, finf, fnan, 1e-45f, 3.4028235e38f}, lm::Shape{2, 4})},
      {"f64", lm::tensor(std::vector<double>{-0.0, dnan, dinf, 5e-324, 1.0 / 3.0, -1e308}, lm::Shape{3, 1, 2})},
      {"i32", lm::tensor(std::vector<int>{INT32_MIN, -1, 0, INT32_MAX}, lm::Shape{4})},
      {"i64", lm::tensor(std::vector<std::int64_t>{INT64_MIN, INT64_MAX, 42}, lm::Shape{1, 3})},
      {"bool", lm::tensor(std::vector<bool>{true, false, false, true, true, false}, lm::Shape{2, 3})},
      {"scalar_f32", lm::scalar(2.5f)},
      {"scalar_i64", lm::scalar(-7, lm::Int64)},
      {"scalar_bool", lm::scalar(false)},
      {"empty_f64", lm::zeros({0}, lm::Float64)},
      {"empty_i32", lm::zeros({2, 0, 3}, lm::Int32)},
      {"empty_bool", lm::zeros({0, 1}, lm::Bool)},
      {"unicode/ünïcødé 名前", lm::ones({1, 1, 1, 1}, lm::Int64)},
  };
  std::map<std::string, std::string> meta = {{"format", "lamina"}, {"note", "quote \" and \\ and \n newline"}};
  io::TensorFile out = io::decode_safetensors(io::encode_safetensors(in, meta));
  EXPECT_EQ(out.metadata, meta);
  ASSERT_EQ(out.tensors.size(), in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    SCOPED_TRACE(in[i].name);
    EXPECT_EQ(out.tensors[i].name, in[i].name);
    EXPECT_EQ(out.tensors[i].value.dtype(), in[i].value.dtype());
    EXPECT_EQ(out.tensors[i].value.shape(), in[i].value.shape());
    EXPECT_EQ(raw(out.tensors[i].value), raw(in[i].value));
    EXPECT_FALSE(out.tensors[i].value.has_mask());
  }
}

TEST(Safetensors, MaskedTensorsStoreTheirValuesOnly) {
  auto x = lm::tensor({{1.f, 2.f}, {3.f, 4.f}}).with_mask(lm::tensor({true, false}));
  io::TensorFile f = io::decode_safetensors(io::encode_safetensors({{"x", x}}, {}));
  EXPECT_FALSE(f.tensors[0].value.has_mask());
  EXPECT_VALUES(f.tensors[0].value, {1, 2, 3, 4}, 0);
  EXPECT_EQ(io::encode_safetensors({{"x", x}}, {}), io::encode_safetensors({{"x", x.without_mask()}}, {}));
}

TEST(Safetensors, EncodeRefusesBadNamesAndTensorsWithoutValues) {
  auto t = lm::tensor({1.f});
  EXPECT_LAMINA_ERROR(io::encode_safetensors({{"a", t}, {"a", t}}, {}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("the tensor name 'a' appears twice")); });
  EXPECT_LAMINA_ERROR(io::encode_safetensors({{"", t}}, {}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("non-empty name")); });
  EXPECT_LAMINA_ERROR(io::encode_safetensors({{"__metadata__", t}}, {}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("reserved for the metadata")); });
  EXPECT_LAMINA_ERROR(io::encode_safetensors({{"bad\xff", t}}, {}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("tensor name 'bad\\xff' is not valid UTF-8")); });
  EXPECT_LAMINA_ERROR(io::encode_safetensors({{"a", t}}, {{"k", "\xc3"}}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("the metadata value of 'k' is not valid UTF-8")); });
  EXPECT_LAMINA_ERROR(io::encode_safetensors({{"a", lm::zeros(lm::Shape(std::vector<std::int64_t>(65, 1)))}}, {}),
                      lm::ValueError, { EXPECT_THAT(msg, HasSubstr("expected: at most 64 dims")); });
  EXPECT_LAMINA_ERROR(io::encode_safetensors({{"a", lm::Tensor()}}, {}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("an undefined tensor")); });
  auto sym = lm::placeholder({lm::Shape{lm::None, 3}, lm::Float32});
  EXPECT_LAMINA_ERROR(io::encode_safetensors({{"a", sym}}, {}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("tensor 'a' has no values to save"));
    EXPECT_THAT(msg, HasSubstr("symbolic"));
    EXPECT_THAT(msg, HasSubstr("op 'encode_safetensors'"));
  });
}

TEST(Safetensors, SaveAndLoadFiles) {
  TempDir dir;
  std::string path = dir.file("w.safetensors");
  std::vector<io::NamedTensor> in = {{"k", lm::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}})},
                                     {"steps", lm::scalar(12, lm::Int64)}};
  io::save_safetensors(path, in, {{"epoch", "3"}});
  EXPECT_EQ(slurp(path), io::encode_safetensors(in, {{"epoch", "3"}}));
  EXPECT_EQ(dir.entries(), std::set<std::string>{"w.safetensors"});

  io::TensorFile f = io::load_safetensors(path);
  ASSERT_EQ(f.tensors.size(), 2u);
  EXPECT_VALUES(f.tensors[0].value, {1, 2, 3, 4, 5, 6}, 0);
  EXPECT_EQ(f.tensors[1].value.item<std::int64_t>(), 12);
  EXPECT_EQ(f.metadata.at("epoch"), "3");

  // Saving again replaces the file atomically.
  io::save_safetensors(path, {{"only", lm::scalar(1.f)}}, {});
  EXPECT_EQ(io::load_safetensors(path).tensors.size(), 1u);
  EXPECT_EQ(dir.entries(), std::set<std::string>{"w.safetensors"});
}

TEST(Safetensors, SaveFailureLeavesTheOldFile) {
  TempDir dir;
  std::string path = dir.file("w.safetensors");
  io::save_safetensors(path, {{"a", lm::scalar(1.f)}}, {});
  std::string before = slurp(path);
  EXPECT_THROW(io::save_safetensors(path, {{"a", lm::scalar(2.f)}, {"a", lm::scalar(3.f)}}, {}), lm::ValueError);
  EXPECT_EQ(slurp(path), before);
  EXPECT_LAMINA_ERROR(io::save_safetensors(dir.file("missing/w.safetensors"), {{"a", lm::scalar(1.f)}}, {}),
                      lm::IOError, { EXPECT_THAT(msg, HasSubstr("op 'save_safetensors'")); });
  EXPECT_EQ(dir.entries(), std::set<std::string>{"w.safetensors"});
}

TEST(Safetensors, LoadErrorsNameTheFile) {
  TempDir dir;
  EXPECT_LAMINA_ERROR(io::load_safetensors(dir.file("nope.safetensors")), lm::IOError, {
    EXPECT_THAT(msg, HasSubstr("IOError in op 'load_safetensors'"));
    EXPECT_THAT(msg, HasSubstr(dir.file("nope.safetensors")));
    EXPECT_THAT(msg, HasSubstr("ENOENT"));
  });
  spit(dir.file("junk.safetensors"), "this is not a tensor file at all");
  EXPECT_LAMINA_ERROR(io::load_safetensors(dir.file("junk.safetensors")), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("invalid safetensors file '" + dir.file("junk.safetensors") + "'"));
    EXPECT_THAT(msg, HasSubstr("header size is over the limit"));
  });
  spit(dir.file("empty.safetensors"), "");
  EXPECT_LAMINA_ERROR(io::load_safetensors(dir.file("empty.safetensors")), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("too short to hold the 8-byte header size")); });
}

TEST(Safetensors, ReadsTheHeaderWithoutTheData) {
  TempDir dir;
  std::string path = dir.file("h.safetensors");
  io::save_safetensors(path, {{"emb", lm::zeros({5, 3})}, {"mask", lm::zeros({0}, lm::Bool)}}, {{"a", "b"}});
  io::TensorFile h = io::read_safetensors_header(path);
  ASSERT_EQ(h.tensors.size(), 2u);
  EXPECT_EQ(h.tensors[0].name, "emb");
  EXPECT_TRUE(h.tensors[0].value.is_symbolic());
  EXPECT_EQ(h.tensors[0].value.spec(), (lm::TensorSpec{lm::Shape{5, 3}, lm::Float32}));
  EXPECT_EQ(h.tensors[1].value.spec(), (lm::TensorSpec{lm::Shape{0}, lm::Bool}));
  EXPECT_EQ(h.metadata.at("a"), "b");

  // The offsets are still checked against the file's size: a truncated file is refused.
  std::string bytes = slurp(path);
  spit(path, bytes.substr(0, bytes.size() - 4));
  EXPECT_LAMINA_ERROR(io::read_safetensors_header(path), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("op 'read_safetensors_header'"));
    EXPECT_THAT(msg, HasSubstr("tensor 'emb' ends past the end of the data buffer"));
  });
  EXPECT_LAMINA_ERROR(io::read_safetensors_header(dir.file("none")), lm::IOError,
                      { EXPECT_THAT(msg, HasSubstr("ENOENT")); });
}
