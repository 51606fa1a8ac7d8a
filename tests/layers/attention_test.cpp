// Attention and MultiHeadAttention: values against hand computation (Attention) and a
// plain-loop reference (MultiHeadAttention), key/query masks, fully masked rows (zeros,
// no NaN), causal and explicit masks, scores, gradients, symbolic specs and errors.
#include "lamina/layers/attention.hpp"

#include <cmath>
#include <functional>

#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;
using ::testing::HasSubstr;

namespace {

lm::Tensor bools(const std::vector<bool>& v, const lm::Shape& s) { return lm::tensor(v, s, lm::Bool); }
void set(lm::Variable v, const lm::Tensor& value) { v.assign(value); }
constexpr double kTol = 1e-5;  // float32 results
const double e = std::exp(1.0);

// query (1, 2, 2) rows q0 = (1, 0), q1 = (0, 1); value = key (1, 3, 2) rows
// v0 = (1, 0), v1 = (0, 1), v2 = (1, 1). Dot scores: q0 -> (1, 0, 1), q1 -> (0, 1, 1).
lm::Tensor query(lm::DType dt = lm::Float32) { return lm::tensor({{{1.0, 0.0}, {0.0, 1.0}}}, dt); }
lm::Tensor value(lm::DType dt = lm::Float32) { return lm::tensor({{{1.0, 0.0}, {0.0, 1.0}, {1.0, 1.0}}}, dt); }

bool all_finite(const lm::Tensor& t) {
  for (double x : t.to_vector<double>())
    if (!std::isfinite(x)) return false;
  return true;
}

}  // namespace

// ---- Attention ------------------------------------------------------------------------------

TEST(Attention, DotProductValues) {
  auto outs = Attention({.return_attention_scores = true})({query(), value()});
  ASSERT_EQ(outs.size(), 2u);
  // q0: softmax(1, 0, 1) = (e, 1, e) / (2e + 1); output = (e*v0 + v1 + e*v2) / (2e + 1) = (2e, 1 + e) / (2e + 1)
  // q1: softmax(0, 1, 1) = (1, e, e) / (2e + 1); output = (v0 + e*v1 + e*v2) / (2e + 1) = (1 + e, 2e) / (2e + 1)
  const double d = 2 * e + 1;
  EXPECT_VALUES(outs[0], {2 * e / d, (1 + e) / d, (1 + e) / d, 2 * e / d}, kTol);
  EXPECT_VALUES(outs[1], {e / d, 1 / d, e / d, 1 / d, e / d, e / d}, kTol);
  EXPECT_SHAPE(outs[1], lm::Shape({1, 2, 3}));
  EXPECT_FALSE(outs[0].has_mask());
  EXPECT_EQ(Attention()({query(), value()}).size(), 1u);
}

TEST(Attention, KeyMaskExcludesKeys) {
  auto v = value().with_mask(bools({true, true, false}, {1, 3}));  // v2 is padding
  auto outs = Attention({.return_attention_scores = true})({query(), v});
  // q0: softmax over (1, 0) = (e, 1) / (e + 1) -> output (e, 1) / (e + 1)
  // q1: softmax over (0, 1) = (1, e) / (1 + e) -> output (1, e) / (1 + e)
  const double d = e + 1;
  EXPECT_VALUES(outs[0], {e / d, 1 / d, 1 / d, e / d}, kTol);
  EXPECT_VALUES(outs[1], {e / d, 1 / d, 0, 1 / d, e / d, 0}, kTol);  // 0 at the masked key
  EXPECT_FALSE(outs[0].has_mask());                                  // output mask = query mask, and the query has none
}

TEST(Attention, QueryMaskPassesToTheOutput) {
  auto q = query().with_mask(bools({true, false}, {1, 2}));  // q1 is padding
  auto outs = Attention({.return_attention_scores = true})({q, value()});
  const double d = 2 * e + 1;
  EXPECT_VALUES(outs[0], {2 * e / d, (1 + e) / d, 0, 0}, kTol);  // padded query row: zeros
  EXPECT_MASK(outs[0], lm::Shape({1, 2}), {true, false});
  EXPECT_VALUES(outs[1], {e / d, 1 / d, e / d, 0, 0, 0}, kTol);
  EXPECT_MASK(outs[1], lm::Shape({1, 2}), {true, false});
  // A (batch,) mask: batch row 1 is padding as a whole; the output keeps the (batch,) mask.
  auto q2 = lm::concat({query(), query()}, 0).with_mask(bools({true, false}, {2}));
  auto y = Attention()({q2, lm::concat({value(), value()}, 0)})[0];
  EXPECT_VALUES(y, {2 * e / d, (1 + e) / d, (1 + e) / d, 2 * e / d, 0, 0, 0, 0}, kTol);
  EXPECT_MASK(y, lm::Shape({2}), {true, false});
}

