// .npy: hand-built files of every version and supported dtype, byte-exact writing, round
// trips, and a typed error for every malformed preamble, header, shape and size.
#include "lamina/io/npy.hpp"

#include <limits>

#include "io_test_util.hpp"

namespace lm = lamina;
namespace io = lamina::io;
using lm::iotest::le;
using lm::iotest::raw;
using ::testing::HasSubstr;

namespace {

std::string bytes(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) s += static_cast<char>(b);
  return s;
}

// Magic, version, header length (2 bytes for 1.x, 4 for 2.x/3.x), header, data.
std::string npy(int major, const std::string& header, const std::string& data = "", int minor = 0) {
  return "\x93NUMPY" + bytes({major, minor}) + le(header.size(), major == 1 ? 2 : 4) + header + data;
}

std::string dict(const std::string& descr, const std::string& shape, bool fortran = false) {
  return fmt::format("{{'descr': '{}', 'fortran_order': {}, 'shape': {}, }}\n", descr, fortran ? "True" : "False",
                     shape);
}

#define EXPECT_BAD_NPY(b, ...)                                                \
  EXPECT_LAMINA_ERROR(io::decode_npy((b), "x.npy"), lm::ValueError, {         \
    EXPECT_THAT(msg, HasSubstr("invalid .npy file 'x.npy'"));                 \
    for (const char* part : {__VA_ARGS__}) EXPECT_THAT(msg, HasSubstr(part)); \
  })

}  // namespace

TEST(Npy, WritesVersion1ByteForByte) {
  // NumPy's layout: the header dict, spaces, '\n', so that magic + 4 + header is a multiple of 64.
  const std::string d = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  ASSERT_EQ(d.size(), 57u);
  std::string expected = "\x93NUMPY" + bytes({1, 0, 118, 0}) + d + std::string(60, ' ') + "\n" +
                         bytes({0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0});  // 1.5f, -2.0f
  ASSERT_EQ(expected.size(), 128u + 8u);
  EXPECT_EQ(io::encode_npy(lm::tensor({1.5f, -2.0f})), expected);

  const std::string s = "{'descr': '|b1', 'fortran_order': False, 'shape': (), }";
  EXPECT_EQ(io::encode_npy(lm::scalar(true)),
            "\x93NUMPY" + bytes({1, 0, 118, 0}) + s + std::string(62, ' ') + "\n" + bytes({1}));
  const std::string m = "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 0, 3), }";
  EXPECT_EQ(io::encode_npy(lm::zeros({2, 0, 3}, lm::Int64)),
            "\x93NUMPY" + bytes({1, 0, 118, 0}) + m + std::string(118 - 1 - m.size(), ' ') + "\n");
}

TEST(Npy, DecodesHandBuiltVersion1And2And3Files) {
  auto a = io::decode_npy(npy(1, dict("<i8", "(2, 2)"), le(1, 8) + le(~0ull, 8) + le(3, 8) + le(1ull << 40, 8)));
  EXPECT_EQ(a.dtype(), lm::Int64);
  EXPECT_SHAPE(a, {2, 2});
  EXPECT_EQ(a.to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, -1, 3, std::int64_t{1} << 40}));

  // 2.0: a 4-byte header length; unpadded, double-quoted, no trailing comma, no newline.
  auto b = io::decode_npy(npy(2, R"({"descr": "<f8", "shape": (3,), "fortran_order": False})",
                              le(0x3ff0000000000000ull, 8) + le(0xc000000000000000ull, 8) + le(0, 8)));
  EXPECT_EQ(b.dtype(), lm::Float64);
  EXPECT_EQ(b.to_vector<double>(), (std::vector<double>{1.0, -2.0, 0.0}));

  auto c = io::decode_npy(npy(3, dict("<i4", "()"), le(static_cast<std::uint32_t>(-5), 4)));
  EXPECT_EQ(c.rank(), 0);
  EXPECT_EQ(c.item<int>(), -5);

  // Python 2 writers put 'L' after longs.
  auto d = io::decode_npy(npy(1, dict("|b1", "(1L, 2L)"), bytes({0, 1})));
  EXPECT_SHAPE(d, {1, 2});
  EXPECT_EQ(d.to_vector<int>(), (std::vector<int>{0, 1}));
}

