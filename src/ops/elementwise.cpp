// Elementwise arithmetic and math. Each op: dtype rule, kernel, derivative; the shared
// skeleton (shapes, masks, symbolic graphs, recording) is in support/elementwise_op.hpp.
#include "lamina/ops/elementwise.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <type_traits>

#include "lamina/ops/cast.hpp"
#include "lamina/ops/compare.hpp"
#include "lamina/ops/index.hpp"
#include "ops/support/elementwise_op.hpp"
#include "core/attrs.hpp"

namespace lamina {

using detail::arithmetic;
using detail::floating;
using detail::promote;

namespace {
using Needs = std::vector<bool>;

// Kernels are generic lambdas instantiated for every dtype (visit_dtype), Bool included,
// even where an op never computes in Bool; these helpers keep every instantiation valid.
template <class T>
inline constexpr bool is_int_v = std::is_integral_v<T> && !std::is_same_v<T, bool>;

// Integer arithmetic wraps (two's complement, like NumPy) instead of overflowing, which
// would be undefined behaviour: it is done in the unsigned type and converted back.
template <class T>
T wrap_add(T a, T b) {
  if constexpr (is_int_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return static_cast<T>(a + b);
  }
}
template <class T>
T wrap_sub(T a, T b) {
  if constexpr (is_int_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) - static_cast<U>(b));
  } else {
    return static_cast<T>(a - b);
  }
}
template <class T>
T wrap_neg(T v) {
  if constexpr (is_int_v<T>)
    return wrap_sub(T{0}, v);
  else
    return static_cast<T>(-v);  // floats: -0.0 stays distinct from 0 - 0.0
}
template <class T>
T wrap_mul(T a, T b) {
  if constexpr (is_int_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
  } else {
    return static_cast<T>(a * b);
  }
}

// base^e for e >= 0 (callers validate), by squaring, wrapping on overflow.
template <class T>
T int_pow(T base, T e) {
  using U = std::make_unsigned_t<T>;
  U result = 1, b = static_cast<U>(base), n = static_cast<U>(e);
  while (n != 0) {
    if (n & 1U) result = static_cast<U>(result * b);
    b = static_cast<U>(b * b);
    n >>= 1;
  }
  return static_cast<T>(result);
}

// True when an integer tensor holds a negative value.
bool any_negative(const Tensor& t) {
  return visit_dtype(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_signed_v<T>) {
      const T* p = t.data<T>();
      const std::int64_t n = t.numel();
      bool neg = false;
      for (std::int64_t i = 0; i < n; ++i) neg |= p[i] < T(0);
      return neg;
    } else {
      return false;
    }
  });
}

// g * (cond as a 0/1 tensor of g's dtype): routes a gradient where `cond` holds.
Tensor gate(const Tensor& g, const Tensor& cond) { return g * cast(cond, g.dtype()); }
}  // namespace

// ---- binary ------------------------------------------------------------------------------

Tensor add(const Tensor& a, const Tensor& b) {
  OpScope scope("add");
  DType dt = arithmetic(promote(a, b, "add"));
  return detail::binary_op(
      "add", add, a, b, dt, dt, [](auto x, auto y) { return wrap_add(x, y); },
      [](const Tensor&, const Tensor&, const Tensor&, const Tensor& g, const Needs&) {
        return std::pair{g, g};
      });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  OpScope scope("sub");
  DType dt = arithmetic(promote(a, b, "sub"));
  return detail::binary_op(
      "sub", sub, a, b, dt, dt, [](auto x, auto y) { return wrap_sub(x, y); },
      [](const Tensor&, const Tensor&, const Tensor&, const Tensor& g, const Needs& n) {
        return std::pair{g, n[1] ? neg(g) : Tensor()};
      });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  OpScope scope("mul");
  DType dt = arithmetic(promote(a, b, "mul"));
  return detail::binary_op(
      "mul", mul, a, b, dt, dt, [](auto x, auto y) { return wrap_mul(x, y); },
      [](const Tensor& x, const Tensor& y, const Tensor&, const Tensor& g, const Needs& n) {
        return std::pair{n[0] ? g * y : Tensor(), n[1] ? g * x : Tensor()};
      });
}