TEST(Attention, FullyMaskedKeyRowGivesZerosNotNaN) {
  // Batch row 0 has keys v0, v1 valid; batch row 1 has no valid key at all.
  auto q = lm::concat({query(), query()}, 0);
  auto v = lm::concat({value(), value()}, 0).with_mask(bools({true, true, false, false, false, false}, {2, 3}));
  auto outs = Attention({.return_attention_scores = true})({q, v});
  const double d = e + 1;
  EXPECT_VALUES(outs[0], {e / d, 1 / d, 1 / d, e / d, 0, 0, 0, 0}, kTol);
  EXPECT_VALUES(outs[1], {e / d, 1 / d, 0, 1 / d, e / d, 0, 0, 0, 0, 0, 0, 0}, kTol);
  EXPECT_TRUE(all_finite(outs[0]));
  EXPECT_TRUE(all_finite(outs[1]));
  // The same with a scale and causal mask on top, and through the gradient.
  auto att = Attention({.use_scale = true, .use_causal_mask = true});
  auto q64 = lm::cast(q, lm::Float64);
  auto v64 = lm::cast(v, lm::Float64);
  lm::GradientTape tape;
  tape.watch(q64);
  auto y = att({q64, v64})[0];
  EXPECT_TRUE(all_finite(y));
  auto g = tape.gradient(lm::sum(y), q64);
  ASSERT_TRUE(g.has_value());
  EXPECT_TRUE(all_finite(*g));
}

TEST(Attention, CausalMask) {
  auto outs = Attention({.use_causal_mask = true, .return_attention_scores = true})({query(), value()});
  // q0 sees k0 only: output v0 = (1, 0). q1 sees k0, k1: softmax(0, 1) = (1, e) / (1 + e).
  const double d = 1 + e;
  EXPECT_VALUES(outs[0], {1, 0, 1 / d, e / d}, kTol);
  EXPECT_VALUES(outs[1], {1, 0, 0, 1 / d, e / d, 0}, kTol);
  // Causal AND key mask: with k1 padded, q1 sees k0 only.
  auto v = value().with_mask(bools({true, false, true}, {1, 3}));
  auto y = Attention({.use_causal_mask = true})({query(), v})[0];
  EXPECT_VALUES(y, {1, 0, 1, 0}, kTol);
}

TEST(Attention, UseScale) {
  auto att = Attention({.use_scale = true, .return_attention_scores = true, .name = "scaled"});
  auto outs = att({query(), value()});
  ASSERT_EQ(att->weights().size(), 1u);
  EXPECT_EQ(att->scale().name(), "scaled/scale");
  EXPECT_VALUES(att->scale().value(), {1});  // Keras initialises it to 1
  set(att->scale(), lm::scalar(2.f));
  outs = att({query(), value()});
  // q0 scores 2 * (1, 0, 1) -> (e^2, 1, e^2) / (2e^2 + 1); output (2e^2, 1 + e^2) / (2e^2 + 1)
  const double e2 = e * e, d = 2 * e2 + 1;
  EXPECT_VALUES(outs[1], {e2 / d, 1 / d, e2 / d, 1 / d, e2 / d, e2 / d}, kTol);
  EXPECT_VALUES(outs[0], {2 * e2 / d, (1 + e2) / d, (1 + e2) / d, 2 * e2 / d}, kTol);
  // The scale is trainable: it gets a gradient.
  lm::GradientTape tape;
  auto y = att({query(), value()})[0];
  auto g = tape.gradient(lm::sum(y * y), att->trainable_weights());
  EXPECT_TRUE(g[0].has_value());
}

