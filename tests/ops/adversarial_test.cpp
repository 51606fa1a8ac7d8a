// Adversarial arguments for every op family: bad axes, bad sizes, bad indices, bad masks,
// overflowing shapes, zero-size and symbolic inputs. Each bad input must raise the right
// typed lamina error naming the op (never a crash, a sanitizer report, a std:: exception
// or a giant allocation); each legitimate edge case must give the values worked out by
// hand in the comments.
#include <cstdint>
#include <limits>

#include "test_util.hpp"

namespace lm = lamina;
using ::testing::HasSubstr;

namespace {

constexpr std::int64_t kMax64 = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin64 = std::numeric_limits<std::int64_t>::min();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// The message names the op ("op 'reshape'"), says what was expected and found, and hints
// at a fix.
#define EXPECT_OP_ERROR(stmt, ErrorType, op)    \
  EXPECT_LAMINA_ERROR(stmt, ErrorType, {        \
    EXPECT_THAT(msg, HasSubstr("op '" op "'")); \
    EXPECT_THAT(msg, HasSubstr("expected:"));   \
    EXPECT_THAT(msg, HasSubstr("found:"));      \
    EXPECT_THAT(msg, HasSubstr("hint:"));       \
  })

// (rows, cols) float32 with values 0, 1, 2, ... row-major.
lm::Tensor iota2(std::int64_t rows, std::int64_t cols) {
  std::vector<float> v;
  for (std::int64_t i = 0; i < rows * cols; ++i) v.push_back(static_cast<float>(i));
  return lm::tensor(v, lm::Shape{rows, cols});
}

lm::Tensor sym(const lm::Shape& s, std::int64_t mask_rank = -1, lm::DType dt = lm::Float32) {
  return lm::placeholder({s, dt, mask_rank});
}

lm::Tensor bools(const std::vector<bool>& v, const lm::Shape& s) { return lm::tensor(v, s, lm::Bool); }

}  // namespace

// ---- creation and shapes -----------------------------------------------------------------

TEST(AdversarialCreation, ElementCountOverflowingInt64IsAShapeError) {
  // 2^40 * 2^40 = 2^80 elements: not representable, must not wrap to a small allocation.
  EXPECT_OP_ERROR(lm::zeros({std::int64_t{1} << 40, std::int64_t{1} << 40}), lm::ShapeError, "zeros");
  EXPECT_OP_ERROR(lm::ones({std::int64_t{1} << 32, std::int64_t{1} << 32, 2}), lm::ShapeError, "ones");
  EXPECT_OP_ERROR(lm::full({kMax64, 2}, 1.f), lm::ShapeError, "full");
  EXPECT_LAMINA_ERROR(lm::Shape({std::int64_t{1} << 40, std::int64_t{1} << 40}).numel(), lm::ShapeError,
                      { EXPECT_THAT(msg, HasSubstr("overflow")); });
  // A zero dim makes the count 0 whatever the other dims are (as in NumPy).
  EXPECT_EQ(lm::Shape({std::int64_t{1} << 40, std::int64_t{1} << 40, 0}).numel(), 0);
  auto e = lm::zeros({std::int64_t{1} << 40, 0, std::int64_t{1} << 40});
  EXPECT_EQ(e.numel(), 0);
  EXPECT_SHAPE(e, lm::Shape({std::int64_t{1} << 40, 0, std::int64_t{1} << 40}));
}

TEST(AdversarialCreation, AllocationBeyondTheMachineIsATypedError) {
  // 2^20 * 2^20 float32 = 4 TiB: fits int64 but no machine running the tests has it.
  EXPECT_LAMINA_ERROR(lm::zeros({std::int64_t{1} << 20, std::int64_t{1} << 20}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("op 'zeros'"));
    EXPECT_THAT(msg, HasSubstr("bytes"));
  });
  // 2^61 float64 elements: the byte count (2^64) itself overflows.
  EXPECT_LAMINA_ERROR(lm::zeros({std::int64_t{1} << 61}, lm::Float64), lm::Error,
                      { EXPECT_THAT(msg, HasSubstr("op 'zeros'")); });
}

TEST(AdversarialCreation, NegativeDimensions) {
  EXPECT_OP_ERROR(lm::zeros({2, -3}), lm::ShapeError, "zeros");
  EXPECT_OP_ERROR(lm::full({-1}, 2.f), lm::ShapeError, "full");
  EXPECT_OP_ERROR(lm::tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, lm::Shape{-2, -3}), lm::ShapeError,
                  "tensor(vector, shape)");
  EXPECT_OP_ERROR(lm::tensor(std::vector<float>{}, lm::Shape{std::int64_t{1} << 40, std::int64_t{1} << 40}),
                  lm::ShapeError, "tensor(vector, shape)");
  EXPECT_OP_ERROR(lm::placeholder({lm::Shape{lm::None, -5}, lm::Float32, -1}), lm::ShapeError, "placeholder");
  EXPECT_OP_ERROR(lm::placeholder({lm::Shape{2, 3}, lm::Float32, -4}), lm::ShapeError, "placeholder");
  EXPECT_OP_ERROR(lm::placeholder({lm::Shape{2, 3}, lm::Float32, 3}), lm::ShapeError, "placeholder");
  EXPECT_OP_ERROR(lm::placeholder({lm::Shape{lm::None, std::int64_t{1} << 40, std::int64_t{1} << 40}}), lm::ShapeError,
                  "placeholder");
}

TEST(AdversarialCreation, RaggedAndMismatchedValues) {
  EXPECT_OP_ERROR(lm::tensor({{1, 2}, {3}}), lm::ValueError, "tensor");
  EXPECT_OP_ERROR(lm::tensor({{{1.f, 2.f}, {3.f, 4.f}}, {{5.f, 6.f}, {7.f}}}), lm::ValueError, "tensor");
  EXPECT_OP_ERROR(lm::tensor(std::vector<float>{1, 2, 3, 4, 5}, lm::Shape{2, 3}), lm::ValueError,
                  "tensor(vector, shape)");
  EXPECT_OP_ERROR(lm::tensor(std::vector<float>{1, 2}, lm::Shape{lm::None, 2}), lm::ShapeError,
                  "tensor(vector, shape)");
  // Legitimate: an empty vector for a zero-size shape.
  auto z = lm::tensor(std::vector<float>{}, lm::Shape{0, 3});
  EXPECT_SHAPE(z, lm::Shape({0, 3}));
  EXPECT_EQ(z.dtype(), lm::Float32);
}

TEST(AdversarialCreation, Arange) {
  EXPECT_OP_ERROR(lm::arange(0, 5, 0), lm::ValueError, "arange");
  EXPECT_OP_ERROR(lm::arange(0.0, 5.0, 0.0), lm::ValueError, "arange");
  EXPECT_OP_ERROR(lm::arange(0.0, kInf, 1.0), lm::ValueError, "arange");
  EXPECT_OP_ERROR(lm::arange(0.0, 1.0, kNaN), lm::ValueError, "arange");
  // 1e300 / 1e-300 elements cannot be counted in int64 (the count used to be an
  // undefined double -> int64 conversion).
  EXPECT_OP_ERROR(lm::arange(0.0, 1e300, 1e-300), lm::ValueError, "arange");
  EXPECT_OP_ERROR(lm::arange(0.0, 1e19, 1.0), lm::ValueError, "arange");
  // 10^18 float32 elements: the count fits but the memory does not.
  EXPECT_OP_ERROR(lm::arange(0.0, 1e18, 1.0), lm::ValueError, "arange");
  // Integer arguments give Int32, which cannot hold values up to 10^18.
  EXPECT_OP_ERROR(lm::arange(std::int64_t{0}, std::int64_t{1000000000000000000}), lm::DTypeError, "arange");
  // Values that do not fit the requested dtype: 3e9 > int32 max.
  EXPECT_OP_ERROR(lm::arange(0.0, 4e9, 1e9, lm::Int32), lm::DTypeError, "arange");
  // Legitimate edge cases: start past stop is empty; negative steps walk down.
  EXPECT_EQ(lm::arange(5, 0).numel(), 0);
  EXPECT_EQ(lm::arange(0, 5, -1).numel(), 0);
  EXPECT_VALUES(lm::arange(2, -3, -2), {2, 0, -2});
  EXPECT_VALUES(lm::arange(0.0, 1.0, 0.4), {0.0, 0.4, 0.8}, 1e-6);
}

TEST(AdversarialCreation, FullValueMustFitTheDtype) {
  EXPECT_OP_ERROR(lm::full({2}, 2.5, lm::Int32), lm::DTypeError, "full");
  EXPECT_OP_ERROR(lm::full({2}, kNaN, lm::Int64), lm::DTypeError, "full");
  EXPECT_OP_ERROR(lm::full({2}, kInf, lm::Int32), lm::DTypeError, "full");
  EXPECT_OP_ERROR(lm::full({2}, 1e10, lm::Int32), lm::DTypeError, "full");
  EXPECT_OP_ERROR(lm::full({2}, std::int64_t{1} << 40, lm::Int32), lm::DTypeError, "full");
  EXPECT_OP_ERROR(lm::full({2}, 1e300, lm::Int64), lm::DTypeError, "full");
  EXPECT_OP_ERROR(lm::scalar(0.5, lm::Int32), lm::DTypeError, "full");
  // Legitimate: whole floats into integers, anything into Bool (x != 0), ints into floats.
  EXPECT_VALUES(lm::full({2}, 7.0, lm::Int32), {7, 7});
  EXPECT_VALUES(lm::full({3}, 2, lm::Bool), {1, 1, 1});
  EXPECT_VALUES(lm::full({1}, 0.0, lm::Bool), {0});
  EXPECT_VALUES(lm::full({2}, -2147483648.0, lm::Int32), {-2147483648.0, -2147483648.0});
  EXPECT_VALUES(lm::full({1}, std::int64_t{1} << 40, lm::Int64), {1099511627776.0});
  EXPECT_VALUES(lm::full({1}, kInf, lm::Float32), {kInf});
}