Tensor div(const Tensor& a, const Tensor& b) {
  OpScope scope("div");
  DType dt = floating(promote(a, b, "div"));
  return detail::binary_op(
      "div", div, a, b, dt, dt, [](auto x, auto y) { return x / y; },
      [](const Tensor&, const Tensor& y, const Tensor& out, const Tensor& g, const Needs& n) {
        return std::pair{n[0] ? g / y : Tensor(), n[1] ? neg(g * out / y) : Tensor()};
      });
}

Tensor pow(const Tensor& a, const Tensor& b) {
  OpScope scope("pow");
  detail::require_defined(a, "pow", "base");
  detail::require_defined(b, "pow", "exponent");
  DType dt = arithmetic(promote(a, b, "pow"));  // integer ** integer stays integer
  if (is_integer(dt) && !any_symbolic({a, b}) && any_negative(b))
    throw ValueError({.op = "pow",
                      .problem = "integers cannot be raised to negative integer powers",
                      .expected = "non-negative exponents for an integer pow",
                      .found = fmt::format("a negative exponent in an {} pow ({} ** {})", dtype_name(dt),
                                           dtype_name(a.dtype()), dtype_name(b.dtype())),
                      .hint = "compute in floating point: lm::pow(lm::cast(x, lm::Float32), e)"});
  return detail::binary_op(
      "pow", pow, a, b, dt, dt,
      [](auto x, auto y) {
        using T = decltype(x);
        if constexpr (is_int_v<T>)
          return int_pow(x, y);
        else
          return std::pow(x, y);
      },
      [](const Tensor& x, const Tensor& y, const Tensor& out, const Tensor& g, const Needs& n) {
        Tensor ga, gb;
        if (n[0]) {
          // d/dx = y * x^(y-1); where y == 0 the exponent becomes 0 so that 0 * x^-1 gives
          // 0 rather than NaN at x == 0 (x^0 is constant).
          Tensor y_is_0 = cast(equal(y, 0), y.dtype());
          ga = g * y * pow(x, y - 1 + y_is_0);
        }
        if (n[1]) {
          // d/dy = x^y * log(x), taken as 0 where x <= 0 (log undefined): log is applied to
          // 1 there so no NaN enters the product.
          Tensor pos = cast(greater(x, 0), x.dtype());
          gb = g * out * log(x * pos + (1 - pos)) * pos;
        }
        return std::pair{ga, gb};
      });
}

Tensor maximum(const Tensor& a, const Tensor& b) {
  OpScope scope("maximum");
  detail::require_defined(a, "maximum", "first operand");
  detail::require_defined(b, "maximum", "second operand");
  DType dt = promote(a, b, "maximum");  // Bool stays Bool (logical or)
  return detail::binary_op(
      "maximum", maximum, a, b, dt, dt,
      [](auto x, auto y) {
        using T = decltype(x);
        if constexpr (std::is_floating_point_v<T>)
          return (x >= y || x != x) ? x : y;  // NaN propagates
        else
          return x >= y ? x : y;
      },
      [](const Tensor& x, const Tensor& y, const Tensor&, const Tensor& g, const Needs& n) {
        return std::pair{n[0] ? gate(g, greater_equal(x, y)) : Tensor(), n[1] ? gate(g, less(x, y)) : Tensor()};
      });
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  OpScope scope("minimum");
  detail::require_defined(a, "minimum", "first operand");
  detail::require_defined(b, "minimum", "second operand");
  DType dt = promote(a, b, "minimum");  // Bool stays Bool (logical and)
  return detail::binary_op(
      "minimum", minimum, a, b, dt, dt,
      [](auto x, auto y) {
        using T = decltype(x);
        if constexpr (std::is_floating_point_v<T>)
          return (x <= y || x != x) ? x : y;  // NaN propagates
        else
          return x <= y ? x : y;
      },
      [](const Tensor& x, const Tensor& y, const Tensor&, const Tensor& g, const Needs& n) {
        return std::pair{n[0] ? gate(g, less_equal(x, y)) : Tensor(), n[1] ? gate(g, greater(x, y)) : Tensor()};
      });
}