TEST(Attention, SeparateKeyAndItsMask) {
  auto v = lm::tensor({{{1.f, 2.f}, {3.f, 4.f}, {5.f, 6.f}}});
  auto k = lm::tensor({{{1.f, 0.f}, {0.f, 1.f}, {0.f, 0.f}}});
  // q0 scores (1, 0, 0): weights (e, 1, 1) / (e + 2); output (e + 8, 2e + 10) / (e + 2)
  // q1 scores (0, 1, 0): weights (1, e, 1) / (e + 2); output (6 + 3e, 8 + 4e) / (e + 2)
  const double d = e + 2;
  EXPECT_VALUES(Attention()({query(), v, k})[0], {(e + 8) / d, (2 * e + 10) / d, (6 + 3 * e) / d, (8 + 4 * e) / d},
                kTol);
  // A mask on the key excludes k2 too: q0 weights (e, 1) / (e + 1) -> (e + 3, 2e + 4) / (e + 1)
  auto km = k.with_mask(bools({true, true, false}, {1, 3}));
  const double d1 = e + 1;
  EXPECT_VALUES(Attention()({query(), v, km})[0], {(e + 3) / d1, (2 * e + 4) / d1, (1 + 3 * e) / d1, (2 + 4 * e) / d1},
                kTol);
}

TEST(Attention, ConcatScoreMode) {
  auto att = Attention({.score_mode = "concat", .return_attention_scores = true, .name = "additive"});
  auto outs = att({query(), value()});
  EXPECT_EQ(att->concat_score_weight().name(), "additive/concat_score_weight");
  // score(i, j) = sum_d tanh(q_id + k_jd):
  //   q0 + k0 = (2, 0) -> tanh 2;  q0 + k1 = (1, 1) -> 2 tanh 1;  q0 + k2 = (2, 1) -> tanh 2 + tanh 1
  //   q1 + k0 = (1, 1) -> 2 tanh 1;  q1 + k1 = (0, 2) -> tanh 2;  q1 + k2 = (1, 2) -> tanh 1 + tanh 2
  const double t1 = std::tanh(1.0), t2 = std::tanh(2.0);
  auto softmax3 = [](double a, double b, double c) {
    double s = std::exp(a) + std::exp(b) + std::exp(c);
    return std::vector<double>{std::exp(a) / s, std::exp(b) / s, std::exp(c) / s};
  };
  auto w0 = softmax3(t2, 2 * t1, t2 + t1), w1 = softmax3(2 * t1, t2, t1 + t2);
  EXPECT_VALUES(outs[1], {w0[0], w0[1], w0[2], w1[0], w1[1], w1[2]}, kTol);
  EXPECT_VALUES(outs[0], {w0[0] + w0[2], w0[1] + w0[2], w1[0] + w1[2], w1[1] + w1[2]}, kTol);
}

TEST(Attention, DropoutOnlyInTraining) {
  auto att = Attention({.dropout = 0.5, .seed = 7, .return_attention_scores = true});
  auto plain = att({query(), value()});
  auto trained = att({query(), value()}, {.training = true});
  auto p = plain[1].to_vector<double>(), t = trained[1].to_vector<double>();
  for (std::size_t i = 0; i < p.size(); ++i)  // each weight is dropped (0) or scaled by 1 / (1 - 0.5)
    EXPECT_TRUE(std::abs(t[i]) < 1e-7 || std::abs(t[i] - 2 * p[i]) < kTol) << i;
  const double d = 2 * e + 1;
  EXPECT_VALUES(plain[0], {2 * e / d, (1 + e) / d, (1 + e) / d, 2 * e / d}, kTol);
}

TEST(Attention, Gradients) {
  auto q = lm::tensor({{{0.3, -1.2}, {0.8, 0.1}, {-0.5, 0.4}}, {{1.1, 0.2}, {-0.3, 0.9}, {0.6, -0.7}}})
               .with_mask(bools({true, true, false, true, false, true}, {2, 3}));
  auto v = lm::tensor({{{0.5, 1.0, -1.0}, {2.0, -0.5, 0.3}}, {{-1.5, 0.2, 0.7}, {0.4, 0.4, -2.0}}})
               .with_mask(bools({true, false, false, false}, {2, 2}));  // batch row 1: no valid key
  auto k = lm::tensor({{{0.2, 0.1}, {-0.4, 1.3}}, {{0.9, -0.6}, {0.05, 0.7}}});
  auto dot = Attention();
  EXPECT_GRADCHECK([&](const lm::TensorList& in) { return dot(in)[0]; }, {q, v, k});
  auto scaled = Attention({.use_scale = true, .use_causal_mask = true});
  EXPECT_GRADCHECK([&](const lm::TensorList& in) { return scaled(in)[0]; }, {q, v, k});
  auto concat = Attention({.use_scale = true, .score_mode = "concat"});
  EXPECT_GRADCHECK([&](const lm::TensorList& in) { return concat(in)[0]; }, {q, v, k});
  auto scores = Attention({.return_attention_scores = true});
  EXPECT_GRADCHECK([&](const lm::TensorList& in) { return scores(in)[1]; }, {q, v, k});
}