TEST(Npy, ReadsFilesWrittenByNumPy) {
  // Recorded from NumPy 1.24.2's np.save (header padded to 118 bytes with spaces and '\n').
  auto numpy_file = [](const std::string& d, const std::string& data) {
    return "\x93NUMPY" + bytes({1, 0, 0x76, 0}) + d + std::string(117 - d.size(), ' ') + "\n" + data;
  };
  // np.save(f, np.asfortranarray(np.array([[1, 2, 3], [4, 5, 6]], dtype='>f4')))
  auto a = io::decode_npy(numpy_file("{'descr': '>f4', 'fortran_order': True, 'shape': (2, 3), }",
                                     bytes({0x3f, 0x80, 0, 0, 0x40, 0x80, 0, 0, 0x40, 0,    0, 0,  //
                                            0x40, 0xa0, 0, 0, 0x40, 0x40, 0, 0, 0x40, 0xc0, 0, 0})));
  EXPECT_EQ(a.dtype(), lm::Float32);
  EXPECT_SHAPE(a, {2, 3});
  EXPECT_VALUES(a, {1, 2, 3, 4, 5, 6}, 0);
  // np.save(f, np.array([[True, False], [False, True]]))
  auto b =
      io::decode_npy(numpy_file("{'descr': '|b1', 'fortran_order': False, 'shape': (2, 2), }", bytes({1, 0, 0, 1})));
  EXPECT_EQ(b.to_vector<int>(), (std::vector<int>{1, 0, 0, 1}));
  // np.save(f, np.array([4294967295, 7], dtype='>u4'))
  auto c = io::decode_npy(numpy_file("{'descr': '>u4', 'fortran_order': False, 'shape': (2,), }",
                                     bytes({0xff, 0xff, 0xff, 0xff, 0, 0, 0, 7})));
  EXPECT_EQ(c.dtype(), lm::Int64);
  EXPECT_EQ(c.to_vector<std::int64_t>(), (std::vector<std::int64_t>{4294967295, 7}));
}

TEST(Npy, ReadsEverySupportedDType) {
  struct Case {
    const char* descr;
    std::string data;
    lm::DType dtype;
    std::vector<double> values;
  };
  const Case cases[] = {
      {"<f4", le(0x3f800000, 4) + le(0xc0490fdb, 4), lm::Float32, {1.0, -3.1415927410125732}},
      {">f4", bytes({0x3f, 0x80, 0, 0}) + bytes({0xc0, 0x49, 0x0f, 0xdb}), lm::Float32, {1.0, -3.1415927410125732}},
      {"<f8", le(0x4000000000000000ull, 8) + le(0x3fb999999999999aull, 8), lm::Float64, {2.0, 0.1}},
      {">f8",
       bytes({0x40, 0, 0, 0, 0, 0, 0, 0}) + bytes({0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a}),
       lm::Float64,
       {2.0, 0.1}},
      {"<i4", le(0x7fffffff, 4) + le(0x80000000, 4), lm::Int32, {2147483647.0, -2147483648.0}},
      {">i4", bytes({0, 0, 1, 2}) + bytes({0xff, 0xff, 0xff, 0xfe}), lm::Int32, {258, -2}},
      {"<i8", le(7, 8) + le(~0ull - 1, 8), lm::Int64, {7, -2}},
      {">i8",
       bytes({0, 0, 0, 0, 0, 0, 1, 0}) + bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
       lm::Int64,
       {256, -1}},
      {"|b1", bytes({1, 0}), lm::Bool, {1, 0}},
      {"|i1", bytes({0x80, 0x7f}), lm::Int32, {-128, 127}},
      {"|u1", bytes({0xff, 0x01}), lm::Int32, {255, 1}},
      {"<i2", bytes({0xfe, 0xff, 0x00, 0x80}), lm::Int32, {-2, -32768}},
      {">i2", bytes({0x01, 0x02, 0x80, 0x00}), lm::Int32, {258, -32768}},
      {"<u2", bytes({0xff, 0xff, 0x02, 0x01}), lm::Int32, {65535, 258}},
      {">u4", bytes({0xff, 0xff, 0xff, 0xff, 0, 0, 1, 0}), lm::Int64, {4294967295.0, 256}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.descr);
    auto t = io::decode_npy(npy(1, dict(c.descr, "(2,)"), c.data));
    EXPECT_EQ(t.dtype(), c.dtype);
    EXPECT_SHAPE(t, {2});
    EXPECT_VALUES(t, c.values, 0);
  }
}