// Scalar forms share the tensor kernels (see detail::with_scalar).
#define LAMINA_SCALAR_FORMS(name)                                                 \
  Tensor name(const Tensor& a, Scalar b) {                                        \
    return detail::with_scalar(static_cast<detail::BinaryFn>(name), #name, a, b); \
  }                                                                               \
  Tensor name(Scalar a, const Tensor& b) {                                        \
    return detail::with_scalar(static_cast<detail::BinaryFn>(name), #name, a, b); \
  }
LAMINA_SCALAR_FORMS(add)
LAMINA_SCALAR_FORMS(sub)
LAMINA_SCALAR_FORMS(mul)
LAMINA_SCALAR_FORMS(div)
LAMINA_SCALAR_FORMS(pow)
LAMINA_SCALAR_FORMS(maximum)
LAMINA_SCALAR_FORMS(minimum)
#undef LAMINA_SCALAR_FORMS

// ---- unary -------------------------------------------------------------------------------

Tensor neg(const Tensor& x) {
  OpScope scope("neg");
  DType dt = arithmetic(x.dtype());
  return detail::unary_op(
      "neg", neg, x, dt, dt, [](auto v) { return wrap_neg(v); },
      [](const Tensor&, const Tensor&, const Tensor& g) { return neg(g); });
}

Tensor exp(const Tensor& x) {
  OpScope scope("exp");
  DType dt = floating(x.dtype());
  return detail::unary_op(
      "exp", exp, x, dt, dt, [](auto v) { return std::exp(v); },
      [](const Tensor&, const Tensor& out, const Tensor& g) { return g * out; });
}

Tensor tanh(const Tensor& x) {
  OpScope scope("tanh");
  DType dt = floating(x.dtype());
  return detail::unary_op(
      "tanh", tanh, x, dt, dt, [](auto v) { return std::tanh(v); },
      // 1 - tanh(x)^2 = 4 s(2x) s(-2x) (s = sigmoid): relatively accurate where tanh(x) rounds
      // to +-1, which 1 - out^2 turns into 0 (x >= 9 in float32).
      [](const Tensor& in, const Tensor&, const Tensor& g) { return g * (sigmoid(in * 2) * sigmoid(in * -2) * 4); });
}

Tensor abs(const Tensor& x) {
  OpScope scope("abs");
  detail::require_defined(x, "abs");
  DType dt = arithmetic(x.dtype());
  return detail::unary_op(
      "abs", abs, x, dt, dt,
      [](auto v) {
        using T = decltype(v);
        if constexpr (is_int_v<T>) {  // |INT_MIN| wraps to INT_MIN (as in NumPy), no UB
          using U = std::make_unsigned_t<T>;
          return v < 0 ? static_cast<T>(U{0} - static_cast<U>(v)) : v;
        } else {
          return std::abs(v);
        }
      },
      [](const Tensor& in, const Tensor&, const Tensor& g) { return g * sign(in); });
}

Tensor log(const Tensor& x) {
  OpScope scope("log");
  detail::require_defined(x, "log");
  DType dt = floating(x.dtype());
  return detail::unary_op(
      "log", log, x, dt, dt, [](auto v) { return std::log(v); },
      [](const Tensor& in, const Tensor&, const Tensor& g) { return g / in; });
}

Tensor sqrt(const Tensor& x) {
  OpScope scope("sqrt");
  detail::require_defined(x, "sqrt");
  DType dt = floating(x.dtype());
  return detail::unary_op(
      "sqrt", sqrt, x, dt, dt, [](auto v) { return std::sqrt(v); },
      [](const Tensor&, const Tensor& out, const Tensor& g) { return g / (out * 2); });
}

Tensor square(const Tensor& x) {
  OpScope scope("square");
  detail::require_defined(x, "square");
  DType dt = arithmetic(x.dtype());
  return detail::unary_op(
      "square", square, x, dt, dt, [](auto v) { return wrap_mul(v, v); },
      [](const Tensor& in, const Tensor&, const Tensor& g) { return g * in * 2; });
}

Tensor sigmoid(const Tensor& x) {
  OpScope scope("sigmoid");
  detail::require_defined(x, "sigmoid");
  DType dt = floating(x.dtype());
  return detail::unary_op(
      "sigmoid", sigmoid, x, dt, dt,
      [](auto v) {
        using T = decltype(v);
        if constexpr (std::is_floating_point_v<T>) {
          // exp of -|v| never overflows: 1/(1+e) for v >= 0, e/(1+e) for v < 0.
          T e = std::exp(-std::abs(v));
          T r = 1 / (1 + e);
          return v >= 0 ? r : e * r;
        } else {
          return v;  // never used: sigmoid computes in a floating dtype
        }
      },
      // s(x) s(-x) rather than out (1 - out): 1 - out cancels to 0 once out rounds to 1.
      [](const Tensor& in, const Tensor& out, const Tensor& g) { return g * out * sigmoid(-in); });
}

Tensor relu(const Tensor& x) {
  OpScope scope("relu");
  detail::require_defined(x, "relu");
  DType dt = arithmetic(x.dtype());
  return detail::unary_op(
      "relu", relu, x, dt, dt,
      [](auto v) {
        using T = decltype(v);
        return v < T(0) ? T(0) : v;  // NaN passes through
      },
      [](const Tensor& in, const Tensor&, const Tensor& g) { return detail::relu_gate(g, in); });
}

namespace detail {
Tensor relu_gate(const Tensor& g, const Tensor& x) {
  Tensor cx = cast(x, g.dtype());
  Tensor out = visit_dtype(g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return map_binary<T, T>(g, cx, g.shape(), g.dtype(), [](T gv, T xv) { return xv > T(0) ? gv : T(0); });
  });
  if (recording_active())
    record_gradient("relu", {g}, {out},
                    [cx](const TensorList& gg, const std::vector<bool>&) { return TensorList{relu_gate(gg[0], cx)}; });
  return out;
}
}  // namespace detail

Tensor softplus(const Tensor& x) {
  OpScope scope("softplus");
  detail::require_defined(x, "softplus");
  DType dt = floating(x.dtype());
  return detail::unary_op(
      "softplus", softplus, x, dt, dt,
      [](auto v) {
        using T = decltype(v);
        // log(1 + e^v) = max(v, 0) + log1p(e^-|v|): no overflow for large |v|.
        return static_cast<T>((v > T(0) ? v : T(0)) + std::log1p(std::exp(-std::abs(v))));
      },
      [](const Tensor& in, const Tensor&, const Tensor& g) { return g * sigmoid(in); });
}

Tensor erf(const Tensor& x) {
  OpScope scope("erf");
  detail::require_defined(x, "erf");
  DType dt = floating(x.dtype());
  return detail::unary_op(
      "erf", erf, x, dt, dt, [](auto v) { return std::erf(v); },
      // d/dx erf(x) = 2/sqrt(pi) e^{-x^2}
      [](const Tensor& in, const Tensor&, const Tensor& g) {
        return g * exp(-square(in)) * 1.1283791670955125738961589031215;
      });
}

// round, floor and sign have no gradient (nullptr): the tape records a cut. On integers
// they are the identity (round, floor) or -1/0/1 (sign), in the operand's dtype.
Tensor round(const Tensor& x) {
  OpScope scope("round");
  detail::require_defined(x, "round");
  DType dt = arithmetic(x.dtype());
  return detail::unary_op(
      "round", round, x, dt, dt,
      [](auto v) {
        using T = decltype(v);
        // nearbyint rounds in the default mode, round-half-to-even (like NumPy's rint).
        if constexpr (std::is_floating_point_v<T>)
          return std::nearbyint(v);
        else
          return v;
      },
      nullptr);
}

Tensor floor(const Tensor& x) {
  OpScope scope("floor");
  detail::require_defined(x, "floor");
  DType dt = arithmetic(x.dtype());
  return detail::unary_op(
      "floor", floor, x, dt, dt,
      [](auto v) {
        using T = decltype(v);
        if constexpr (std::is_floating_point_v<T>) {
          // nearbyint gives floor(v) or ceil(v) whatever the rounding mode; step down from
          // ceil. Unlike std::floor (under -ftrapping-math), this loop vectorises.
          T r = std::nearbyint(v);
          return r > v ? static_cast<T>(r - 1) : r;  // inf, NaN and -0 pass through
        } else {
          return v;
        }
      },
      nullptr);
}

Tensor sign(const Tensor& x) {
  OpScope scope("sign");
  detail::require_defined(x, "sign");
  DType dt = arithmetic(x.dtype());
  return detail::unary_op(
      "sign", sign, x, dt, dt,
      [](auto v) {
        using T = decltype(v);
        return v > T(0) ? T(1) : (v < T(0) ? T(-1) : v);  // 0 and NaN stay as they are
      },
      nullptr);
}

namespace {
// A clip bound in the compute type T; integer bounds saturate to T's range.
template <class T>
T bound_as(Scalar s) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(s.as_double());
  } else if constexpr (std::is_same_v<T, bool>) {
    return s.as_double() != 0.0;
  } else {
    std::int64_t v = s.as_int();
    v = std::max<std::int64_t>(v, std::numeric_limits<T>::min());
    v = std::min<std::int64_t>(v, std::numeric_limits<T>::max());
    return static_cast<T>(v);
  }
}
}  // namespace