TEST(Attention, SymbolicSpecs) {
  auto q = lm::Input({lm::None, 4}).with_mask(lm::Input({lm::None}, lm::Bool));
  auto v = lm::Input({lm::None, 6});
  auto k = lm::Input({lm::None, 4});
  auto outs = Attention({.use_causal_mask = true, .return_attention_scores = true})({q, v, k});
  EXPECT_EQ(outs[0].spec().str(), "float32 (None, None, 6) mask (None, None)");
  EXPECT_EQ(outs[1].spec().str(), "float32 (None, None, None) mask (None, None)");
  EXPECT_EQ(Attention()({lm::Input({5, 4}), lm::Input({7, 4})})[0].spec().str(), "float32 (None, 5, 4)");
  // Known lengths: the causal mask is built while the batch is still unknown.
  EXPECT_EQ(Attention({.use_causal_mask = true})({lm::Input({5, 4}), lm::Input({7, 4})})[0].spec().str(),
            "float32 (None, 5, 4)");
}

TEST(Attention, Errors) {
  auto att = Attention({.name = "att"});
  EXPECT_LAMINA_ERROR(att({query()}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("layer 'att' (Attention)"));
    EXPECT_THAT(msg, HasSubstr("1 input"));
  });
  EXPECT_LAMINA_ERROR(Attention()({query(), value(), value(), value()}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("4 inputs")); });
  EXPECT_LAMINA_ERROR(Attention({.name = "att2"})({lm::ones({1, 2}), value()}), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("layer 'att2' (Attention)"));
    EXPECT_THAT(msg, HasSubstr("query (1, 2), value (1, 3, 2)"));
  });
  EXPECT_LAMINA_ERROR(Attention()({lm::ones({1, 2, 3}), value()}), lm::ShapeError,
                      { EXPECT_THAT(msg, HasSubstr("feature sizes differ")); });
  EXPECT_LAMINA_ERROR(Attention()({query(), value(), lm::ones({1, 4, 2})}), lm::ShapeError,
                      { EXPECT_THAT(msg, HasSubstr("same number of time steps")); });
  EXPECT_LAMINA_ERROR(Attention()({lm::ones({2, 2, 2}), value()}), lm::ShapeError,
                      { EXPECT_THAT(msg, HasSubstr("batch sizes")); });
  EXPECT_LAMINA_ERROR(Attention({.score_mode = "general", .name = "att3"}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("layer 'att3' (Attention)"));
    EXPECT_THAT(msg, HasSubstr("general"));
  });
  EXPECT_LAMINA_ERROR(Attention({.dropout = 1.0}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("dropout")); });
}

// ---- MultiHeadAttention: a plain-loop reference ---------------------------------------------

