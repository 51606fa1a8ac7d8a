#include "lamina/layers/initializers.hpp"

#include <fmt/format.h>

#include <cmath>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "layers/support/spelling.hpp"

// LAPACK from OpenBLAS (Fortran interface): QR factorisation and forming Q.
extern "C" {
void dgeqrf_(const int* m, const int* n, double* a, const int* lda, double* tau, double* work, const int* lwork,
             int* info);
void dorgqr_(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau, double* work,
             const int* lwork, int* info);
}

namespace lamina {
InitializerSpec::InitializerSpec(const std::string& name) : name_(name), fn_(initializers::get(name)) {}
InitializerSpec::InitializerSpec(Initializer fn, std::string name) : name_(std::move(name)), fn_(std::move(fn)) {
  if (!fn_)
    throw ValueError({.op = "InitializerSpec",
                      .problem = "the initializer '" + name_ + "' is an empty callable",
                      .expected = "a callable Tensor(const Shape&, DType, Generator&) or an initializer name",
                      .found = "an empty function",
                      .hint = "pass a lambda or a name such as \"zeros\" or \"glorot_uniform\""});
}
}  // namespace lamina

namespace lamina::initializers {

namespace {

Tensor from_draws(const Shape& shape, DType dtype, const std::function<double()>& draw) {
  std::vector<double> v(static_cast<std::size_t>(shape.numel()));
  for (auto& x : v) x = draw();
  return tensor(v, shape, dtype);
}

double truncated(Generator& gen, double mean, double stddev) {
  for (;;) {
    double z = gen.normal();
    if (std::fabs(z) <= 2.0) return mean + stddev * z;
  }
}

// Keras's VarianceScaling with a truncated normal divides by this so the variance is scale/n.
constexpr double kTruncatedStd = 0.87962566103423978;

Initializer truncated_scaled(double scale, bool use_fan_out_avg) {
  return [=](const Shape& s, DType dt, Generator& gen) {
    auto [fin, fout] = fans(s);
    double n = use_fan_out_avg ? (fin + fout) / 2.0 : fin;
    double stddev = std::sqrt(scale / std::max(1.0, n)) / kTruncatedStd;
    return from_draws(s, dt, [&] { return truncated(gen, 0.0, stddev); });
  };
}

}  // namespace

std::pair<double, double> fans(const Shape& s) {
  if (s.rank() == 0) return {1, 1};
  if (s.rank() == 1) return {double(s[0]), double(s[0])};
  if (s.rank() == 2) return {double(s[0]), double(s[1])};
  double receptive = 1;
  for (std::int64_t i = 0; i < s.rank() - 2; ++i) receptive *= double(s[i]);
  return {double(s[s.rank() - 2]) * receptive, double(s[s.rank() - 1]) * receptive};
}

Initializer zeros() {
  return [](const Shape& s, DType dt, Generator&) { return lamina::zeros(s, dt); };
}
Initializer ones() {
  return [](const Shape& s, DType dt, Generator&) { return lamina::ones(s, dt); };
}
Initializer constant(double value) {
  return [value](const Shape& s, DType dt, Generator&) { return full(s, value, dt); };
}
Initializer random_normal(double mean, double stddev) {
  return [=](const Shape& s, DType dt, Generator& gen) {
    return from_draws(s, dt, [&] { return mean + stddev * gen.normal(); });
  };
}
Initializer random_uniform(double minval, double maxval) {
  return [=](const Shape& s, DType dt, Generator& gen) {
    return from_draws(s, dt, [&] { return minval + (maxval - minval) * gen.uniform(); });
  };
}
Initializer truncated_normal(double mean, double stddev) {
  return [=](const Shape& s, DType dt, Generator& gen) {
    return from_draws(s, dt, [&] { return truncated(gen, mean, stddev); });
  };
}
Initializer glorot_uniform() {
  return [](const Shape& s, DType dt, Generator& gen) {
    auto [fin, fout] = fans(s);
    double limit = std::sqrt(6.0 / std::max(1.0, fin + fout));
    return from_draws(s, dt, [&] { return -limit + 2 * limit * gen.uniform(); });
  };
}
Initializer he_uniform() {
  return [](const Shape& s, DType dt, Generator& gen) {
    double limit = std::sqrt(6.0 / std::max(1.0, fans(s).first));
    return from_draws(s, dt, [&] { return -limit + 2 * limit * gen.uniform(); });
  };
}
Initializer glorot_normal() { return truncated_scaled(1.0, true); }
Initializer he_normal() { return truncated_scaled(2.0, false); }
Initializer lecun_normal() { return truncated_scaled(1.0, false); }

Initializer orthogonal(double gain) {
  return [gain](const Shape& s, DType dt, Generator& gen) {
    if (s.rank() < 2)
      throw ShapeError({.op = "orthogonal",
                        .problem = "the orthogonal initializer needs a rank >= 2 shape",
                        .expected = "(rows, cols) or more",
                        .found = s.str(),
                        .hint = "use orthogonal for matrices (kernels); use glorot_uniform or zeros for vectors"});
    int cols = static_cast<int>(s[s.rank() - 1]);
    int rows = static_cast<int>(s.numel() / std::max<std::int64_t>(cols, 1));
    // Factor a tall random matrix (m >= n); transpose the result when the shape is wide.
    int m = std::max(rows, cols), n = std::min(rows, cols);
    if (m == 0 || n == 0) return lamina::zeros(s, dt);
    std::vector<double> a(static_cast<std::size_t>(m) * n);  // column-major m x n
    for (auto& x : a) x = gen.normal();
    std::vector<double> tau(static_cast<std::size_t>(n));
    int info = 0, lwork = -1;
    double wq = 0;
    dgeqrf_(&m, &n, a.data(), &m, tau.data(), &wq, &lwork, &info);
    lwork = std::max(1, static_cast<int>(wq));
    std::vector<double> work(static_cast<std::size_t>(lwork));
    dgeqrf_(&m, &n, a.data(), &m, tau.data(), work.data(), &lwork, &info);
    // Sign correction (as Keras): multiply column j of Q by sign(R[j][j]) so Q is uniform.
    std::vector<double> sign(static_cast<std::size_t>(n));
    for (int j = 0; j < n; ++j)
      sign[static_cast<std::size_t>(j)] = a[static_cast<std::size_t>(j) * m + j] < 0 ? -1.0 : 1.0;
    dorgqr_(&m, &n, &n, a.data(), &m, tau.data(), work.data(), &lwork, &info);
    if (info != 0)
      throw ValueError({.op = "orthogonal",
                        .problem = "LAPACK QR failed",
                        .found = fmt::format("info = {}", info),
                        .hint = "the random matrix could not be factored; try another seed or initializer"});
    std::vector<double> out(static_cast<std::size_t>(rows) * cols);
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        double q = gain * sign[static_cast<std::size_t>(j)] * a[static_cast<std::size_t>(j) * m + i];
        // tall: out[i][j] = Q[i][j]; wide: out = Q^T, out[j][i] = Q[i][j]
        if (rows >= cols)
          out[static_cast<std::size_t>(i) * cols + j] = q;
        else
          out[static_cast<std::size_t>(j) * cols + i] = q;
      }
    return tensor(out, s, dt);
  };
}

