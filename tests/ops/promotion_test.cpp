// The dtype promotion table (DESIGN.md section 3): tensor-tensor lattice, weak scalars,
// Bool arithmetic, strict mode. Expected dtypes are spelled out by hand.
#include <fmt/format.h>
#include <gmock/gmock.h>

#include "elementwise_test_helpers.hpp"

namespace lm = lamina;
using lm::Bool, lm::Int32, lm::Int64, lm::Float32, lm::Float64;
using ::testing::HasSubstr;

namespace {

// Index order of the tables below.
constexpr lm::DType kTypes[] = {Bool, Int32, Int64, Float32, Float64};

// result_type(row, column): the least upper bound on Bool < Int32 < Int64 < Float32 < Float64.
const lm::DType kLattice[5][5] = {
    /* Bool    */ {Bool, Int32, Int64, Float32, Float64},
    /* Int32   */ {Int32, Int32, Int64, Float32, Float64},
    /* Int64   */ {Int64, Int64, Int64, Float32, Float64},
    /* Float32 */ {Float32, Float32, Float32, Float32, Float64},
    /* Float64 */ {Float64, Float64, Float64, Float64, Float64},
};

// add(row, column): the lattice, except that arithmetic never computes in Bool.
const lm::DType kArithmetic[5][5] = {
    /* Bool    */ {Int32, Int32, Int64, Float32, Float64},
    /* Int32   */ {Int32, Int32, Int64, Float32, Float64},
    /* Int64   */ {Int64, Int64, Int64, Float32, Float64},
    /* Float32 */ {Float32, Float32, Float32, Float32, Float64},
    /* Float64 */ {Float64, Float64, Float64, Float64, Float64},
};

// Restores strict_dtypes on scope exit, even when a check fails.
class StrictDtypes {
 public:
  explicit StrictDtypes(bool on) : saved_(lm::config().strict_dtypes) { lm::config().strict_dtypes = on; }
  ~StrictDtypes() { lm::config().strict_dtypes = saved_; }
  StrictDtypes(const StrictDtypes&) = delete;
  StrictDtypes& operator=(const StrictDtypes&) = delete;

 private:
  bool saved_;
};

lm::Tensor ones_of(lm::DType dt) { return lm::ones({2}, dt); }

}  // namespace

TEST(Promotion, ResultTypeIsTheLatticeMax) {
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j)
      EXPECT_EQ(lm::result_type(kTypes[i], kTypes[j]), kLattice[i][j]) << kTypes[i] << " with " << kTypes[j];
}

TEST(Promotion, TensorTensorOpsFollowTheTable) {
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 5; ++j) {
      auto a = ones_of(kTypes[i]), b = ones_of(kTypes[j]);
      // maximum/minimum keep Bool as Bool: exactly the lattice.
      EXPECT_EQ(lm::maximum(a, b).dtype(), kLattice[i][j]) << kTypes[i] << " max " << kTypes[j];
      EXPECT_EQ(lm::minimum(a, b).dtype(), kLattice[i][j]) << kTypes[i] << " min " << kTypes[j];
      // Arithmetic promotes Bool to Int32.
      EXPECT_EQ(lm::add(a, b).dtype(), kArithmetic[i][j]) << kTypes[i] << " + " << kTypes[j];
      EXPECT_EQ(lm::mul(a, b).dtype(), kArithmetic[i][j]) << kTypes[i] << " * " << kTypes[j];
      EXPECT_EQ(lm::pow(a, b).dtype(), kArithmetic[i][j]) << kTypes[i] << " ** " << kTypes[j];
      // Comparisons compute in the lattice dtype and give Bool.
      EXPECT_EQ(lm::less(a, b).dtype(), Bool);
      // The symbolic path agrees.
      auto sa = lm::placeholder({lm::Shape{lm::None, 2}, kTypes[i]});
      EXPECT_EQ(lm::maximum(sa, b).dtype(), kLattice[i][j]);
      EXPECT_EQ(lm::add(sa, b).dtype(), kArithmetic[i][j]);
    }
  }
}

TEST(Promotion, BoolArithmetic) {
  auto t = lm::tensor({true, false, true});
  auto s = t + t;  // computes in Int32: 1 + 1 = 2
  EXPECT_EQ(s.dtype(), Int32);
  EXPECT_VALUES(s, {2, 0, 2});
  EXPECT_EQ(lm::maximum(t, t).dtype(), Bool);
  EXPECT_EQ((t * t).dtype(), Int32);
  EXPECT_EQ(lm::div(t, t).dtype(), Float32);  // true division of integers gives Float32
}

