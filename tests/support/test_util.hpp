#pragma once
// Shared test helpers: value comparison with tolerances and typed-error expectations.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lamina/lamina.hpp"

namespace lamina::testing {

// Expects `t` to have shape `shape` and values `expected` (row-major) within `tol`.
::testing::AssertionResult values_near(const Tensor& t, const std::vector<double>& expected, double tol = 1e-6);
::testing::AssertionResult shape_is(const Tensor& t, const Shape& shape);
// Expects the Bool mask of `t` to equal `expected` (row-major) with shape `mask_shape`.
::testing::AssertionResult mask_is(const Tensor& t, const Shape& mask_shape, const std::vector<bool>& expected);

}  // namespace lamina::testing

#define EXPECT_VALUES(t, ...) EXPECT_TRUE(::lamina::testing::values_near((t), __VA_ARGS__))
#define EXPECT_SHAPE(t, ...) EXPECT_TRUE(::lamina::testing::shape_is((t), __VA_ARGS__))
#define EXPECT_MASK(t, shape, ...) EXPECT_TRUE(::lamina::testing::mask_is((t), (shape), __VA_ARGS__))

// Runs `stmt`, expects it to throw ErrorType, and exposes the message as `msg` to the
// following block: EXPECT_LAMINA_ERROR(f(), lm::ShapeError, { EXPECT_THAT(msg, HasSubstr("x")); });
#define EXPECT_LAMINA_ERROR(stmt, ErrorType, checks)                                               \
  do {                                                                                             \
    bool lamina_thrown_ = false;                                                                   \
    try {                                                                                          \
      stmt;                                                                                        \
    } catch (const ErrorType& lamina_e_) {                                                         \
      lamina_thrown_ = true;                                                                       \
      [[maybe_unused]] const std::string msg = lamina_e_.what();                                   \
      checks;                                                                                      \
    } catch (const std::exception& lamina_other_) {                                                \
      ADD_FAILURE() << "expected " #ErrorType ", got another exception: " << lamina_other_.what(); \
      lamina_thrown_ = true;                                                                       \
    }                                                                                              \
    if (!lamina_thrown_) ADD_FAILURE() << "expected " #ErrorType " from: " #stmt;                  \
  } while (0)

// Gradient check of f at inputs (finite differences in float64).
#define EXPECT_GRADCHECK(f, ...)                             \
  do {                                                       \
    auto lamina_gc_ = ::lamina::gradcheck((f), __VA_ARGS__); \
    EXPECT_TRUE(lamina_gc_.ok) << lamina_gc_.message;        \
  } while (0)