Initializer get(const std::string& name) {
  if (name == "zeros") return zeros();
  if (name == "ones") return ones();
  if (name == "random_normal") return random_normal();
  if (name == "random_uniform" || name == "uniform") return random_uniform();
  if (name == "truncated_normal") return truncated_normal();
  if (name == "glorot_uniform") return glorot_uniform();
  if (name == "glorot_normal") return glorot_normal();
  if (name == "he_normal") return he_normal();
  if (name == "he_uniform") return he_uniform();
  if (name == "lecun_normal") return lecun_normal();
  if (name == "orthogonal") return orthogonal();
  throw ValueError({.op = "initializers::get",
                    .problem = "unknown initializer '" + name + "'",
                    .expected = "one of zeros, ones, random_normal, random_uniform (uniform), truncated_normal, "
                                "glorot_uniform, glorot_normal, he_normal, he_uniform, lecun_normal, orthogonal",
                    .found = "'" + name + "'",
                    .hint = detail::did_you_mean(name,
                                                 {"zeros", "ones", "random_normal", "random_uniform", "uniform",
                                                  "truncated_normal", "glorot_uniform", "glorot_normal", "he_normal",
                                                  "he_uniform", "lecun_normal", "orthogonal"},
                                                 "pass one of the names above, or a callable initializer")});
}

}  // namespace lamina::initializers