Tensor clip(const Tensor& x, Scalar lo, Scalar hi) {
  OpScope scope("clip");
  detail::require_defined(x, "clip");
  bool ints = lo.kind() != ScalarKind::Float && hi.kind() != ScalarKind::Float;
  bool nan = std::isnan(lo.as_double()) || std::isnan(hi.as_double());
  bool ordered = ints ? lo.as_int() <= hi.as_int() : lo.as_double() <= hi.as_double();
  if (nan || !ordered)
    throw ValueError({.op = "clip",
                      .problem = nan ? "a clip bound is NaN" : "the lower clip bound is above the upper one",
                      .expected = "lo <= hi",
                      .found = fmt::format("lo = {}, hi = {}", lo.str(), hi.str()),
                      .hint = "pass the bounds in order: lm::clip(x, lo, hi)"});
  DType dt = result_type(result_type(x.dtype(), lo.kind()), hi.kind());
  // The bounds are not tensors, so the symbolic replay is built here rather than by
  // unary_op (whose replay takes a plain unary function).
  if (x.is_symbolic())
    return symbolic_op("clip", {x}, TensorSpec{x.shape(), dt, x.mask_rank()},
                       [lo, hi](const TensorList& in) { return clip(in[0], lo, hi); },
                       nlohmann::json{{"lo", detail::scalar_json(lo)}, {"hi", detail::scalar_json(hi)}}.dump());
  return detail::unary_op(
      "clip", nullptr, x, dt, dt,
      [lo, hi](auto v) {
        using T = decltype(v);
        const T l = bound_as<T>(lo), h = bound_as<T>(hi);
        return v < l ? l : (v > h ? h : v);  // NaN passes through
      },
      [lo, hi](const Tensor& in, const Tensor&, const Tensor& g) {
        return gate(g, logical_and(greater(in, lo), less(in, hi)));
      });
}

}  // namespace lamina
