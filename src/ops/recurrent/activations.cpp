// Fused activations for the recurrent kernels. float32 uses our own exp, written so the
// compiler vectorises it (glibc's expf/tanhf are scalar calls and would cost as much as
// the recurrent GEMM); float64 -- the precision path used by tests -- uses the C library.
#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include "core/cpu_clones.hpp"
#include "lamina/core/error.hpp"
#include "ops/recurrent/sequence.hpp"

namespace lamina::detail::rnn {

namespace {
const std::pair<const char*, Act> kFused[] = {
    {"tanh", Act::Tanh},        {"sigmoid", Act::Sigmoid}, {"hard_sigmoid", Act::HardSigmoid},
    {"relu", Act::Relu},        {"linear", Act::Linear},   {"softsign", Act::Softsign},
    {"elu", Act::Elu},          {"selu", Act::Selu},       {"exponential", Act::Exponential},
    {"softplus", Act::Softplus}};
}  // namespace

bool is_fused_activation(const std::string& name) {
  for (const auto& [n, a] : kFused)
    if (name == n) return true;
  return false;
}

Act parse_activation(const std::string& name, const char* option) {
  std::string known;
  for (const auto& [n, a] : kFused) {
    if (name == n) return a;
    known += (known.empty() ? "\"" : ", \"") + std::string(n) + "\"";
  }
  throw ValueError({.problem = std::string("unsupported ") + option + " for a fused recurrent op",
                    .expected = "one of " + known,
                    .found = "\"" + name + "\"",
                    .hint = "the recurrent kernels fuse the activation into their gate pass and take its derivative "
                            "from its output, which rules out swish/gelu and callables; the layers (LSTM, GRU, "
                            "SimpleRNN) accept any activation"});
}

namespace {

// e^x for float, relative error ~1e-7: x = n ln2 + r, |r| <= ln2/2, a degree-7 polynomial
// for e^r, and 2^n built in the exponent bits. Branch-free so loops over it vectorise.
inline float exp_approx(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  // Round to nearest by adding and removing 1.5 * 2^23 (vectorises without SSE4.1 rounding).
  float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = x - n * 0.693359375f + n * 2.12194440e-4f;  // ln2 split in two for accuracy
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  auto bits = static_cast<std::int32_t>(n + 127.0f) << 23;
  return p * std::bit_cast<float>(bits);
}

inline float sigmoid_f(float x) { return 1.0f / (1.0f + exp_approx(-x)); }
// tanh(x) = 1 - 2 / (e^{2x} + 1), with the sign restored; absolute error ~1e-7.
inline float tanh_f(float x) {
  float a = std::fabs(x);
  float t = 1.0f - 2.0f / (exp_approx(2.0f * a) + 1.0f);
  return std::copysign(t, x);
}

constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

// ELU (alpha 1) written with min() so the exp never overflows and the loop vectorises.
inline float elu_f(float x) { return x > 0.0f ? x : exp_approx(x < 0.0f ? x : 0.0f) - 1.0f; }
inline double elu_d(double x) { return x > 0.0 ? x : std::expm1(x); }
// softplus(x) = max(x, 0) + log1p(e^-|x|): no overflow for large |x|.
inline float softplus_f(float x) { return (x > 0.0f ? x : 0.0f) + std::log1p(exp_approx(-std::fabs(x))); }
inline double softplus_d(double x) { return (x > 0.0 ? x : 0.0) + std::log1p(std::exp(-std::fabs(x))); }

template <class T>
inline T hard_sigmoid(T x) {
  T y = x / T(6) + T(0.5);
  return y < T(0) ? T(0) : (y > T(1) ? T(1) : y);
}

}  // namespace

// The gate activations are most of a recurrent step's own arithmetic: compiled per ISA.
template <>
LAMINA_CPU_CLONES void activate<float>(Act a, float* v, std::int64_t n) {
  switch (a) {
    case Act::Linear:
      return;
    case Act::Tanh:
      for (std::int64_t i = 0; i < n; ++i) v[i] = tanh_f(v[i]);
      return;
    case Act::Sigmoid:
      for (std::int64_t i = 0; i < n; ++i) v[i] = sigmoid_f(v[i]);
      return;
    case Act::HardSigmoid:
      for (std::int64_t i = 0; i < n; ++i) v[i] = hard_sigmoid(v[i]);
      return;
    case Act::Relu:
      for (std::int64_t i = 0; i < n; ++i) v[i] = v[i] > 0.0f ? v[i] : 0.0f;
      return;
    case Act::Softsign:
      for (std::int64_t i = 0; i < n; ++i) v[i] = v[i] / (1.0f + std::fabs(v[i]));
      return;
    case Act::Elu:
      for (std::int64_t i = 0; i < n; ++i) v[i] = elu_f(v[i]);
      return;
    case Act::Selu:
      for (std::int64_t i = 0; i < n; ++i)
        v[i] = static_cast<float>(kSeluScale) * (v[i] > 0.0f ? v[i] : static_cast<float>(kSeluAlpha) * elu_f(v[i]));
      return;
    case Act::Exponential:
      for (std::int64_t i = 0; i < n; ++i) v[i] = exp_approx(v[i]);
      return;
    case Act::Softplus:
      for (std::int64_t i = 0; i < n; ++i) v[i] = softplus_f(v[i]);
      return;
  }
}

template <>
void activate<double>(Act a, double* v, std::int64_t n) {
  switch (a) {
    case Act::Linear:
      return;
    case Act::Tanh:
      for (std::int64_t i = 0; i < n; ++i) v[i] = std::tanh(v[i]);
      return;
    case Act::Sigmoid:
      for (std::int64_t i = 0; i < n; ++i) v[i] = 1.0 / (1.0 + std::exp(-v[i]));
      return;
    case Act::HardSigmoid:
      for (std::int64_t i = 0; i < n; ++i) v[i] = hard_sigmoid(v[i]);
      return;
    case Act::Relu:
      for (std::int64_t i = 0; i < n; ++i) v[i] = v[i] > 0.0 ? v[i] : 0.0;
      return;
    case Act::Softsign:
      for (std::int64_t i = 0; i < n; ++i) v[i] = v[i] / (1.0 + std::fabs(v[i]));
      return;
    case Act::Elu:
      for (std::int64_t i = 0; i < n; ++i) v[i] = elu_d(v[i]);
      return;
    case Act::Selu:
      for (std::int64_t i = 0; i < n; ++i) v[i] = kSeluScale * (v[i] > 0.0 ? v[i] : kSeluAlpha * elu_d(v[i]));
      return;
    case Act::Exponential:
      for (std::int64_t i = 0; i < n; ++i) v[i] = std::exp(v[i]);
      return;
    case Act::Softplus:
      for (std::int64_t i = 0; i < n; ++i) v[i] = softplus_d(v[i]);
      return;
  }
}

// Derivatives from the activated outputs (the kernels keep no pre-activations). Unlike
// logsumexp's exp(x - out), whose error grows with |out|, each of these is off by at most
// a few ulps of 1 in absolute terms (1 - y^2 and y (1 - y) where y rounds to +-1 or 1,
// y + 1 for elu near -1), and exactly 0 where the true derivative underflows anyway; the
// public tanh and sigmoid ops, which have their inputs, keep relative accuracy instead.
template <class T>
LAMINA_CPU_CLONES void scale_by_derivative(Act a, const T* y, T* g, std::int64_t n) {
  switch (a) {
    case Act::Linear:
      return;
    case Act::Tanh:
      for (std::int64_t i = 0; i < n; ++i) g[i] *= T(1) - y[i] * y[i];
      return;
    case Act::Sigmoid:
      for (std::int64_t i = 0; i < n; ++i) g[i] *= y[i] * (T(1) - y[i]);
      return;
    case Act::HardSigmoid:
      for (std::int64_t i = 0; i < n; ++i) g[i] *= (y[i] > T(0) && y[i] < T(1)) ? T(1) / T(6) : T(0);
      return;
    case Act::Relu:
      for (std::int64_t i = 0; i < n; ++i) g[i] *= y[i] > T(0) ? T(1) : T(0);
      return;
    case Act::Softsign:
      for (std::int64_t i = 0; i < n; ++i) g[i] *= (T(1) - std::fabs(y[i])) * (T(1) - std::fabs(y[i]));
      return;
    case Act::Elu:  // y = e^x - 1 for x <= 0, so dy/dx = y + 1
      for (std::int64_t i = 0; i < n; ++i) g[i] *= y[i] > T(0) ? T(1) : y[i] + T(1);
      return;
    case Act::Selu:  // y = scale alpha (e^x - 1) for x <= 0, so dy/dx = y + scale alpha
      for (std::int64_t i = 0; i < n; ++i) g[i] *= y[i] > T(0) ? T(kSeluScale) : y[i] + T(kSeluScale * kSeluAlpha);
      return;
    case Act::Exponential:
      for (std::int64_t i = 0; i < n; ++i) g[i] *= y[i];
      return;
    case Act::Softplus:  // sigmoid(x) = 1 - e^-softplus(x)
      for (std::int64_t i = 0; i < n; ++i) g[i] *= -std::expm1(-y[i]);
      return;
  }
}

template void scale_by_derivative<float>(Act, const float*, float*, std::int64_t);
template void scale_by_derivative<double>(Act, const double*, double*, std::int64_t);

}  // namespace lamina::detail::rnn