TEST(Npy, FortranOrderIsTransposedIntoCOrder) {
  // Column-major (2, 3) of m[i][j] = 10 i + j stores (0,0), (1,0), (0,1), (1,1), (0,2), (1,2).
  std::string data;
  for (int v : {0, 10, 1, 11, 2, 12}) data += le(static_cast<std::uint32_t>(v), 4);
  auto t = io::decode_npy(npy(1, dict("<i4", "(2, 3)", true), data));
  EXPECT_SHAPE(t, {2, 3});
  EXPECT_EQ(t.to_vector<int>(), (std::vector<int>{0, 1, 2, 10, 11, 12}));

  // (2, 3, 2) of 100 i + 10 j + k, big-endian int16: element (i, j, k) sits at i + 2 j + 6 k.
  std::string data3(24, '\0');
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 2; ++k) {
        int v = 100 * i + 10 * j + k, at = 2 * (i + 2 * j + 6 * k);
        data3[static_cast<std::size_t>(at)] = static_cast<char>(v >> 8);
        data3[static_cast<std::size_t>(at + 1)] = static_cast<char>(v & 0xff);
      }
  auto u = io::decode_npy(npy(1, dict(">i2", "(2, 3, 2)", true), data3));
  EXPECT_EQ(u.to_vector<int>(), (std::vector<int>{0, 1, 10, 11, 20, 21, 100, 101, 110, 111, 120, 121}));
  auto b = io::decode_npy(npy(1, dict("|b1", "(2, 2)", true), bytes({1, 0, 0, 0})));  // only (0,0) true
  EXPECT_EQ(b.to_vector<int>(), (std::vector<int>{1, 0, 0, 0}));
  auto b2 = io::decode_npy(npy(1, dict("|b1", "(2, 2)", true), bytes({0, 1, 0, 0})));  // (1,0)
  EXPECT_EQ(b2.to_vector<int>(), (std::vector<int>{0, 0, 1, 0}));
  // 1-D and empty arrays are the same in both orders.
  EXPECT_EQ(io::decode_npy(npy(1, dict("<i4", "(2,)", true), le(5, 4) + le(6, 4))).to_vector<int>(),
            (std::vector<int>{5, 6}));
  EXPECT_SHAPE(io::decode_npy(npy(1, dict("<f4", "(0, 3)", true))), {0, 3});
}

TEST(Npy, RoundTripsEveryDTypeAndShape) {
  const std::vector<lm::Tensor> cases = {
      lm::tensor(std::vector<float>{0.f, -0.f, std::numeric_limits<float>::infinity(),
                                    std::numeric_limits<float>::quiet_NaN(), 1e-45f, 6.f},
                 lm::Shape{2, 3}),
      lm::tensor(std::vector<double>{1.0 / 3.0, -1e308}, lm::Shape{2, 1}),
      lm::tensor(std::vector<int>{INT32_MIN, INT32_MAX, 0}),
      lm::tensor(std::vector<std::int64_t>{INT64_MIN, INT64_MAX}),
      lm::tensor({{true, false}, {false, true}}),
      lm::scalar(1.25),
      lm::zeros({0}, lm::Int32),
      lm::zeros({3, 0}, lm::Bool),
      lm::ones({1, 1, 1, 1, 1}, lm::Float32),
  };
  lm::iotest::TempDir dir;
  for (const auto& t : cases) {
    SCOPED_TRACE(t.spec().str());
    std::string path = dir.file("t.npy");
    io::save_npy(path, t);
    auto back = io::load_npy(path);
    EXPECT_EQ(back.dtype(), t.dtype());
    EXPECT_EQ(back.shape(), t.shape());
    EXPECT_EQ(raw(back), raw(t));
    std::string file = lm::iotest::slurp(path);
    EXPECT_EQ(file.substr(0, 8), std::string("\x93NUMPY\1\0", 8)) << "version 1.0";
    EXPECT_EQ((file.size() - raw(t).size()) % 64, 0u) << "the data starts at a multiple of 64";
  }
  EXPECT_EQ(dir.entries(), std::set<std::string>{"t.npy"});
}

