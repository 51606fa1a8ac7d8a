#include "test_util.hpp"

#include <cmath>
#include <sstream>

namespace lamina::testing {

::testing::AssertionResult shape_is(const Tensor& t, const Shape& shape) {
  if (t.shape() == shape) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "shape " << t.shape().str() << ", expected " << shape.str();
}

::testing::AssertionResult values_near(const Tensor& t, const std::vector<double>& expected, double tol) {
  std::vector<double> got = t.to_vector<double>();
  if (got.size() != expected.size())
    return ::testing::AssertionFailure() << "has " << got.size() << " values, expected " << expected.size() << "\n"
                                         << t;
  for (std::size_t i = 0; i < got.size(); ++i) {
    bool same_special =
        (std::isnan(got[i]) && std::isnan(expected[i])) || (std::isinf(got[i]) && got[i] == expected[i]);
    if (!same_special && !(std::fabs(got[i] - expected[i]) <= tol))
      return ::testing::AssertionFailure()
             << "value " << i << " is " << got[i] << ", expected " << expected[i] << " (tol " << tol << ")\n"
             << t;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult mask_is(const Tensor& t, const Shape& mask_shape, const std::vector<bool>& expected) {
  if (!t.has_mask()) return ::testing::AssertionFailure() << "has no mask\n" << t;
  Tensor m = t.mask();
  if (m.shape() != mask_shape)
    return ::testing::AssertionFailure() << "mask shape " << m.shape().str() << ", expected " << mask_shape.str();
  std::vector<bool> got = m.to_vector<bool>();
  if (got != expected) return ::testing::AssertionFailure() << "mask differs\n" << t;
  return ::testing::AssertionSuccess();
}

}  // namespace lamina::testing