namespace {

struct MhaCase {
  std::int64_t B, Tq, Tv, Fq, Fv, Fk, H, kd, vd, Fo;
  bool bias = true;
  std::vector<double> q, v, k;                         // (B,Tq,Fq), (B,Tv,Fv), (B,Tv,Fk)
  std::vector<double> wq, bq, wk, bk, wv, bv, wo, bo;  // Keras layouts
  std::function<bool(std::int64_t, std::int64_t, std::int64_t)> valid = [](auto, auto, auto) { return true; };
};

// Deterministic, irregular test values (not from the library's random generator).
std::vector<double> filler(std::size_t n, double phase) {
  std::vector<double> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = 0.8 * std::sin(0.7 * static_cast<double>(i) + phase);
  return out;
}

// out (B, Tq, Fo) and scores (B, H, Tq, Tv), written out with loops.
std::pair<std::vector<double>, std::vector<double>> mha_reference(const MhaCase& c) {
  auto at = [](const std::vector<double>& a, std::initializer_list<std::int64_t> idx,
               std::initializer_list<std::int64_t> dims) {
    std::int64_t flat = 0;
    auto d = dims.begin();
    for (auto i : idx) flat = flat * *d++ + i;
    return a[static_cast<std::size_t>(flat)];
  };
  // Projections: P[b][h][t][d] = sum_f x[b,t,f] W[f,h,d] + bias[h,d]
  auto project = [&](const std::vector<double>& x, std::int64_t T, std::int64_t F, const std::vector<double>& w,
                     const std::vector<double>& b, std::int64_t D) {
    std::vector<double> p(static_cast<std::size_t>(c.B * c.H * T * D));
    for (std::int64_t bb = 0; bb < c.B; ++bb)
      for (std::int64_t h = 0; h < c.H; ++h)
        for (std::int64_t t = 0; t < T; ++t)
          for (std::int64_t d = 0; d < D; ++d) {
            double s = c.bias ? at(b, {h, d}, {c.H, D}) : 0.0;
            for (std::int64_t f = 0; f < F; ++f) s += at(x, {bb, t, f}, {c.B, T, F}) * at(w, {f, h, d}, {F, c.H, D});
            p[static_cast<std::size_t>(((bb * c.H + h) * T + t) * D + d)] = s;
          }
    return p;
  };
  auto Q = project(c.q, c.Tq, c.Fq, c.wq, c.bq, c.kd);
  auto K = project(c.k, c.Tv, c.Fk, c.wk, c.bk, c.kd);
  auto V = project(c.v, c.Tv, c.Fv, c.wv, c.bv, c.vd);
  std::vector<double> scores(static_cast<std::size_t>(c.B * c.H * c.Tq * c.Tv), 0.0);
  std::vector<double> O(static_cast<std::size_t>(c.B * c.Tq * c.H * c.vd), 0.0);  // (B, Tq, H, vd)
  for (std::int64_t b = 0; b < c.B; ++b)
    for (std::int64_t h = 0; h < c.H; ++h)
      for (std::int64_t i = 0; i < c.Tq; ++i) {
        std::vector<double> s(static_cast<std::size_t>(c.Tv));
        double mx = -1e300;
        bool any = false;
        for (std::int64_t j = 0; j < c.Tv; ++j) {
          double dotp = 0;
          for (std::int64_t d = 0; d < c.kd; ++d)
            dotp += at(Q, {b, h, i, d}, {c.B, c.H, c.Tq, c.kd}) * at(K, {b, h, j, d}, {c.B, c.H, c.Tv, c.kd});
          s[static_cast<std::size_t>(j)] = dotp / std::sqrt(static_cast<double>(c.kd));
          if (c.valid(b, i, j)) {
            any = true;
            mx = std::max(mx, s[static_cast<std::size_t>(j)]);
          }
        }
        if (!any) continue;  // no valid key: weights and output stay 0
        double z = 0;
        for (std::int64_t j = 0; j < c.Tv; ++j)
          z += c.valid(b, i, j) ? std::exp(s[static_cast<std::size_t>(j)] - mx) : 0;
        for (std::int64_t j = 0; j < c.Tv; ++j) {
          double p = c.valid(b, i, j) ? std::exp(s[static_cast<std::size_t>(j)] - mx) / z : 0;
          scores[static_cast<std::size_t>(((b * c.H + h) * c.Tq + i) * c.Tv + j)] = p;
          for (std::int64_t d = 0; d < c.vd; ++d)
            O[static_cast<std::size_t>(((b * c.Tq + i) * c.H + h) * c.vd + d)] +=
                p * at(V, {b, h, j, d}, {c.B, c.H, c.Tv, c.vd});
        }
      }
  std::vector<double> out(static_cast<std::size_t>(c.B * c.Tq * c.Fo));
  for (std::int64_t b = 0; b < c.B; ++b)
    for (std::int64_t i = 0; i < c.Tq; ++i)
      for (std::int64_t o = 0; o < c.Fo; ++o) {
        double s = c.bias ? c.bo[static_cast<std::size_t>(o)] : 0.0;
        for (std::int64_t h = 0; h < c.H; ++h)
          for (std::int64_t d = 0; d < c.vd; ++d)
            s += O[static_cast<std::size_t>(((b * c.Tq + i) * c.H + h) * c.vd + d)] *
                 at(c.wo, {h, d, o}, {c.H, c.vd, c.Fo});
        out[static_cast<std::size_t>((b * c.Tq + i) * c.Fo + o)] = s;
      }
  return {out, scores};
}

// Fills the case's inputs and weights and assigns the weights to the (built) layer.
void load(MhaCase& c, const MultiHeadAttention& mha) {
  auto put = [](const lm::Variable& var, std::vector<double>& dst, double phase) {
    dst = filler(static_cast<std::size_t>(var.shape().numel()), phase);
    set(var, lm::tensor(dst, var.shape(), lm::Float32));
    dst = var.value().to_vector<double>();  // the float32-rounded values the layer uses
  };
  put(mha->query_dense().kernel, c.wq, 0.1);
  put(mha->key_dense().kernel, c.wk, 0.2);
  put(mha->value_dense().kernel, c.wv, 0.3);
  put(mha->output_dense().kernel, c.wo, 0.4);
  if (c.bias) {
    put(mha->query_dense().bias, c.bq, 0.5);
    put(mha->key_dense().bias, c.bk, 0.6);
    put(mha->value_dense().bias, c.bv, 0.7);
    put(mha->output_dense().bias, c.bo, 0.8);
  }
}

MhaCase make_case(std::int64_t B, std::int64_t Tq, std::int64_t Tv, std::int64_t Fq, std::int64_t Fv, std::int64_t Fk,
                  std::int64_t H, std::int64_t kd, std::int64_t vd, std::int64_t Fo) {
  MhaCase c{B, Tq, Tv, Fq, Fv, Fk, H, kd, vd, Fo};
  c.q = filler(static_cast<std::size_t>(B * Tq * Fq), 1.0);
  c.v = filler(static_cast<std::size_t>(B * Tv * Fv), 2.0);
  c.k = filler(static_cast<std::size_t>(B * Tv * Fk), 3.0);
  return c;
}

}  // namespace

