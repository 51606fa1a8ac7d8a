#pragma once
// Independent float64 reference for the recurrent layers: the cell formulas and Keras's
// mask semantics written out as plain loops, one sequence at a time, plus gradients by
// central differences of that reference. Nothing here calls Lamina's ops.
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace rnnref {

using Vec = std::vector<double>;

enum class Kind { Simple, LSTM, GRU, GRUBefore };  // GRUBefore: reset_after = false

inline int gates(Kind k) { return k == Kind::Simple ? 1 : k == Kind::LSTM ? 4 : 3; }
inline double sigm(double v) { return 1.0 / (1.0 + std::exp(-v)); }

struct Sizes {
  int B, T, F, U;
};

struct Params {  // Keras layouts, row-major
  Vec W;         // (F, G*U)
  Vec R;         // (U, G*U)
  Vec b;         // (G*U), or (2, 3U) for GRU with reset_after
  Vec h0, c0;    // (B, U); empty: zeros
};

struct Options {
  bool go_backwards = false;
  bool return_sequences = false;
  bool zero_output_for_mask = false;
};

struct Result {
  Vec y;  // (B, T, U) or (B, U)
  Vec h, c;
};

inline int bias_size(Kind k, int U) { return k == Kind::GRU ? 2 * 3 * U : gates(k) * U; }

// One cell step for one sequence: h (and c) updated from input row xt.
inline void cell_step(Kind k, const Sizes& s, const Params& p, const double* xt, Vec& h, Vec& c) {
  const int U = s.U, G = gates(k), GU = G * U;
  Vec xw(GU, 0.0), hr(GU, 0.0);
  for (int j = 0; j < GU; ++j) {
    for (int f = 0; f < s.F; ++f) xw[j] += xt[f] * p.W[f * GU + j];
    for (int q = 0; q < U; ++q) hr[j] += h[q] * p.R[q * GU + j];
  }
  const bool bias = !p.b.empty();
  auto bi = [&](int j) { return bias ? p.b[j] : 0.0; };
  Vec hn(U), cn(U);
  if (k == Kind::Simple) {
    for (int j = 0; j < U; ++j) hn[j] = std::tanh(xw[j] + hr[j] + bi(j));
  } else if (k == Kind::LSTM) {
    for (int j = 0; j < U; ++j) {
      double i = sigm(xw[j] + hr[j] + bi(j));
      double f = sigm(xw[U + j] + hr[U + j] + bi(U + j));
      double g = std::tanh(xw[2 * U + j] + hr[2 * U + j] + bi(2 * U + j));
      double o = sigm(xw[3 * U + j] + hr[3 * U + j] + bi(3 * U + j));
      cn[j] = f * c[j] + i * g;
      hn[j] = o * std::tanh(cn[j]);
    }
    c = cn;
  } else if (k == Kind::GRU) {  // reset_after: bias rows [input; recurrent]
    for (int j = 0; j < U; ++j) {
      double z = sigm(xw[j] + bi(j) + hr[j] + bi(GU + j));
      double r = sigm(xw[U + j] + bi(U + j) + hr[U + j] + bi(GU + U + j));
      double hh = std::tanh(xw[2 * U + j] + bi(2 * U + j) + r * (hr[2 * U + j] + bi(GU + 2 * U + j)));
      hn[j] = z * h[j] + (1 - z) * hh;
    }
  } else {  // reset before the recurrent product: hh = tanh(x Wh + (r h) Rh + bh)
    Vec r(U);
    for (int j = 0; j < U; ++j) r[j] = sigm(xw[U + j] + hr[U + j] + bi(U + j));
    for (int j = 0; j < U; ++j) {
      double z = sigm(xw[j] + hr[j] + bi(j));
      double rh = 0;
      for (int q = 0; q < U; ++q) rh += r[q] * h[q] * p.R[q * GU + 2 * U + j];
      double hh = std::tanh(xw[2 * U + j] + rh + bi(2 * U + j));
      hn[j] = z * h[j] + (1 - z) * hh;
    }
  }
  h = hn;
}

// x (B, T, F); mask (B, T) (empty: all valid).
inline Result run(Kind k, const Sizes& s, const Params& p, const Vec& x, const std::vector<char>& mask,
                  const Options& o) {
  const int B = s.B, T = s.T, U = s.U;
  Result res;
  res.y.assign(static_cast<std::size_t>(o.return_sequences ? B * T * U : B * U), 0.0);
  res.h.resize(static_cast<std::size_t>(B * U));
  res.c.resize(static_cast<std::size_t>(B * U));
  for (int b = 0; b < B; ++b) {
    Vec h(U, 0.0), c(U, 0.0), prev(U, 0.0);
    if (!p.h0.empty()) h.assign(p.h0.begin() + b * U, p.h0.begin() + (b + 1) * U);
    if (!p.c0.empty()) c.assign(p.c0.begin() + b * U, p.c0.begin() + (b + 1) * U);
    for (int st = 0; st < T; ++st) {
      int t = o.go_backwards ? T - 1 - st : st;
      bool valid = mask.empty() || mask[b * T + t];
      Vec out(U, 0.0);
      if (valid) {
        cell_step(k, s, p, &x[static_cast<std::size_t>((b * T + t) * s.F)], h, c);
        out = h;
        prev = h;
      } else if (!o.zero_output_for_mask) {
        out = prev;  // the previous output (zeros before the first valid step)
      }
      if (o.return_sequences)
        for (int j = 0; j < U; ++j) res.y[static_cast<std::size_t>((b * T + st) * U + j)] = out[j];
    }
    if (!o.return_sequences)
      for (int j = 0; j < U; ++j) res.y[static_cast<std::size_t>(b * U + j)] = prev[j];
    for (int j = 0; j < U; ++j) {
      res.h[static_cast<std::size_t>(b * U + j)] = h[j];
      res.c[static_cast<std::size_t>(b * U + j)] = c[j];
    }
  }
  return res;
}

// Central-difference gradient of loss(v) w.r.t. every entry of v (in place, restored).
inline Vec numeric_grad(Vec& v, const std::function<double()>& loss, double eps = 1e-6) {
  Vec g(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    double keep = v[i];
    v[i] = keep + eps;
    double up = loss();
    v[i] = keep - eps;
    double down = loss();
    v[i] = keep;
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}

inline double dot(const Vec& a, const Vec& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) s += a[i] * b[i];
  return s;
}

inline Vec random_vec(std::size_t n, std::mt19937_64& rng, double scale = 0.5) {
  std::uniform_real_distribution<double> d(-scale, scale);
  Vec v(n);
  for (auto& e : v) e = d(rng);
  return v;
}

}  // namespace rnnref