TEST(AdversarialWeakScalars, IntegerScalarOutsideTheTensorsDtype) {
  // An Int32 tensor compared with 2^40: the scalar does not fit int32, so it must not
  // silently wrap (2^40 mod 2^32 = 0 would make 1 < 2^40 false).
  auto i = lm::tensor({1, 2});
  EXPECT_OP_ERROR(lm::less(i, std::int64_t{1} << 40), lm::DTypeError, "less");
  EXPECT_OP_ERROR(i + (std::int64_t{1} << 40), lm::DTypeError, "add");
  // Within range it is fine: 1 < 2^31 - 1.
  EXPECT_VALUES(lm::less(i, std::int64_t{2147483647}), {1, 1});
}

// ---- with_mask -----------------------------------------------------------------------------

TEST(AdversarialMask, WrongDtypeOrShape) {
  auto x = iota2(2, 3);
  EXPECT_OP_ERROR(x.with_mask(lm::tensor({1, 0})), lm::DTypeError, "with_mask");
  EXPECT_OP_ERROR(x.with_mask(lm::tensor({1.f, 0.f})), lm::DTypeError, "with_mask");
  EXPECT_OP_ERROR(x.with_mask(bools({true, false, true}, {3})), lm::ShapeError, "with_mask");
  EXPECT_OP_ERROR(x.with_mask(bools({true, false, true, true, true, true}, {3, 2})), lm::ShapeError, "with_mask");
  EXPECT_OP_ERROR(x.with_mask(lm::full({2, 3, 1}, true, lm::Bool)), lm::ShapeError, "with_mask");
  EXPECT_OP_ERROR(sym({lm::None, 3}).with_mask(bools({true}, {1, 1, 1})), lm::ShapeError, "with_mask");
  EXPECT_OP_ERROR(sym({lm::None, 3}).with_mask(sym({lm::None, 4}, -1, lm::Bool)), lm::ShapeError, "with_mask");
  EXPECT_OP_ERROR(sym({lm::None, 3}).with_mask(sym({lm::None}, -1, lm::Int32)), lm::DTypeError, "with_mask");
  // Legitimate: a rank-0 mask (the whole tensor valid or not) and a full-rank mask.
  auto whole = x.with_mask(lm::scalar(false));
  EXPECT_EQ(whole.mask_rank(), 0);
  EXPECT_MASK(whole, lm::Shape{}, {false});
  auto s = lm::sum(whole);  // reducing every axis leaves the rank-0 mask alone
  EXPECT_VALUES(s, {15});
  auto full = x.with_mask(bools({true, false, true, true, true, false}, {2, 3}));
  EXPECT_VALUES(lm::sum(full, 1), {2, 7});  // 0 + 2, 3 + 4
  EXPECT_MASK(lm::sum(full, 1), lm::Shape{2}, {true, true});
}

TEST(AdversarialMask, OpsOnARankZeroMask) {
  auto x = iota2(2, 3).with_mask(lm::scalar(true));
  auto t = lm::transpose(x);
  EXPECT_VALUES(t, {0, 3, 1, 4, 2, 5});
  EXPECT_EQ(t.mask_rank(), 0);
  auto r = lm::reshape(x, {3, 2});
  EXPECT_EQ(r.mask_rank(), 0);
  auto sm = lm::softmax(x, 0);  // columns [0, 3]: e^-3 / (1 + e^-3) = 0.0474259
  EXPECT_VALUES(sm, {0.0474259, 0.0474259, 0.0474259, 0.9525741, 0.9525741, 0.9525741}, 1e-6);
  auto m = lm::matmul(x, lm::ones({3, 1}));
  EXPECT_VALUES(m, {3, 12});
  EXPECT_EQ(m.mask_rank(), 0);
  auto g = lm::gather(x, lm::tensor({1, 1, 0}));
  EXPECT_VALUES(g, {3, 4, 5, 3, 4, 5, 0, 1, 2});
  auto c = lm::concat({x, x}, 0);
  EXPECT_SHAPE(c, lm::Shape({4, 3}));
  auto st = lm::stack({x, x}, 0);
  EXPECT_SHAPE(st, lm::Shape({2, 2, 3}));
  auto b = lm::boolean_mask(x, bools({false, true}, {2}));
  EXPECT_VALUES(b, {3, 4, 5});
}

// ---- reshape ---------------------------------------------------------------------------------

TEST(AdversarialReshape, BadTargets) {
  auto x = iota2(2, 3);
  EXPECT_OP_ERROR(lm::reshape(x, {-1, -1}), lm::ShapeError, "reshape");
  EXPECT_OP_ERROR(lm::reshape(x, {-2, -3}), lm::ShapeError, "reshape");
  EXPECT_OP_ERROR(lm::reshape(x, {0, -1}), lm::ShapeError, "reshape");
  EXPECT_OP_ERROR(lm::reshape(x, {4, -1}), lm::ShapeError, "reshape");
  EXPECT_OP_ERROR(lm::reshape(x, {7}), lm::ShapeError, "reshape");
  EXPECT_OP_ERROR(lm::reshape(x, {0}), lm::ShapeError, "reshape");
  EXPECT_OP_ERROR(lm::reshape(x, {kMin64}), lm::ShapeError, "reshape");
  // Products that overflow int64 must not wrap around to 6 (or 0).
  // 2^62 * 2^2 * ... : 3 * 2 * 2^63 wraps to 0; (2^32 + 1) * ... chosen so the wrap is 6.
  EXPECT_OP_ERROR(lm::reshape(x, {std::int64_t{1} << 32, std::int64_t{1} << 32, 6}), lm::ShapeError, "reshape");
  EXPECT_OP_ERROR(lm::reshape(x, {std::int64_t{1} << 32, std::int64_t{1} << 32, -1}), lm::ShapeError, "reshape");
  EXPECT_OP_ERROR(lm::reshape(lm::zeros({0}), {std::int64_t{1} << 32, std::int64_t{1} << 32, 1 << 16}), lm::ShapeError,
                  "reshape");
  // Symbolic inputs: negative sizes and overflowing products are caught too.
  EXPECT_OP_ERROR(lm::reshape(sym({lm::None, 6}), {-3, 2}), lm::ShapeError, "reshape");
  EXPECT_OP_ERROR(lm::reshape(sym({lm::None, 6}), {-1, std::int64_t{1} << 40, std::int64_t{1} << 40}), lm::ShapeError,
                  "reshape");
  // -1 next to a 0 is ambiguous (any size gives 0 elements), as in NumPy.
  EXPECT_OP_ERROR(lm::reshape(lm::zeros({0, 4}), {2, 0, -1}), lm::ShapeError, "reshape");
  // Legitimate: zero-size reshapes.
  EXPECT_SHAPE(lm::reshape(lm::zeros({0, 4}), {-1, 2}), lm::Shape({0, 2}));
  EXPECT_SHAPE(lm::reshape(lm::zeros({0, 4}), {0, 7}), lm::Shape({0, 7}));
  EXPECT_VALUES(lm::reshape(x, {3, -1}), {0, 1, 2, 3, 4, 5});
  EXPECT_SHAPE(lm::reshape(x, {3, -1}), lm::Shape({3, 2}));
}

// ---- axes: transpose / expand_dims / squeeze / flip ------------------------------------------

TEST(AdversarialAxes, Transpose) {
  auto x = iota2(2, 3);
  EXPECT_OP_ERROR(lm::transpose(x, {0}), lm::ShapeError, "transpose");
  EXPECT_OP_ERROR(lm::transpose(x, {0, 0}), lm::ShapeError, "transpose");
  EXPECT_OP_ERROR(lm::transpose(x, {1, -1}), lm::ShapeError, "transpose");  // -1 is axis 1 again
  EXPECT_OP_ERROR(lm::transpose(x, {0, 2}), lm::ShapeError, "transpose");
  EXPECT_OP_ERROR(lm::transpose(x, {-3, 0}), lm::ShapeError, "transpose");
  EXPECT_OP_ERROR(lm::transpose(x, {0, 1, 2}), lm::ShapeError, "transpose");
  EXPECT_OP_ERROR(lm::transpose(x, {kMin64, kMax64}), lm::ShapeError, "transpose");
  EXPECT_OP_ERROR(lm::transpose(sym({lm::None, 3}), {1, 1}), lm::ShapeError, "transpose");
  // Legitimate: negative axes, rank 0 and zero-size.
  auto t = lm::transpose(x, {-1, -2});
  EXPECT_SHAPE(t, lm::Shape({3, 2}));
  EXPECT_VALUES(t, {0, 3, 1, 4, 2, 5});
  EXPECT_VALUES(lm::transpose(lm::scalar(4.f)), {4});
  EXPECT_SHAPE(lm::transpose(lm::zeros({0, 3})), lm::Shape({3, 0}));
}