TEST(MultiHeadAttention, MatchesLoopReferenceWithoutMasks) {
  // Self-attention: B=2, T=3, F=4, 2 heads, key_dim 3, value_dim 2, output back to 4.
  auto c = make_case(2, 3, 3, 4, 4, 4, 2, 3, 2, 4);
  c.v = c.k = c.q;
  auto mha = MultiHeadAttention(2, 3, {.value_dim = 2, .return_attention_scores = true});
  auto x = lm::tensor(c.q, lm::Shape{2, 3, 4}, lm::Float32);
  mha({x, x});  // build
  load(c, mha);
  auto outs = mha({x, x});
  auto [out, scores] = mha_reference(c);
  EXPECT_SHAPE(outs[0], lm::Shape({2, 3, 4}));
  EXPECT_SHAPE(outs[1], lm::Shape({2, 2, 3, 3}));
  EXPECT_VALUES(outs[0], out, kTol);
  EXPECT_VALUES(outs[1], scores, kTol);
  EXPECT_FALSE(outs[0].has_mask());
}

TEST(MultiHeadAttention, MasksAndAFullyMaskedRow) {
  // Cross-attention with a separate key and output_shape 6: B=2, Tq=3, Tv=4, Fq=3, Fv=2, Fk=5.
  auto c = make_case(2, 3, 4, 3, 2, 5, 2, 2, 3, 6);
  const std::vector<bool> qm{true, true, false, true, false, true};                 // (2, 3)
  const std::vector<bool> vm{true, false, true, true, false, false, false, false};  // batch 1: no valid value
  const std::vector<bool> km{true, true, true, false, true, true, true, true};      // key 3 of batch 0 padded
  c.valid = [&](std::int64_t b, std::int64_t i, std::int64_t j) {
    return qm[static_cast<std::size_t>(b * 3 + i)] && vm[static_cast<std::size_t>(b * 4 + j)] &&
           km[static_cast<std::size_t>(b * 4 + j)];
  };
  auto mha = MultiHeadAttention(2, 2, {.value_dim = 3, .output_shape = 6, .return_attention_scores = true});
  auto q = lm::tensor(c.q, lm::Shape{2, 3, 3}, lm::Float32).with_mask(bools(qm, {2, 3}));
  auto v = lm::tensor(c.v, lm::Shape{2, 4, 2}, lm::Float32).with_mask(bools(vm, {2, 4}));
  auto k = lm::tensor(c.k, lm::Shape{2, 4, 5}, lm::Float32).with_mask(bools(km, {2, 4}));
  mha({q, v, k});
  load(c, mha);
  auto outs = mha({q, v, k});
  auto [out, scores] = mha_reference(c);
  EXPECT_VALUES(outs[0], out, kTol);  // batch 1 rows: the output bias only (zero attention), no NaN
  EXPECT_VALUES(outs[1], scores, kTol);
  EXPECT_TRUE(all_finite(outs[0]));
  EXPECT_MASK(outs[0], lm::Shape({2, 3}), qm);
  // Scores carry the query mask on (B, H, Tq).
  EXPECT_MASK(outs[1], lm::Shape({2, 2, 3}),
              {true, true, false, true, true, false, true, false, true, true, false, true});
}