TEST(Npy, MaskedTensorsSaveTheirValuesOnly) {
  auto x = lm::tensor({{1.f, 2.f}, {3.f, 4.f}}).with_mask(lm::tensor({true, false}));
  EXPECT_EQ(io::encode_npy(x), io::encode_npy(x.without_mask()));
  EXPECT_FALSE(io::decode_npy(io::encode_npy(x)).has_mask());
}

TEST(Npy, SaveAndLoadErrors) {
  lm::iotest::TempDir dir;
  EXPECT_LAMINA_ERROR(io::load_npy(dir.file("none.npy")), lm::IOError, {
    EXPECT_THAT(msg, HasSubstr("op 'load_npy'"));
    EXPECT_THAT(msg, HasSubstr(dir.file("none.npy")));
    EXPECT_THAT(msg, HasSubstr("ENOENT"));
  });
  EXPECT_LAMINA_ERROR(io::save_npy(dir.file("no/dir/x.npy"), lm::scalar(1.f)), lm::IOError,
                      { EXPECT_THAT(msg, HasSubstr("op 'save_npy'")); });
  EXPECT_LAMINA_ERROR(io::save_npy(dir.file("x.npy"), lm::placeholder({lm::Shape{lm::None}, lm::Float32})),
                      lm::ValueError, { EXPECT_THAT(msg, HasSubstr("symbolic")); });
  EXPECT_LAMINA_ERROR(io::encode_npy(lm::Tensor()), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("undefined")); });
  EXPECT_TRUE(dir.entries().empty());
  lm::iotest::spit(dir.file("bad.npy"), "PK\3\4 a zip file");
  EXPECT_LAMINA_ERROR(io::load_npy(dir.file("bad.npy")), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("invalid .npy file '" + dir.file("bad.npy") + "'"));
    EXPECT_THAT(msg, HasSubstr("magic"));
  });
}

TEST(Npy, PreambleErrors) {
  EXPECT_BAD_NPY(std::string("\x93NUMPX\1\0", 8), "does not start with the .npy magic string",
                 "found:    '\\x93NUMPX\\x01\\x00'");
  EXPECT_BAD_NPY(std::string(""), "magic");
  EXPECT_BAD_NPY(std::string("\x93NUMPY"), "ends inside the preamble", "found:    6 bytes");
  EXPECT_BAD_NPY(npy(4, dict("<f4", "()"), "abcd"), "unsupported .npy format version", "found:    4.0");
  EXPECT_BAD_NPY(npy(1, dict("<f4", "()"), "abcd", 1), "found:    1.1");
  EXPECT_BAD_NPY(npy(0, dict("<f4", "()"), "abcd"), "found:    0.0");
  EXPECT_BAD_NPY(std::string("\x93NUMPY\2\0\1\0", 10), "ends inside the preamble", "at least 12 bytes");
  EXPECT_BAD_NPY("\x93NUMPY" + bytes({1, 0}) + le(500, 2) + "{}", "the header is longer than the rest of the file",
                 "500 header bytes");
}

TEST(Npy, HeaderErrors) {
  const std::string d4(4, '\0');
  EXPECT_BAD_NPY(npy(1, "['descr']\n"), "not a dict literal NumPy writes", "'{' starting the header dict");
  EXPECT_BAD_NPY(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } junk\n", d4),
                 "only spaces and '\\n' after the header dict", "found:    'junk");
  EXPECT_BAD_NPY(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), \n", d4), "a quoted string");
  EXPECT_BAD_NPY(npy(1, "{'descr: '<f4'}"), "':' after a dict key");
  EXPECT_BAD_NPY(npy(1, "{'descr': '<\\x66'}"), "without backslash escapes");
  EXPECT_BAD_NPY(npy(1, "{'descr': '<f4', 'fortran_order': None, 'shape': (1,)}"),
                 "a string, True, False or a tuple of integers", "found:    'None");
  EXPECT_BAD_NPY(npy(1, "{'descr': '<f4', 'descr': '<f4', 'shape': (1,)}"), "key 'descr' repeats");
  EXPECT_BAD_NPY(npy(1, "{'descr': '<f4', 'shape': (1,)}", std::string(4, '\0')),
                 "does not have exactly the keys descr, fortran_order and shape", "found:    keys 'descr', 'shape'");
  EXPECT_BAD_NPY(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': True}", d4),
                 "exactly the keys");
  EXPECT_BAD_NPY(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shapes': (1,)}", d4), "has no key 'shape'");
  EXPECT_BAD_NPY(npy(1, "{'descr': '<f4', 'fortran_order': 'no', 'shape': (1,)}", std::string(4, '\0')),
                 "the header's 'fortran_order' has the wrong type", "expected: True or False");
  EXPECT_BAD_NPY(npy(1, "{'descr': (4,), 'fortran_order': False, 'shape': (1,)}", std::string(4, '\0')),
                 "'descr' has the wrong type");
}