TEST(AdversarialAxes, ExpandDimsSqueezeFlip) {
  auto x = iota2(2, 3);
  EXPECT_OP_ERROR(lm::expand_dims(x, 3), lm::ShapeError, "expand_dims");
  EXPECT_OP_ERROR(lm::expand_dims(x, -4), lm::ShapeError, "expand_dims");
  EXPECT_OP_ERROR(lm::expand_dims(x, kMin64), lm::ShapeError, "expand_dims");
  EXPECT_OP_ERROR(lm::expand_dims(sym({lm::None}), 2), lm::ShapeError, "expand_dims");
  EXPECT_SHAPE(lm::expand_dims(x, 2), lm::Shape({2, 3, 1}));
  EXPECT_SHAPE(lm::expand_dims(x, -3), lm::Shape({1, 2, 3}));
  EXPECT_SHAPE(lm::expand_dims(lm::scalar(1.f), -1), lm::Shape({1}));

  auto y = lm::zeros({1, 3, 1});
  EXPECT_OP_ERROR(lm::squeeze(y, {1}), lm::ShapeError, "squeeze");
  EXPECT_OP_ERROR(lm::squeeze(y, {0, -3}), lm::ShapeError, "squeeze");
  EXPECT_OP_ERROR(lm::squeeze(y, {3}), lm::ShapeError, "squeeze");
  EXPECT_OP_ERROR(lm::squeeze(y, {-4}), lm::ShapeError, "squeeze");
  EXPECT_OP_ERROR(lm::squeeze(lm::scalar(1.f), {0}), lm::ShapeError, "squeeze");
  EXPECT_OP_ERROR(lm::squeeze(sym({lm::None, 3}), {1}), lm::ShapeError, "squeeze");
  EXPECT_SHAPE(lm::squeeze(y, {-1}), lm::Shape({1, 3}));
  EXPECT_SHAPE(lm::squeeze(y), lm::Shape({3}));
  EXPECT_SHAPE(lm::squeeze(lm::zeros({0, 1})), lm::Shape({0}));
  // A None axis may be squeezed when built; at run time a size other than 1 is an error.
  auto s = lm::squeeze(sym({lm::None, 3}), {0});
  EXPECT_SHAPE(s, lm::Shape({3}));

  EXPECT_OP_ERROR(lm::flip(x, {2}), lm::ShapeError, "flip");
  EXPECT_OP_ERROR(lm::flip(x, {-3}), lm::ShapeError, "flip");
  EXPECT_OP_ERROR(lm::flip(x, {1, -1}), lm::ShapeError, "flip");
  EXPECT_OP_ERROR(lm::flip(lm::scalar(2.f), {0}), lm::ShapeError, "flip");
  EXPECT_OP_ERROR(lm::flip(sym({lm::None, 3}), {0, 0}), lm::ShapeError, "flip");
  EXPECT_VALUES(lm::flip(x, {-1}), {2, 1, 0, 5, 4, 3});
  EXPECT_VALUES(lm::flip(x, {}), {5, 4, 3, 2, 1, 0});
  EXPECT_SHAPE(lm::flip(lm::zeros({0, 2}), {0, 1}), lm::Shape({0, 2}));
  EXPECT_VALUES(lm::flip(lm::scalar(2.f), {}), {2});
}

// ---- concat / stack / split ------------------------------------------------------------------

TEST(AdversarialJoin, ConcatAndStack) {
  auto a = iota2(2, 3), b = iota2(2, 2);
  EXPECT_OP_ERROR(lm::concat({}, 0), lm::ValueError, "concat");
  EXPECT_OP_ERROR(lm::concat({a, b}, 0), lm::ShapeError, "concat");
  EXPECT_OP_ERROR(lm::concat({a, a}, 2), lm::ShapeError, "concat");
  EXPECT_OP_ERROR(lm::concat({a, a}, -3), lm::ShapeError, "concat");
  EXPECT_OP_ERROR(lm::concat({a, lm::zeros({2, 3, 1})}, 0), lm::ShapeError, "concat");
  EXPECT_OP_ERROR(lm::concat({lm::scalar(1.f), lm::scalar(2.f)}, 0), lm::ShapeError, "concat");
  EXPECT_OP_ERROR(lm::concat({a, lm::Tensor()}, 0), lm::ValueError, "concat");
  EXPECT_OP_ERROR(lm::concat({sym({lm::None, 3}), sym({lm::None, 4})}, 0), lm::ShapeError, "concat");
  EXPECT_OP_ERROR(lm::concat({sym({lm::None, 3}), a}, 5), lm::ShapeError, "concat");
  // Legitimate: zero-size parts and negative axes.
  auto c = lm::concat({lm::zeros({0, 3}), a, lm::zeros({0, 3})}, 0);
  EXPECT_VALUES(c, {0, 1, 2, 3, 4, 5});
  auto d = lm::concat({a, b}, -1);
  EXPECT_SHAPE(d, lm::Shape({2, 5}));
  EXPECT_VALUES(d, {0, 1, 2, 0, 1, 3, 4, 5, 2, 3});
  EXPECT_SHAPE(lm::concat({lm::zeros({0, 3}), lm::zeros({0, 3})}, 1), lm::Shape({0, 6}));

  EXPECT_OP_ERROR(lm::stack({}, 0), lm::ValueError, "stack");
  EXPECT_OP_ERROR(lm::stack({a, b}, 0), lm::ShapeError, "stack");
  EXPECT_OP_ERROR(lm::stack({a, a}, 3), lm::ShapeError, "stack");
  EXPECT_OP_ERROR(lm::stack({a, a}, -4), lm::ShapeError, "stack");
  EXPECT_OP_ERROR(lm::stack({a, lm::Tensor()}, 0), lm::ValueError, "stack");
  EXPECT_OP_ERROR(lm::stack({sym({lm::None, 3}), sym({2, 4})}, 0), lm::ShapeError, "stack");
  auto s = lm::stack({lm::tensor({1.f, 2.f}), lm::tensor({3.f, 4.f})}, -1);
  EXPECT_SHAPE(s, lm::Shape({2, 2}));
  EXPECT_VALUES(s, {1, 3, 2, 4});
  EXPECT_SHAPE(lm::stack({lm::scalar(1.f), lm::scalar(2.f)}, 0), lm::Shape({2}));
  EXPECT_SHAPE(lm::stack({lm::zeros({0}), lm::zeros({0})}, 1), lm::Shape({0, 2}));
}