TEST(MultiHeadAttention, CausalAndExplicitAttentionMask) {
  auto c = make_case(2, 3, 3, 4, 4, 4, 3, 2, 2, 4);
  c.v = c.k = c.q;
  const std::vector<bool> am{true, false, true, true,  true, false, false, true,  true,   // batch 0
                             true, true,  true, false, true, true,  true,  false, true};  // batch 1
  const std::vector<bool> xm{true, true, true, true, true, false};                        // the sequence's own mask
  c.valid = [&](std::int64_t b, std::int64_t i, std::int64_t j) {
    return j <= i && am[static_cast<std::size_t>((b * 3 + i) * 3 + j)] && xm[static_cast<std::size_t>(b * 3 + i)] &&
           xm[static_cast<std::size_t>(b * 3 + j)];
  };
  auto mha = MultiHeadAttention(3, 2, {.use_causal_mask = true, .return_attention_scores = true});
  auto x = lm::tensor(c.q, lm::Shape{2, 3, 4}, lm::Float32).with_mask(bools(xm, {2, 3}));
  auto mask = bools(am, {2, 3, 3});
  mha({x, x, mask});
  load(c, mha);
  auto outs = mha({x, x, mask});  // {query, value, attention_mask}
  auto [out, scores] = mha_reference(c);
  EXPECT_VALUES(outs[0], out, kTol);
  EXPECT_VALUES(outs[1], scores, kTol);
  // Batch 0, query 0 may attend key 0 only (causal AND mask): weight 1 there in every head.
  auto s = outs[1].to_vector<double>();
  EXPECT_NEAR(s[0], 1.0, kTol);
  // Batch 1, query 1 may attend only key 1 (key 0 is masked out by `am`).
  EXPECT_NEAR(s[static_cast<std::size_t>(((1 * 3 + 0) * 3 + 1) * 3 + 1)], 1.0, kTol);
}

TEST(MultiHeadAttention, WithoutBias) {
  auto c = make_case(1, 2, 3, 3, 2, 2, 2, 2, 2, 3);
  c.bias = false;
  c.k = c.v;
  auto mha = MultiHeadAttention(2, 2, {.use_bias = false});
  auto q = lm::tensor(c.q, lm::Shape{1, 2, 3}, lm::Float32);
  auto v = lm::tensor(c.v, lm::Shape{1, 3, 2}, lm::Float32);
  mha({q, v});
  EXPECT_EQ(mha->weights().size(), 4u);
  load(c, mha);
  EXPECT_VALUES(mha({q, v})[0], mha_reference(c).first, kTol);
}

TEST(MultiHeadAttention, WeightsFollowKerasLayout) {
  auto mha = MultiHeadAttention(2, 3, {.value_dim = 5, .output_shape = 7, .name = "mha"});
  mha({lm::ones({1, 4, 6}), lm::ones({1, 2, 8})});
  std::vector<std::pair<std::string, lm::Shape>> want{{"mha/query/kernel", {6, 2, 3}},
                                                      {"mha/query/bias", {2, 3}},
                                                      {"mha/key/kernel", {8, 2, 3}},
                                                      {"mha/key/bias", {2, 3}},
                                                      {"mha/value/kernel", {8, 2, 5}},
                                                      {"mha/value/bias", {2, 5}},
                                                      {"mha/attention_output/kernel", {2, 5, 7}},
                                                      {"mha/attention_output/bias", {7}}};
  auto w = mha->weights();
  ASSERT_EQ(w.size(), want.size());
  for (std::size_t i = 0; i < w.size(); ++i) {
    EXPECT_EQ(w[i].name(), want[i].first);
    EXPECT_EQ(w[i].shape(), want[i].second) << want[i].first;
  }
  EXPECT_EQ(mha->count_params(), 36 + 6 + 48 + 6 + 80 + 10 + 70 + 7);
}

TEST(MultiHeadAttention, Gradients) {
  auto q = lm::tensor({{{0.3, -1.2, 0.5}, {0.8, 0.1, -0.2}}, {{1.1, 0.2, 0.0}, {-0.3, 0.9, 0.4}}})
               .with_mask(bools({true, true, false, true}, {2, 2}));
  auto v = lm::tensor({{{0.5, 1.0}, {2.0, -0.5}, {0.3, 0.3}}, {{-1.5, 0.2}, {0.4, 0.4}, {0.7, -2.0}}})
               .with_mask(bools({true, true, false, false, false, false}, {2, 3}));
  auto mask = bools({true, false, true, true, true, false, true, true, true, false, true, true}, {2, 2, 3});
  auto mha = MultiHeadAttention(2, 2, {.use_causal_mask = true});
  EXPECT_GRADCHECK([&](const lm::TensorList& in) { return mha(in)[0]; }, {q, v, mask});
  auto scores = MultiHeadAttention(2, 3, {.return_attention_scores = true});
  EXPECT_GRADCHECK([&](const lm::TensorList& in) { return scores(in)[1]; }, {q, v});
}