TEST(Npy, UnsupportedDTypesAreRefusedWithAFix) {
  EXPECT_BAD_NPY(npy(1, dict("<f2", "(2,)"), std::string(4, '\0')), "dtype is float16", "astype(np.float32)");
  EXPECT_BAD_NPY(npy(1, dict("<u8", "(1,)"), std::string(8, '\0')), "uint64");
  EXPECT_BAD_NPY(npy(1, dict("<c8", "(1,)"), std::string(8, '\0')), "complex");
  EXPECT_BAD_NPY(npy(1, dict("<U3", "(1,)"), std::string(12, '\0')), "a string dtype");
  EXPECT_BAD_NPY(npy(1, dict("|O", "(1,)"), std::string(8, '\0')), "Python objects");
  EXPECT_BAD_NPY(npy(1, dict("<M8[D]", "(1,)"), std::string(8, '\0')), "datetime");
  EXPECT_BAD_NPY(npy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}", std::string(4, '\0')),
                 "structured dtype");
  EXPECT_BAD_NPY(npy(1, dict("<f3", "(1,)"), std::string(4, '\0')), "an unknown dtype", "found:    '<f3'");
  EXPECT_BAD_NPY(npy(1, dict("", "(1,)"), std::string(4, '\0')), "an unknown dtype");
}

TEST(Npy, ShapeAndSizeErrors) {
  EXPECT_BAD_NPY(npy(1, dict("<f4", "(-1,)")), "a non-negative integer dim");
  EXPECT_BAD_NPY(npy(1, dict("<f4", "(1.5,)")), "',' or ')' in the shape tuple");
  EXPECT_BAD_NPY(npy(1, dict("<f4", "(3)")), "a one-dim shape is written (n,)");
  EXPECT_BAD_NPY(npy(1, dict("<f4", "[3]")), "a string, True, False or a tuple");
  EXPECT_BAD_NPY(npy(1, dict("<f4", "(9223372036854775808,)")), "dims below 2^63");
  EXPECT_BAD_NPY(npy(1, dict("<f4", "(4294967296, 4294967296)")), "element count overflows a 64-bit integer");
  EXPECT_BAD_NPY(npy(1, dict("<f8", "(2305843009213693952,)")), "size in bytes overflows");
  EXPECT_BAD_NPY(npy(1, dict("<f4", "(2, 2)"), std::string(12, '\0')),
                 "the data is shorter than the header says (truncated file)", "expected: 16 bytes",
                 "found:    12 bytes");
  EXPECT_BAD_NPY(npy(1, dict("<f4", "(2,)"), std::string(12, '\0')), "the data is longer than the header says");
  EXPECT_BAD_NPY(npy(1, dict("|b1", "(3,)"), bytes({1, 0, 2})), "a bool array holds a byte that is not 0 or 1",
                 "found:    2 at byte 2");
  std::string dims65 = "(1";
  for (int i = 1; i < 65; ++i) dims65 += ", 1";
  EXPECT_BAD_NPY(npy(1, dict("<f4", dims65 + ")"), std::string(4, '\0')), "a shape of at most 64 dims");
  EXPECT_LAMINA_ERROR(io::encode_npy(lm::zeros(lm::Shape(std::vector<std::int64_t>(65, 1)))), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("more than 64 dims")); });
  // A zero dim makes the array empty whatever the other dims are.
  EXPECT_SHAPE(io::decode_npy(npy(1, dict("<f4", "(4294967296, 4294967296, 0)"))), {4294967296, 4294967296, 0});
}

TEST(Npy, TruncatedFilesAreRefusedAtEverySixteenth) {
  std::string good = io::encode_npy(lm::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}}));
  for (std::size_t k = 0; k < 16; ++k) {
    std::size_t len = good.size() * k / 16;
    SCOPED_TRACE(len);
    EXPECT_THROW(io::decode_npy(std::string_view(good).substr(0, len)), lm::ValueError);
  }
}