TEST(AdversarialJoin, Split) {
  auto x = iota2(4, 3);
  EXPECT_OP_ERROR(lm::split(x, 0, 0), lm::ValueError, "split");
  EXPECT_OP_ERROR(lm::split(x, -2, 0), lm::ValueError, "split");
  EXPECT_OP_ERROR(lm::split(x, 3, 0), lm::ShapeError, "split");
  EXPECT_OP_ERROR(lm::split(x, 2, 2), lm::ShapeError, "split");
  EXPECT_OP_ERROR(lm::split(x, 2, -3), lm::ShapeError, "split");
  EXPECT_OP_ERROR(lm::split(lm::scalar(1.f), 1, 0), lm::ShapeError, "split");
  EXPECT_OP_ERROR(lm::split(x, std::vector<std::int64_t>{}, 0), lm::ValueError, "split");
  EXPECT_OP_ERROR(lm::split(x, std::vector<std::int64_t>{5, -1}, 0), lm::ValueError, "split");
  EXPECT_OP_ERROR(lm::split(x, std::vector<std::int64_t>{1, 2}, 0), lm::ShapeError, "split");
  // Sizes whose sum overflows int64 (and would wrap around to 4) are an error, not UB.
  EXPECT_OP_ERROR(lm::split(x, std::vector<std::int64_t>{kMax64, kMax64, 6}, 0), lm::ShapeError, "split");
  EXPECT_OP_ERROR(lm::split(sym({lm::None, 3}), 2, 1), lm::ShapeError, "split");
  EXPECT_OP_ERROR(lm::split(sym({lm::None, 3}), std::vector<std::int64_t>{1, 1}, 1), lm::ShapeError, "split");
  // Legitimate: zero-size parts and more sections than elements of an empty axis.
  auto parts = lm::split(x, std::vector<std::int64_t>{0, 3, 0, 1}, 0);
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_SHAPE(parts[0], lm::Shape({0, 3}));
  EXPECT_VALUES(parts[1], {0, 1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_VALUES(parts[3], {9, 10, 11});
  auto empties = lm::split(lm::zeros({0, 2}), 3, 0);
  ASSERT_EQ(empties.size(), 3u);
  for (const auto& e : empties) EXPECT_SHAPE(e, lm::Shape({0, 2}));
  auto cols = lm::split(x, 3, -1);
  EXPECT_VALUES(cols[2], {2, 5, 8, 11});
}

// ---- slice / pad / tile / broadcast_to -------------------------------------------------------

TEST(AdversarialSlice, StepsAndBounds) {
  auto v = lm::tensor({0.f, 1.f, 2.f, 3.f, 4.f});
  EXPECT_OP_ERROR(lm::slice(v, {{0, 5, 0}}), lm::ValueError, "slice");
  EXPECT_OP_ERROR(lm::slice(v, {{}, {}}), lm::ShapeError, "slice");
  EXPECT_OP_ERROR(lm::slice(v, 1, {0, 1, 1}), lm::ShapeError, "slice");
  EXPECT_OP_ERROR(lm::slice(v, -2, {0, 1, 1}), lm::ShapeError, "slice");
  EXPECT_OP_ERROR(lm::slice(lm::scalar(1.f), {{0, 1, 1}}), lm::ShapeError, "slice");
  EXPECT_OP_ERROR(lm::slice(sym({lm::None, 3}), 1, {0, 2, 0}), lm::ValueError, "slice");
  // Python semantics for everything else.
  EXPECT_VALUES(lm::slice(v, {{4, 1, -1}}), {4, 3, 2});          // v[4:1:-1]
  EXPECT_VALUES(lm::slice(v, {{{}, {}, -2}}), {4, 2, 0});        // v[::-2]
  EXPECT_VALUES(lm::slice(v, {{-1, -6, -1}}), {4, 3, 2, 1, 0});  // v[-1:-6:-1]
  EXPECT_VALUES(lm::slice(v, {{-100, 100, 2}}), {0, 2, 4});      // clamped: v[-100:100:2]
  EXPECT_VALUES(lm::slice(v, {{100, -100, -3}}), {4, 1});        // v[100:-100:-3]
  EXPECT_SHAPE(lm::slice(v, {{3, 1, 1}}), lm::Shape{0});         // start > stop: empty
  EXPECT_SHAPE(lm::slice(v, {{1, 3, -1}}), lm::Shape{0});        // backwards from 1 to 3: empty
  EXPECT_SHAPE(lm::slice(v, {{7, 9, 1}}), lm::Shape{0});         // entirely past the end
  EXPECT_VALUES(lm::slice(v, {{kMin64, kMax64, 1}}), {0, 1, 2, 3, 4});
  EXPECT_VALUES(lm::slice(v, {{kMax64, kMin64, -1}}), {4, 3, 2, 1, 0});
  // Huge steps pick one element (the element stride times the step must not overflow).
  auto m = iota2(3, 4);
  auto a = lm::slice(m, {{0, {}, kMax64}});
  EXPECT_SHAPE(a, lm::Shape({1, 4}));
  EXPECT_VALUES(a, {0, 1, 2, 3});
  auto b = lm::slice(m, {{{}, {}, kMin64}});
  EXPECT_SHAPE(b, lm::Shape({1, 4}));
  EXPECT_VALUES(b, {8, 9, 10, 11});
  auto c = lm::slice(m, {{1, 3, 1}, {3, 0, kMin64}});
  EXPECT_VALUES(c, {7, 11});
  // Zero-size input.
  EXPECT_SHAPE(lm::slice(lm::zeros({0, 3}), {{{}, {}, -1}, {1, 3, 1}}), lm::Shape({0, 2}));
}

TEST(AdversarialPad, WidthsAndValues) {
  auto x = lm::tensor({1.f, 2.f});
  EXPECT_OP_ERROR(lm::pad(x, {{-1, 0}}), lm::ValueError, "pad");
  EXPECT_OP_ERROR(lm::pad(x, {{0, -5}}), lm::ValueError, "pad");
  EXPECT_OP_ERROR(lm::pad(x, {{0, 0}, {0, 0}}), lm::ShapeError, "pad");
  EXPECT_OP_ERROR(lm::pad(x, {}), lm::ShapeError, "pad");
  EXPECT_OP_ERROR(lm::pad(lm::tensor({1, 2}), {{1, 1}}, 0.5), lm::DTypeError, "pad");
  EXPECT_OP_ERROR(lm::pad(lm::tensor({1, 2}), {{1, 1}}, 1e12), lm::DTypeError, "pad");
  // Widths whose sum overflows int64 (UB before) are a ShapeError.
  EXPECT_OP_ERROR(lm::pad(x, {{kMax64, 1}}), lm::ShapeError, "pad");
  EXPECT_OP_ERROR(lm::pad(sym({lm::None, 2}), {{0, 0}, {kMax64, kMax64}}), lm::ShapeError, "pad");
  // Widths that fit int64 but not memory.
  EXPECT_OP_ERROR(lm::pad(x, {{std::int64_t{1} << 50, 0}}), lm::ValueError, "pad");
  // Legitimate: padding a zero-size tensor, and padding with zero widths.
  EXPECT_VALUES(lm::pad(lm::zeros({0}), {{1, 2}}, 7.f), {7, 7, 7});
  EXPECT_VALUES(lm::pad(x, {{0, 0}}), {1, 2});
  EXPECT_VALUES(lm::pad(lm::tensor({1, 2}), {{1, 0}}, 9.0), {9, 1, 2});
}

TEST(AdversarialTile, Reps) {
  auto x = lm::tensor({1.f, 2.f});
  EXPECT_OP_ERROR(lm::tile(x, {0}), lm::ValueError, "tile");
  EXPECT_OP_ERROR(lm::tile(x, {-1}), lm::ValueError, "tile");
  EXPECT_OP_ERROR(lm::tile(x, {2, 0}), lm::ValueError, "tile");
  // The tiled size overflows int64.
  EXPECT_OP_ERROR(lm::tile(x, {kMax64}), lm::ShapeError, "tile");
  EXPECT_OP_ERROR(lm::tile(x, {std::int64_t{1} << 40, std::int64_t{1} << 40}), lm::ShapeError, "tile");
  EXPECT_OP_ERROR(lm::tile(sym({lm::None, 2}), {1, kMax64}), lm::ShapeError, "tile");
  // Fits int64, not memory.
  EXPECT_OP_ERROR(lm::tile(x, {std::int64_t{1} << 50}), lm::ValueError, "tile");
  // Legitimate.
  EXPECT_VALUES(lm::tile(x, {2}), {1, 2, 1, 2});
  EXPECT_VALUES(lm::tile(x, {}), {1, 2});
  auto t = lm::tile(x, {2, 1});
  EXPECT_SHAPE(t, lm::Shape({2, 2}));
  EXPECT_VALUES(t, {1, 2, 1, 2});
  EXPECT_SHAPE(lm::tile(lm::zeros({0, 2}), {3, 2}), lm::Shape({0, 4}));
  EXPECT_VALUES(lm::tile(lm::scalar(5.f), {3}), {5, 5, 5});
}

TEST(AdversarialBroadcastTo, Shapes) {
  auto x = lm::tensor({1.f, 2.f, 3.f});
  EXPECT_OP_ERROR(lm::broadcast_to(x, {2, 4}), lm::ShapeError, "broadcast_to");
  EXPECT_OP_ERROR(lm::broadcast_to(x, {}), lm::ShapeError, "broadcast_to");
  EXPECT_OP_ERROR(lm::broadcast_to(x, {-1, 3}), lm::ShapeError, "broadcast_to");
  EXPECT_OP_ERROR(lm::broadcast_to(x, {-5, 3}), lm::ShapeError, "broadcast_to");
  EXPECT_OP_ERROR(lm::broadcast_to(x, {0, -7}), lm::ShapeError, "broadcast_to");
  EXPECT_OP_ERROR(lm::broadcast_to(iota2(2, 3), {3, 3}), lm::ShapeError, "broadcast_to");
  EXPECT_OP_ERROR(lm::broadcast_to(x, {std::int64_t{1} << 40, std::int64_t{1} << 40, 3}), lm::ShapeError,
                  "broadcast_to");
  EXPECT_OP_ERROR(lm::broadcast_to(x, {std::int64_t{1} << 50, 3}), lm::ValueError, "broadcast_to");
  EXPECT_OP_ERROR(lm::broadcast_to(sym({lm::None, 3}), {2, 4}), lm::ShapeError, "broadcast_to");
  // Legitimate: a None target keeps the input's dim; zero-size targets.
  auto y = lm::broadcast_to(x, {2, -1});
  EXPECT_SHAPE(y, lm::Shape({2, 3}));
  EXPECT_VALUES(y, {1, 2, 3, 1, 2, 3});
  EXPECT_SHAPE(lm::broadcast_to(x, {0, 3}), lm::Shape({0, 3}));
  EXPECT_SHAPE(lm::broadcast_to(lm::zeros({1, 0}), {4, 0}), lm::Shape({4, 0}));
  EXPECT_OP_ERROR(lm::broadcast_to(lm::zeros({0}), {3}), lm::ShapeError, "broadcast_to");
}

// ---- reductions and softmax ------------------------------------------------------------------

TEST(AdversarialReduce, Axes) {
  auto x = iota2(2, 3);
  EXPECT_OP_ERROR(lm::sum(x, 2), lm::ShapeError, "sum");
  EXPECT_OP_ERROR(lm::sum(x, -3), lm::ShapeError, "sum");
  EXPECT_OP_ERROR(lm::sum(x, lm::Axes{0, 0}), lm::ShapeError, "sum");
  EXPECT_OP_ERROR(lm::mean(x, lm::Axes{1, -1}), lm::ShapeError, "mean");
  EXPECT_OP_ERROR(lm::max(x, kMin64), lm::ShapeError, "max");
  EXPECT_OP_ERROR(lm::min(x, kMax64), lm::ShapeError, "min");
  EXPECT_OP_ERROR(lm::prod(x, lm::Axes{0, -2}), lm::ShapeError, "prod");
  EXPECT_OP_ERROR(lm::logsumexp(x, 5), lm::ShapeError, "logsumexp");
  EXPECT_OP_ERROR(lm::any(lm::cast(x, lm::Bool), 2), lm::ShapeError, "any");
  EXPECT_OP_ERROR(lm::all(lm::cast(x, lm::Bool), -3), lm::ShapeError, "all");
  EXPECT_OP_ERROR(lm::argmax(x, 2), lm::ShapeError, "argmax");
  EXPECT_OP_ERROR(lm::argmin(x, -3), lm::ShapeError, "argmin");
  EXPECT_OP_ERROR(lm::sum(lm::scalar(1.f), 0), lm::ShapeError, "sum");
  EXPECT_OP_ERROR(lm::argmax(lm::scalar(1.f)), lm::ShapeError, "argmax");
  EXPECT_OP_ERROR(lm::sum(sym({lm::None, 3}), 2), lm::ShapeError, "sum");
  EXPECT_OP_ERROR(lm::mean(sym({lm::None, 3}), lm::Axes{0, -2}), lm::ShapeError, "mean");
  EXPECT_OP_ERROR(lm::argmax(sym({lm::None, 3}), 2), lm::ShapeError, "argmax");
  // Legitimate: negative axes.
  EXPECT_VALUES(lm::sum(x, lm::Axes{-1, 0}), {15});
  EXPECT_VALUES(lm::argmax(x, -2), {1, 1, 1});
}

TEST(AdversarialReduce, ZeroSize) {
  auto e = lm::zeros({0, 3});
  EXPECT_VALUES(lm::sum(e, 0), {0, 0, 0});
  EXPECT_VALUES(lm::prod(e, 0), {1, 1, 1});
  EXPECT_VALUES(lm::mean(e, 0), {0, 0, 0});
  EXPECT_VALUES(lm::any(lm::cast(e, lm::Bool), 0), {0, 0, 0});
  EXPECT_VALUES(lm::all(lm::cast(e, lm::Bool), 0), {1, 1, 1});
  EXPECT_VALUES(lm::logsumexp(e, 0), {-kInf, -kInf, -kInf});
  EXPECT_SHAPE(lm::sum(e, 1), lm::Shape{0});
  EXPECT_SHAPE(lm::max(e, 1), lm::Shape{0});  // reducing the non-empty axis of nothing
  EXPECT_SHAPE(lm::argmax(e, 1), lm::Shape{0});
  EXPECT_OP_ERROR(lm::max(e, 0), lm::ValueError, "max");
  EXPECT_OP_ERROR(lm::min(e), lm::ValueError, "min");
  EXPECT_OP_ERROR(lm::argmax(e, 0), lm::ValueError, "argmax");
  EXPECT_OP_ERROR(lm::argmin(e, -2), lm::ValueError, "argmin");
  EXPECT_OP_ERROR(lm::max(sym({lm::None, 0}), 1), lm::ValueError, "max");
}

TEST(AdversarialSoftmax, AxesAndZeroSize) {
  auto x = iota2(2, 3);
  EXPECT_OP_ERROR(lm::softmax(x, 2), lm::ShapeError, "softmax");
  EXPECT_OP_ERROR(lm::softmax(x, -3), lm::ShapeError, "softmax");
  EXPECT_OP_ERROR(lm::log_softmax(x, kMin64), lm::ShapeError, "log_softmax");
  EXPECT_OP_ERROR(lm::softmax(lm::scalar(1.f)), lm::ShapeError, "softmax");
  EXPECT_OP_ERROR(lm::softmax(sym({lm::None, 3}), 2), lm::ShapeError, "softmax");
  EXPECT_OP_ERROR(lm::softmax(lm::Tensor()), lm::ValueError, "softmax");
  EXPECT_SHAPE(lm::softmax(lm::zeros({0, 3})), lm::Shape({0, 3}));
  EXPECT_SHAPE(lm::softmax(lm::zeros({2, 0})), lm::Shape({2, 0}));
  EXPECT_SHAPE(lm::log_softmax(lm::zeros({2, 0}), 0), lm::Shape({2, 0}));
  // A size-1 axis: probability 1, log-probability 0.
  EXPECT_VALUES(lm::softmax(lm::tensor({{3.f}, {-2.f}})), {1, 1});
  EXPECT_VALUES(lm::log_softmax(lm::tensor({{3.f}, {-2.f}})), {0, 0});
}

// ---- indexing --------------------------------------------------------------------------------

TEST(AdversarialIndex, Gather) {
  auto p = iota2(4, 3);
  EXPECT_OP_ERROR(lm::gather(p, lm::tensor({0, 4})), lm::ValueError, "gather");
  EXPECT_OP_ERROR(lm::gather(p, lm::tensor({-1})), lm::ValueError, "gather");
  EXPECT_OP_ERROR(lm::gather(p, lm::tensor({kMin64})), lm::ValueError, "gather");
  EXPECT_OP_ERROR(lm::gather(p, lm::tensor({3}), 1), lm::ValueError, "gather");
  EXPECT_OP_ERROR(lm::gather(p, lm::tensor({0.f, 1.f})), lm::DTypeError, "gather");
  EXPECT_OP_ERROR(lm::gather(p, lm::tensor({true})), lm::DTypeError, "gather");
  EXPECT_OP_ERROR(lm::gather(p, lm::tensor({0}), 2), lm::ShapeError, "gather");
  EXPECT_OP_ERROR(lm::gather(p, lm::tensor({0}), -3), lm::ShapeError, "gather");
  EXPECT_OP_ERROR(lm::gather(lm::scalar(1.f), lm::tensor({0})), lm::ShapeError, "gather");
  EXPECT_OP_ERROR(lm::gather(lm::zeros({0, 3}), lm::tensor({0})), lm::ValueError, "gather");
  EXPECT_OP_ERROR(lm::gather(p, lm::Tensor()), lm::ValueError, "gather");
  EXPECT_OP_ERROR(lm::gather(sym({lm::None, 3}), sym({lm::None}, -1, lm::Float32)), lm::DTypeError, "gather");
  EXPECT_OP_ERROR(lm::gather(sym({lm::None, 3}), lm::tensor({0}), 2), lm::ShapeError, "gather");
  // Known params axis and concrete indices: range-checked even on the symbolic path? No --
  // only once values flow; a symbolic params with a known axis still gets a symbolic result.
  // Legitimate: empty indices (also from a zero-size params axis) and 0-d indices.
  auto e = lm::gather(lm::zeros({0, 3}), lm::tensor(std::vector<int>{}, lm::Shape{0}));
  EXPECT_SHAPE(e, lm::Shape({0, 3}));
  auto f = lm::gather(p, lm::tensor(std::vector<int>{}, lm::Shape{2, 0}), 1);
  EXPECT_SHAPE(f, lm::Shape({4, 2, 0}));
  EXPECT_VALUES(lm::gather(p, lm::scalar(2), -1), {2, 5, 8, 11});
}

TEST(AdversarialIndex, GatherNd) {
  auto p = iota2(4, 3);
  EXPECT_OP_ERROR(lm::gather_nd(p, lm::tensor({{0, 3}})), lm::ValueError, "gather_nd");
  EXPECT_OP_ERROR(lm::gather_nd(p, lm::tensor({{4, 0}})), lm::ValueError, "gather_nd");
  EXPECT_OP_ERROR(lm::gather_nd(p, lm::tensor({{-1, 0}})), lm::ValueError, "gather_nd");
  EXPECT_OP_ERROR(lm::gather_nd(p, lm::tensor({{0.f, 0.f}})), lm::DTypeError, "gather_nd");
  EXPECT_OP_ERROR(lm::gather_nd(p, lm::tensor({{0, 0, 0}})), lm::ShapeError, "gather_nd");
  EXPECT_OP_ERROR(lm::gather_nd(p, lm::scalar(0)), lm::ShapeError, "gather_nd");
  EXPECT_OP_ERROR(lm::gather_nd(lm::scalar(1.f), lm::tensor({0})), lm::ShapeError, "gather_nd");
  EXPECT_OP_ERROR(lm::gather_nd(p, sym({2, lm::None}, -1, lm::Int32)), lm::ShapeError, "gather_nd");
  EXPECT_OP_ERROR(lm::gather_nd(lm::zeros({0, 3}), lm::tensor({{0}})), lm::ValueError, "gather_nd");
  // Legitimate: K = 0 takes all of params per row; K = rank picks entries; empty indices.
  auto all = lm::gather_nd(lm::tensor({1.f, 2.f}), lm::tensor(std::vector<int>{}, lm::Shape{2, 0}));
  EXPECT_SHAPE(all, lm::Shape({2, 2}));
  EXPECT_VALUES(all, {1, 2, 1, 2});
  EXPECT_VALUES(lm::gather_nd(p, lm::tensor({{3, 2}, {0, 1}})), {11, 1});
  EXPECT_VALUES(lm::gather_nd(p, lm::tensor({{2}})), {6, 7, 8});
  EXPECT_SHAPE(lm::gather_nd(p, lm::tensor(std::vector<int>{}, lm::Shape{0, 2})), lm::Shape{0});
  EXPECT_SHAPE(lm::gather_nd(lm::zeros({0, 3}), lm::tensor(std::vector<int>{}, lm::Shape{0, 1})), lm::Shape({0, 3}));
  EXPECT_VALUES(lm::gather_nd(lm::scalar(7.f), lm::tensor(std::vector<int>{}, lm::Shape{0})), {7});
}

TEST(AdversarialIndex, BooleanMask) {
  auto x = iota2(2, 3);
  EXPECT_OP_ERROR(lm::boolean_mask(x, bools({true, false, true}, {3})), lm::ShapeError, "boolean_mask");
  EXPECT_OP_ERROR(lm::boolean_mask(x, lm::scalar(true)), lm::ShapeError, "boolean_mask");
  EXPECT_OP_ERROR(lm::boolean_mask(x, lm::full({2, 3, 1}, true, lm::Bool)), lm::ShapeError, "boolean_mask");
  EXPECT_OP_ERROR(lm::boolean_mask(x, lm::full({3, 2}, true, lm::Bool)), lm::ShapeError, "boolean_mask");
  EXPECT_OP_ERROR(lm::boolean_mask(x, lm::tensor({1, 0})), lm::DTypeError, "boolean_mask");
  EXPECT_OP_ERROR(lm::boolean_mask(lm::scalar(1.f), lm::scalar(true)), lm::ShapeError, "boolean_mask");
  EXPECT_OP_ERROR(lm::boolean_mask(sym({lm::None, 3}), sym({lm::None, 4}, -1, lm::Bool)), lm::ShapeError,
                  "boolean_mask");
  // Legitimate: nothing picked, everything picked, zero-size input.
  EXPECT_SHAPE(lm::boolean_mask(x, bools({false, false}, {2})), lm::Shape({0, 3}));
  EXPECT_VALUES(lm::boolean_mask(x, lm::full({2, 3}, true, lm::Bool)), {0, 1, 2, 3, 4, 5});
  EXPECT_SHAPE(lm::boolean_mask(lm::zeros({0, 3}), lm::zeros({0}, lm::Bool)), lm::Shape({0, 3}));
}

TEST(AdversarialIndex, WhereAndOneHot) {
  auto c = bools({true, false, true}, {3});
  EXPECT_OP_ERROR(lm::where(c, lm::zeros({2}), lm::zeros({3})), lm::ShapeError, "where");
  EXPECT_OP_ERROR(lm::where(bools({true, false}, {2}), lm::zeros({3}), lm::zeros({3})), lm::ShapeError, "where");
  EXPECT_OP_ERROR(lm::where(lm::tensor({1, 0, 1}), lm::zeros({3}), lm::zeros({3})), lm::DTypeError, "where");
  EXPECT_OP_ERROR(lm::where(lm::tensor({1, 0, 1}), lm::zeros({3}), 1.f), lm::DTypeError, "where");
  EXPECT_OP_ERROR(lm::where(c, 1.f, lm::zeros({4})), lm::ShapeError, "where");
  EXPECT_OP_ERROR(lm::where(c, lm::Tensor(), 1.f), lm::ValueError, "where");
  EXPECT_OP_ERROR(lm::where(c, lm::zeros({3}), lm::Tensor()), lm::ValueError, "where");
  EXPECT_OP_ERROR(lm::where(sym({lm::None, 3}, -1, lm::Bool), lm::zeros({4}), 0.f), lm::ShapeError, "where");
  // Legitimate: broadcasting against zero-size.
  EXPECT_SHAPE(lm::where(lm::zeros({0, 1}, lm::Bool), lm::zeros({3}), 1.f), lm::Shape({0, 3}));
  EXPECT_VALUES(lm::where(c, lm::tensor({1.f, 2.f, 3.f}), -1.f), {1, -1, 3});

  auto ids = lm::tensor({0, 2, -1, 3});
  EXPECT_OP_ERROR(lm::one_hot(ids, -1), lm::ValueError, "one_hot");
  EXPECT_OP_ERROR(lm::one_hot(ids, kMin64), lm::ValueError, "one_hot");
  EXPECT_OP_ERROR(lm::one_hot(lm::tensor({0.f, 1.f}), 3), lm::DTypeError, "one_hot");
  EXPECT_OP_ERROR(lm::one_hot(lm::tensor({true}), 3), lm::DTypeError, "one_hot");
  EXPECT_OP_ERROR(lm::one_hot(sym({lm::None}, -1, lm::Int32), -2), lm::ValueError, "one_hot");
  // A depth whose output overflows int64, and one that fits int64 but not memory.
  EXPECT_OP_ERROR(lm::one_hot(ids, kMax64), lm::ShapeError, "one_hot");
  EXPECT_OP_ERROR(lm::one_hot(ids, std::int64_t{1} << 50), lm::ValueError, "one_hot");
  // Out-of-range ids (negative too) give all-zero rows, as documented.
  auto oh = lm::one_hot(ids, 3);
  EXPECT_SHAPE(oh, lm::Shape({4, 3}));
  EXPECT_VALUES(oh, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0});
  EXPECT_SHAPE(lm::one_hot(ids, 0), lm::Shape({4, 0}));
  EXPECT_SHAPE(lm::one_hot(lm::tensor(std::vector<int>{}, lm::Shape{0}), 5), lm::Shape({0, 5}));
  EXPECT_VALUES(lm::one_hot(lm::scalar(1), 2, lm::Int32), {0, 1});
}

// ---- matrix products -------------------------------------------------------------------------

TEST(AdversarialLinalg, MatmulAndDot) {
  auto a = iota2(2, 3), b = iota2(3, 2);
  EXPECT_OP_ERROR(lm::matmul(lm::scalar(2.f), b), lm::ShapeError, "matmul");
  EXPECT_OP_ERROR(lm::matmul(a, lm::scalar(2.f)), lm::ShapeError, "matmul");
  EXPECT_OP_ERROR(lm::matmul(a, a), lm::ShapeError, "matmul");
  EXPECT_OP_ERROR(lm::matmul(lm::tensor({1.f, 2.f, 3.f}), a), lm::ShapeError, "matmul");
  EXPECT_OP_ERROR(lm::matmul(a, lm::tensor({1.f, 2.f})), lm::ShapeError, "matmul");
  EXPECT_OP_ERROR(lm::matmul(lm::tensor({1.f, 2.f}), lm::tensor({1.f, 2.f, 3.f})), lm::ShapeError, "matmul");
  EXPECT_OP_ERROR(lm::matmul(lm::zeros({2, 2, 3}), lm::zeros({3, 3, 2})), lm::ShapeError, "matmul");
  EXPECT_OP_ERROR(lm::matmul(lm::full({2, 3}, true, lm::Bool), b), lm::DTypeError, "matmul");
  EXPECT_OP_ERROR(lm::matmul(sym({lm::None, 3}), sym({4, 2})), lm::ShapeError, "matmul");
  EXPECT_OP_ERROR(lm::matmul(a, lm::Tensor()), lm::ValueError, "matmul");
  // Legitimate: vector @ vector is a 0-d dot; K = 0 gives zeros; M = 0 gives nothing.
  auto v = lm::matmul(lm::tensor({1.f, 2.f, 3.f}), lm::tensor({4.f, 5.f, 6.f}));
  EXPECT_SHAPE(v, lm::Shape{});
  EXPECT_VALUES(v, {32});  // 4 + 10 + 18
  EXPECT_VALUES(lm::matmul(lm::tensor({1.f, 1.f}), a), {3, 5, 7});
  EXPECT_VALUES(lm::matmul(a, lm::tensor({1.f, 0.f, -1.f})), {-2, -2});
  auto k0 = lm::matmul(lm::zeros({2, 0}), lm::zeros({0, 3}));
  EXPECT_SHAPE(k0, lm::Shape({2, 3}));
  EXPECT_VALUES(k0, {0, 0, 0, 0, 0, 0});
  EXPECT_SHAPE(lm::matmul(lm::zeros({0, 3}), b), lm::Shape({0, 2}));
  EXPECT_SHAPE(lm::matmul(lm::zeros({0, 2, 3}), b), lm::Shape({0, 2, 2}));
  EXPECT_SHAPE(lm::matmul(lm::zeros({3, 0}), lm::zeros({0})), lm::Shape{3});

  EXPECT_OP_ERROR(lm::dot(lm::scalar(2.f), b), lm::ShapeError, "dot");
  EXPECT_OP_ERROR(lm::dot(a, lm::scalar(2.f)), lm::ShapeError, "dot");
  EXPECT_OP_ERROR(lm::dot(a, a), lm::ShapeError, "dot");
  EXPECT_OP_ERROR(lm::dot(a, lm::zeros({2, 2, 2})), lm::ShapeError, "dot");
  EXPECT_OP_ERROR(lm::dot(a, lm::full({3}, true, lm::Bool)), lm::DTypeError, "dot");
  EXPECT_OP_ERROR(lm::dot(sym({lm::None, 4}), sym({3, 2})), lm::ShapeError, "dot");
  EXPECT_VALUES(lm::dot(a, lm::tensor({1.f, 1.f, 1.f})), {3, 12});
  auto d3 = lm::dot(lm::tensor({1.f, 2.f}), lm::reshape(lm::arange(0.f, 8.f), {2, 2, 2}));
  // b (J=2, P=2, U=2) contracted on P: out (J, U) = [1*b[j,0,u] + 2*b[j,1,u]].
  // j=0: [0 + 4, 1 + 6] = [4, 7]; j=1: [4 + 12, 5 + 14] = [16, 19].
  EXPECT_SHAPE(d3, lm::Shape({2, 2}));
  EXPECT_VALUES(d3, {4, 7, 16, 19});
  EXPECT_SHAPE(lm::dot(lm::zeros({0, 3}), b), lm::Shape({0, 2}));
  EXPECT_VALUES(lm::dot(lm::zeros({2, 0}), lm::zeros({0, 2})), {0, 0, 0, 0});
}

// ---- elementwise and comparisons -------------------------------------------------------------

TEST(AdversarialElementwise, BroadcastingAndDtypes) {
  EXPECT_OP_ERROR(lm::add(lm::zeros({2}), lm::zeros({3})), lm::ShapeError, "add");
  EXPECT_OP_ERROR(lm::mul(lm::zeros({0}), lm::zeros({2})), lm::ShapeError, "mul");
  EXPECT_OP_ERROR(lm::maximum(lm::zeros({2, 3}), lm::zeros({3, 2})), lm::ShapeError, "maximum");
  EXPECT_OP_ERROR(lm::add(sym({lm::None, 3}), lm::zeros({4})), lm::ShapeError, "add");
  EXPECT_OP_ERROR(lm::add(lm::zeros({2}), lm::Tensor()), lm::ValueError, "add");
  EXPECT_OP_ERROR(lm::exp(lm::Tensor()), lm::ValueError, "exp");
  EXPECT_OP_ERROR(lm::pow(lm::tensor({2, 3}), lm::tensor({-1, 1})), lm::ValueError, "pow");
  EXPECT_OP_ERROR(lm::clip(lm::zeros({2}), 1, 0), lm::ValueError, "clip");
  EXPECT_OP_ERROR(lm::clip(lm::zeros({2}), kNaN, 0), lm::ValueError, "clip");
  EXPECT_OP_ERROR(lm::logical_and(lm::tensor({1}), lm::tensor({true})), lm::DTypeError, "logical_and");
  EXPECT_OP_ERROR(lm::logical_not(lm::tensor({1.f})), lm::DTypeError, "logical_not");
  EXPECT_OP_ERROR(lm::less(lm::zeros({2}), lm::zeros({3})), lm::ShapeError, "less");
  // Legitimate: zero-size broadcasting, integer overflow wraps, int division by zero.
  EXPECT_SHAPE(lm::add(lm::zeros({0, 1}), lm::zeros({1, 3})), lm::Shape({0, 3}));
  EXPECT_SHAPE(lm::exp(lm::zeros({0})), lm::Shape{0});
  auto q = lm::div(lm::tensor({1, -1, 0}), lm::tensor({0, 0, 0}));  // true division: Float32
  EXPECT_EQ(q.dtype(), lm::Float32);
  auto qv = q.to_vector<double>();
  EXPECT_EQ(qv[0], kInf);
  EXPECT_EQ(qv[1], -kInf);
  EXPECT_TRUE(std::isnan(qv[2]));
  EXPECT_VALUES(lm::pow(lm::tensor({2, 0}), lm::tensor({0, 0})), {1, 1});
  // Casting NaN / infinities / huge floats to integers saturates (no UB).
  auto ci = lm::cast(lm::tensor({kNaN, kInf, -kInf, 1e30}), lm::Int32);
  EXPECT_VALUES(ci, {0, 2147483647.0, -2147483648.0, 2147483647.0});
}

// ---- symbolic graphs replay their checks on data --------------------------------------------

TEST(AdversarialSymbolic, UnknownDimsCheckedWhenDataArrives) {
  // A None axis squeezed when built must be 1 on data.
  auto in = sym({lm::None, 3});
  auto sq = lm::squeeze(in, {0});
  ASSERT_TRUE(sq.node());
  EXPECT_OP_ERROR(sq.node()->replay({iota2(2, 3)}), lm::ShapeError, "squeeze");
  EXPECT_VALUES(sq.node()->replay({iota2(1, 3)})[0], {0, 1, 2});
  // A None axis split into 2 must divide on data.
  auto parts = lm::split(in, 2, 0);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_OP_ERROR(parts[0].node()->replay({iota2(3, 3)}), lm::ShapeError, "split");
  // Out-of-range indices into a symbolic params are caught once values flow.
  auto g = lm::gather(in, lm::tensor({0, 5}));
  EXPECT_OP_ERROR(g.node()->replay({iota2(2, 3), lm::tensor({0, 5})}), lm::ValueError, "gather");
  // A None inner dim of matmul must match on data.
  auto mm = lm::matmul(sym({2, lm::None}), lm::zeros({3, 2}));
  EXPECT_SHAPE(mm, lm::Shape({2, 2}));
  EXPECT_OP_ERROR(mm.node()->replay({lm::zeros({2, 4}), lm::zeros({3, 2})}), lm::ShapeError, "matmul");
  // A None-sized symbolic reshape target replays with the real size.
  auto r = lm::reshape(in, {-1});
  EXPECT_SHAPE(r, lm::Shape{lm::None});
  EXPECT_VALUES(r.node()->replay({iota2(2, 3)})[0], {0, 1, 2, 3, 4, 5});
}

// ---- fused recurrent ops -----------------------------------------------------------------------

TEST(AdversarialRecurrent, ShapesDtypesMasksAndOptions) {
  // SimpleRNN with F = 2, U = 3: kernel (2, 3), recurrent_kernel (3, 3), bias (3).
  auto x = lm::full({2, 4, 2}, 0.5f);
  auto W = lm::full({2, 3}, 0.1f), R = lm::zeros({3, 3}), b = lm::zeros({3});
  EXPECT_OP_ERROR(lm::simple_rnn_sequence(lm::zeros({2, 4}), {}, {}, W, R, b), lm::ShapeError, "simple_rnn_sequence");
  EXPECT_OP_ERROR(lm::simple_rnn_sequence(lm::zeros({2, 4, 2}, lm::Int32), {}, {}, W, R, b), lm::DTypeError,
                  "simple_rnn_sequence");
  EXPECT_OP_ERROR(lm::simple_rnn_sequence(x, {}, {}, lm::zeros({3, 3}), R, b), lm::ShapeError, "simple_rnn_sequence");
  EXPECT_OP_ERROR(lm::simple_rnn_sequence(x, {}, {}, W, lm::zeros({3, 4}), b), lm::ShapeError, "simple_rnn_sequence");
  EXPECT_OP_ERROR(lm::simple_rnn_sequence(x, {}, {}, W, lm::zeros({3}), b), lm::ShapeError, "simple_rnn_sequence");
  EXPECT_OP_ERROR(lm::simple_rnn_sequence(x, {}, {}, W, R, lm::zeros({4})), lm::ShapeError, "simple_rnn_sequence");
  EXPECT_OP_ERROR(lm::simple_rnn_sequence(x, {}, lm::zeros({3, 3}), W, R, b), lm::ShapeError, "simple_rnn_sequence");
  EXPECT_OP_ERROR(lm::simple_rnn_sequence(x, {}, {}, lm::zeros({2, 3}, lm::Float64), R, b), lm::DTypeError,
                  "simple_rnn_sequence");
  EXPECT_OP_ERROR(lm::simple_rnn_sequence(x, {}, {}, lm::Tensor(), R, b), lm::ValueError, "simple_rnn_sequence");
  EXPECT_OP_ERROR(lm::simple_rnn_sequence(x, {}, {}, W, lm::Tensor(), b), lm::ValueError, "simple_rnn_sequence");
  EXPECT_OP_ERROR(lm::simple_rnn_sequence(x, lm::tensor({{1, 1, 1, 1}, {1, 1, 0, 0}}), {}, W, R, b), lm::DTypeError,
                  "simple_rnn_sequence");
  EXPECT_OP_ERROR(lm::simple_rnn_sequence(x, lm::full({2, 5}, true, lm::Bool), {}, W, R, b), lm::MaskError,
                  "simple_rnn_sequence");
  EXPECT_OP_ERROR(lm::simple_rnn_sequence(x, lm::full({3}, true, lm::Bool), {}, W, R, b), lm::MaskError,
                  "simple_rnn_sequence");
  EXPECT_OP_ERROR(lm::simple_rnn_sequence(x, lm::full({2, 4, 2}, true, lm::Bool), {}, W, R, b), lm::MaskError,
                  "simple_rnn_sequence");
  EXPECT_OP_ERROR(lm::simple_rnn_sequence(x, {}, {}, W, R, b, {.activation = "bogus"}), lm::ValueError,
                  "simple_rnn_sequence");
  EXPECT_OP_ERROR(lm::lstm_sequence(x, {}, {}, {}, W, R, b), lm::ShapeError, "lstm_sequence");
  EXPECT_OP_ERROR(lm::gru_sequence(x, {}, {}, lm::zeros({2, 9}), lm::zeros({3, 9}), lm::zeros({9})), lm::ShapeError,
                  "gru_sequence");
  EXPECT_OP_ERROR(lm::simple_rnn_sequence(sym({lm::None, 4, 2}), {}, {}, W, lm::zeros({3, 4}), b), lm::ShapeError,
                  "simple_rnn_sequence");

  // Legitimate edge cases, worked by hand. Every step: h = tanh(x W + h R + b) with
  // x W = 0.5 * 0.1 + 0.5 * 0.1 = 0.1 per unit and R = 0, so h = tanh(0.1) = 0.0996680.
  auto out = lm::simple_rnn_sequence(x, {}, {}, W, R, b);
  EXPECT_VALUES(out[0], std::vector<double>(6, 0.0996680), 1e-6);
  // A rank-0 mask covers everything: true is as if unmasked, false leaves the zero state.
  EXPECT_VALUES(lm::simple_rnn_sequence(x, lm::scalar(true), {}, W, R, b)[0], std::vector<double>(6, 0.0996680), 1e-6);
  EXPECT_VALUES(lm::simple_rnn_sequence(x.with_mask(lm::scalar(false)), {}, {}, W, R, b)[0],
                std::vector<double>(6, 0.0));
  // A whole-sequence (B,) mask: row 1 all padding gives zeros (the initial state).
  auto rows = lm::simple_rnn_sequence(x, bools({true, false}, {2}), {}, W, R, b);
  EXPECT_VALUES(rows[0], {0.0996680, 0.0996680, 0.0996680, 0, 0, 0}, 1e-6);
  // T = 0: no step runs, the output and state are the initial state (zeros).
  auto empty_t = lm::simple_rnn_sequence(lm::zeros({2, 0, 2}), {}, {}, W, R, b);
  EXPECT_SHAPE(empty_t[0], lm::Shape({2, 3}));
  EXPECT_VALUES(empty_t[0], {0, 0, 0, 0, 0, 0});
  auto seq_t = lm::simple_rnn_sequence(lm::zeros({2, 0, 2}), {}, {}, W, R, b, {.return_sequences = true});
  EXPECT_SHAPE(seq_t[0], lm::Shape({2, 0, 3}));
  // B = 0 and U = 0.
  EXPECT_SHAPE(lm::simple_rnn_sequence(lm::zeros({0, 4, 2}), {}, {}, W, R, b)[0], lm::Shape({0, 3}));
  auto no_units = lm::simple_rnn_sequence(x, {}, {}, lm::zeros({2, 0}), lm::zeros({0, 0}), lm::zeros({0}));
  EXPECT_SHAPE(no_units[0], lm::Shape({2, 0}));
}

// ---- zero-size tensors whose other dims are huge, masked zero-size tensors, high ranks --------

TEST(AdversarialZeroSize, HugeDimsNextToAZeroDim) {
  // (2^40, 0, 2^40) holds nothing: every op must handle it without overflowing strides or
  // sizes, and give the shape NumPy would.
  constexpr std::int64_t kBig = std::int64_t{1} << 40;
  auto z = lm::zeros({kBig, 0, kBig});
  EXPECT_EQ(z.numel(), 0);
  EXPECT_SHAPE(lm::transpose(z), lm::Shape({kBig, 0, kBig}));
  EXPECT_SHAPE(lm::transpose(z, {1, 0, 2}), lm::Shape({0, kBig, kBig}));
  EXPECT_SHAPE(lm::flip(z, {0, 2}), lm::Shape({kBig, 0, kBig}));
  EXPECT_SHAPE(lm::slice(z, {{1, {}, 2}, {}, {{}, {}, -3}}), lm::Shape({kBig / 2, 0, (kBig + 2) / 3}));
  EXPECT_SHAPE(lm::reshape(z, {0, kBig}), lm::Shape({0, kBig}));
  EXPECT_SHAPE(lm::exp(z), lm::Shape({kBig, 0, kBig}));
  EXPECT_SHAPE(lm::add(z, lm::ones({1, 1, 1})), lm::Shape({kBig, 0, kBig}));
  EXPECT_SHAPE(lm::concat({z, z}, 1), lm::Shape({kBig, 0, kBig}));
  EXPECT_SHAPE(lm::stack({z, z}, 3), lm::Shape({kBig, 0, kBig, 2}));
  EXPECT_SHAPE(lm::tile(z, {1, 5, 1}), lm::Shape({kBig, 0, kBig}));
  EXPECT_SHAPE(lm::pad(z, {{0, 0}, {0, 0}, {1, 1}}), lm::Shape({kBig, 0, kBig + 2}));
  EXPECT_SHAPE(lm::sum(z, 0), lm::Shape({0, kBig}));
  EXPECT_SHAPE(lm::softmax(z, 1), lm::Shape({kBig, 0, kBig}));
  EXPECT_SHAPE(lm::gather(z, lm::tensor({0, 0}), 0), lm::Shape({2, 0, kBig}));
  EXPECT_SHAPE(lm::cast(z, lm::Int32), lm::Shape({kBig, 0, kBig}));
  EXPECT_EQ(lm::split(z, 4, 0).size(), 4u);
  // The same with the huge dims next to each other (their product overflows when merged).
  auto w = lm::zeros({0, kBig, kBig});
  EXPECT_SHAPE(lm::exp(w), lm::Shape({0, kBig, kBig}));
  EXPECT_SHAPE(lm::add(w, 1.f), lm::Shape({0, kBig, kBig}));
  EXPECT_SHAPE(lm::add(w, lm::zeros({0, 1, kBig})), lm::Shape({0, kBig, kBig}));
  EXPECT_SHAPE(lm::broadcast_to(lm::zeros({0, 1, kBig}), {0, kBig, kBig}), lm::Shape({0, kBig, kBig}));
  EXPECT_SHAPE(lm::where(lm::zeros({0, kBig, 1}, lm::Bool), w, 2.f), lm::Shape({0, kBig, kBig}));
  EXPECT_SHAPE(lm::sum(w, lm::Axes{1, 2}), lm::Shape({0}));
  EXPECT_SHAPE(lm::max(w, 2), lm::Shape({0, kBig}));
  EXPECT_SHAPE(lm::transpose(w), lm::Shape({kBig, kBig, 0}));
  EXPECT_SHAPE(lm::exp(lm::zeros({kBig, kBig, 0})), lm::Shape({kBig, kBig, 0}));
  EXPECT_SHAPE(lm::flip(lm::zeros({kBig, kBig, 0}), {0}), lm::Shape({kBig, kBig, 0}));
  // Results that would really hold 2^80 elements are a ShapeError, not a wrapped size.
  EXPECT_OP_ERROR(lm::sum(z, 1), lm::ShapeError, "sum");
  // matmul first hits the BLAS's 32-bit dimension limit.
  EXPECT_OP_ERROR(lm::matmul(lm::zeros({kBig, 0}), lm::zeros({0, kBig})), lm::ValueError, "matmul");
  EXPECT_OP_ERROR(lm::broadcast_to(z, {kBig, kBig, kBig}), lm::ShapeError, "broadcast_to");
  EXPECT_SHAPE(lm::one_hot(lm::zeros({0}, lm::Int32), kMax64), lm::Shape({0, kMax64}));
}

TEST(AdversarialZeroSize, MaskedZeroSize) {
  // A (0, 3) tensor with a (0,) mask: reducing the masked axis gives 0 and drops the mask.
  auto x = lm::zeros({0, 3}).with_mask(lm::zeros({0}, lm::Bool));
  auto s = lm::sum(x, 0);
  EXPECT_VALUES(s, {0, 0, 0});
  EXPECT_FALSE(s.has_mask());
  EXPECT_VALUES(lm::mean(x, 0), {0, 0, 0});
  auto keep = lm::sum(x, 1);  // the mask survives a feature reduction
  EXPECT_SHAPE(keep, lm::Shape{0});
  EXPECT_EQ(keep.mask_rank(), 1);
  EXPECT_SHAPE(lm::softmax(x, 0), lm::Shape({0, 3}));
  EXPECT_SHAPE(lm::transpose(x), lm::Shape({3, 0}));
  EXPECT_SHAPE(lm::concat({x, x}, 0), lm::Shape({0, 3}));
  EXPECT_SHAPE(lm::pad(x, {{1, 0}, {0, 0}}), lm::Shape({1, 3}));
  EXPECT_MASK(lm::pad(x, {{1, 0}, {0, 0}}), lm::Shape{1}, {false});  // padded rows are invalid
  EXPECT_SHAPE(lm::matmul(x, lm::ones({3, 2})), lm::Shape({0, 2}));
  EXPECT_SHAPE(lm::boolean_mask(x, lm::zeros({0}, lm::Bool)), lm::Shape({0, 3}));
  // max over the masked empty axis is still an error: nothing to pick.
  EXPECT_OP_ERROR(lm::max(x, 0), lm::ValueError, "max");
}

TEST(AdversarialRank, ManySizeOneAxes) {
  // Rank 40: shape (1, ..., 1, 2) with values [3, 4].
  std::vector<std::int64_t> dims(40, 1);
  dims.back() = 2;
  auto x = lm::tensor(std::vector<float>{3, 4}, lm::Shape(dims));
  EXPECT_VALUES(lm::transpose(x), {3, 4});
  EXPECT_VALUES(lm::sum(x), {7});
  EXPECT_VALUES(lm::sum(x, -1, true), {7});
  EXPECT_VALUES(lm::flip(x, {}), {4, 3});
  EXPECT_VALUES(lm::reshape(x, {-1}), {3, 4});
  EXPECT_VALUES(lm::squeeze(x), {3, 4});
  EXPECT_VALUES(lm::softmax(x), {0.2689414, 0.7310586}, 1e-6);  // 1 / (1 + e), e / (1 + e)
  EXPECT_VALUES(lm::add(x, lm::tensor({10.f, 20.f})), {13, 24});
  EXPECT_EQ(lm::expand_dims(x, 20).rank(), 41);
  EXPECT_OP_ERROR(lm::expand_dims(x, 42), lm::ShapeError, "expand_dims");
  EXPECT_VALUES(lm::matmul(lm::reshape(x, {1, 2}), lm::tensor({{1.f}, {1.f}})), {7});
}