TEST(MultiHeadAttention, DropoutOnlyInTraining) {
  auto x = lm::tensor(filler(12, 0.0), lm::Shape{1, 3, 4}, lm::Float32);
  auto mha = MultiHeadAttention(2, 2, {.dropout = 0.5, .seed = 3, .return_attention_scores = true});
  auto plain = mha({x, x})[1].to_vector<double>();
  auto trained = mha({x, x}, {.training = true})[1].to_vector<double>();
  for (std::size_t i = 0; i < plain.size(); ++i)
    EXPECT_TRUE(std::abs(trained[i]) < 1e-7 || std::abs(trained[i] - 2 * plain[i]) < kTol) << i;
}

TEST(MultiHeadAttention, SymbolicSpecs) {
  auto q = lm::Input({lm::None, 4}).with_mask(lm::Input({lm::None}, lm::Bool));
  auto v = lm::Input({lm::None, 6});
  auto outs = MultiHeadAttention(2, 3, {.use_causal_mask = true, .return_attention_scores = true})({q, v});
  EXPECT_EQ(outs[0].spec().str(), "float32 (None, None, 4) mask (None, None)");
  EXPECT_EQ(outs[1].spec().str(), "float32 (None, 2, None, None) mask (None, 2, None)");
  auto m = lm::Input({5, 7}, lm::Bool);
  auto y = MultiHeadAttention(1, 2, {.output_shape = 3})({lm::Input({5, 4}), lm::Input({7, 2}), m})[0];
  EXPECT_EQ(y.spec().str(), "float32 (None, 5, 3)");
}

TEST(MultiHeadAttention, Errors) {
  EXPECT_LAMINA_ERROR(MultiHeadAttention(0, 4, {.name = "mha0"}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("layer 'mha0' (MultiHeadAttention)"));
    EXPECT_THAT(msg, HasSubstr("num_heads"));
  });
  EXPECT_LAMINA_ERROR(MultiHeadAttention(2, -1), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("key_dim")); });
  EXPECT_LAMINA_ERROR(MultiHeadAttention(2, 2, {.value_dim = 0}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("value_dim")); });
  auto x = lm::ones({2, 3, 4});
  auto mha = MultiHeadAttention(2, 2, {.name = "mha1"});
  EXPECT_LAMINA_ERROR(mha({x}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("layer 'mha1' (MultiHeadAttention)"));
    EXPECT_THAT(msg, HasSubstr("1 input"));
  });
  EXPECT_LAMINA_ERROR(mha({x, x, x, x, x}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("5 inputs")); });
  EXPECT_LAMINA_ERROR(mha({x, x, x, lm::ones({2, 3, 3})}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("the last is float32; an attention_mask must be Bool")); });
  EXPECT_LAMINA_ERROR(mha({x, x, lm::ones({2, 3, 4}, lm::Bool)}), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("attention_mask"));
    EXPECT_THAT(msg, HasSubstr("(2, 3, 3)"));
  });
  mha({x, x});
  EXPECT_LAMINA_ERROR(mha({lm::ones({2, 3, 5}), x}), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("layer 'mha1' (MultiHeadAttention)"));
    EXPECT_THAT(msg, HasSubstr("(2, 3, 5)"));
  });
  EXPECT_LAMINA_ERROR(mha({x, lm::ones({3, 3, 4})}), lm::ShapeError, { EXPECT_THAT(msg, HasSubstr("batch")); });
}

TEST(AttentionLayers, Config) {
  auto c = MultiHeadAttention(4, 8, {.output_shape = 16})->get_config();
  EXPECT_EQ(c["num_heads"], 4);
  EXPECT_EQ(c["key_dim"], 8);
  EXPECT_EQ(c["value_dim"], 8);
  EXPECT_EQ(c["output_shape"], 16);
  auto a = Attention({.use_scale = true, .score_mode = "concat"})->get_config();
  EXPECT_EQ(a["use_scale"], true);
  EXPECT_EQ(a["score_mode"], "concat");
}