TEST(Promotion, WeakScalars) {
  // Tensor dtype x literal kind {bool, int, float} -> result of mul (arithmetic) and of
  // maximum (keeps Bool). A literal only matters when its kind is above the tensor's kind,
  // and then it takes its default dtype (Int32 for int literals, Float32 for float ones).
  struct Row {
    lm::DType tensor;
    lm::DType mul_bool, mul_int, mul_float;
    lm::DType max_bool, max_int, max_float;
  };
  const Row table[] = {
      {Bool, Int32, Int32, Float32, Bool, Int32, Float32},
      {Int32, Int32, Int32, Float32, Int32, Int32, Float32},
      {Int64, Int64, Int64, Float32, Int64, Int64, Float32},
      {Float32, Float32, Float32, Float32, Float32, Float32, Float32},
      {Float64, Float64, Float64, Float64, Float64, Float64, Float64},
  };
  for (const auto& r : table) {
    auto x = ones_of(r.tensor);
    EXPECT_EQ((x * true).dtype(), r.mul_bool) << r.tensor << " * true";
    EXPECT_EQ((x * 2).dtype(), r.mul_int) << r.tensor << " * 2";
    EXPECT_EQ((x * 2.5f).dtype(), r.mul_float) << r.tensor << " * 2.5f";
    EXPECT_EQ((x * 2.5).dtype(), r.mul_float) << r.tensor << " * 2.5";
    EXPECT_EQ((2 * x).dtype(), r.mul_int) << "2 * " << r.tensor;
    EXPECT_EQ((2.5f + x).dtype(), r.mul_float) << "2.5f + " << r.tensor;
    EXPECT_EQ(lm::maximum(x, true).dtype(), r.max_bool) << "maximum(" << r.tensor << ", true)";
    EXPECT_EQ(lm::maximum(x, 2).dtype(), r.max_int) << "maximum(" << r.tensor << ", 2)";
    EXPECT_EQ(lm::minimum(2.5, x).dtype(), r.max_float) << "minimum(2.5, " << r.tensor << ")";
    EXPECT_EQ((x == 2.5).dtype(), Bool);
  }
  // The examples of the brief, with values.
  auto i = lm::tensor({1, 2});
  EXPECT_EQ((i * 2.5f).dtype(), Float32);
  EXPECT_VALUES(i * 2.5f, {2.5, 5});
  auto d = lm::tensor({1.0, 2.0});
  EXPECT_EQ((d * 2).dtype(), Float64);
  EXPECT_VALUES(d * 2, {2, 4});
  auto l = lm::tensor({std::int64_t{1} << 40});
  EXPECT_EQ((l + 1).dtype(), Int64);
  EXPECT_VALUES(l + 1, {1099511627777.0});  // 2^40 + 1: no trip through int32
  auto b = lm::tensor({true, false});
  EXPECT_EQ((b + 1).dtype(), Int32);
  EXPECT_VALUES(b + 1, {2, 1});
  EXPECT_EQ((b * 2.5).dtype(), Float32);
  EXPECT_VALUES(b * 2.5, {2.5, 0});
}

TEST(Promotion, StrictModeRejectsImplicitTensorPromotion) {
  StrictDtypes strict(true);
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 5; ++j) {
      auto a = ones_of(kTypes[i]), b = ones_of(kTypes[j]);
      if (i == j) {
        EXPECT_EQ(lm::add(a, b).dtype(), kArithmetic[i][j]);  // one dtype: nothing implicit
        EXPECT_EQ(lm::maximum(a, b).dtype(), kLattice[i][j]);
        EXPECT_EQ(lm::less(a, b).dtype(), Bool);
        continue;
      }
      std::string found = fmt::format("{} and {}", lm::dtype_name(kTypes[i]), lm::dtype_name(kTypes[j]));
      EXPECT_LAMINA_ERROR(lm::add(a, b), lm::DTypeError, {
        EXPECT_THAT(msg, HasSubstr("op 'add'"));
        EXPECT_THAT(msg, HasSubstr(found));
        EXPECT_THAT(msg, HasSubstr("lm::cast"));
      });
      EXPECT_LAMINA_ERROR(lm::mul(a, b), lm::DTypeError, { EXPECT_THAT(msg, HasSubstr("op 'mul'")); });
      EXPECT_LAMINA_ERROR(lm::pow(a, b), lm::DTypeError, { EXPECT_THAT(msg, HasSubstr("op 'pow'")); });
      EXPECT_LAMINA_ERROR(lm::maximum(a, b), lm::DTypeError, { EXPECT_THAT(msg, HasSubstr("op 'maximum'")); });
      EXPECT_LAMINA_ERROR(lm::minimum(a, b), lm::DTypeError, { EXPECT_THAT(msg, HasSubstr("op 'minimum'")); });
      EXPECT_LAMINA_ERROR(lm::equal(a, b), lm::DTypeError, { EXPECT_THAT(msg, HasSubstr("op 'equal'")); });
      // Symbolic operands are rejected at build time.
      auto sa = lm::placeholder({lm::Shape{lm::None, 2}, kTypes[i]});
      EXPECT_LAMINA_ERROR(lm::add(sa, b), lm::DTypeError, { EXPECT_THAT(msg, HasSubstr(found)); });
    }
  }
  // Weak scalars are still allowed, including those that raise the kind.
  auto i = lm::tensor({1, 2});
  EXPECT_EQ((i * 2.5f).dtype(), Float32);
  EXPECT_VALUES(i * 2.5f, {2.5, 5});
  EXPECT_EQ((2.5 - i).dtype(), Float32);
  EXPECT_EQ((lm::tensor({true}) + 1).dtype(), Int32);
  EXPECT_EQ(lm::pow(i, 0.5).dtype(), Float32);
  EXPECT_EQ(lm::maximum(i, 1.5).dtype(), Float32);
  EXPECT_EQ((i < 1.5).dtype(), Bool);
  EXPECT_EQ(lm::clip(i, 0, 1.5).dtype(), Float32);
  // Explicit casts are the fix.
  EXPECT_EQ(lm::add(lm::cast(i, Float32), lm::ones({2})).dtype(), Float32);
}

TEST(Promotion, StrictModeGuardRestores) {
  bool before = lm::config().strict_dtypes;
  {
    StrictDtypes strict(!before);
    EXPECT_EQ(lm::config().strict_dtypes, !before);
  }
  EXPECT_EQ(lm::config().strict_dtypes, before);
}

TEST(Promotion, SeedScenarioFloatTimesIntMask) {
  auto y = lm::tensor({10.f, 20.f, 30.f, 40.f}) * lm::tensor({1, 0, 1, 0});
  EXPECT_EQ(y.dtype(), Float32);
  EXPECT_VALUES(y, {10, 0, 30, 0});
}
