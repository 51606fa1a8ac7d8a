// einsum. Reference values come from naive_einsum below: a plain loop over every
// assignment of the labels, multiplying the operands' entries and adding into the output
// entry (no transposes, reshapes or matmuls involved), and from hand computation.
#include <map>

#include "new_ops_test_helpers.hpp"

namespace lm = lamina;
using lm::testing::filled_at_masked;
using lm::testing::grad_of;
using lm::testing::padding_fills;
using ::testing::HasSubstr;

namespace {

// terms[i] names the axes of xs[i] one letter each; a dim of 1 broadcasts against a larger
// one of the same letter (as "..." dims do). Returns the output row-major.
std::vector<double> naive_einsum(const std::vector<std::string>& terms, const std::string& out,
                                 const lm::TensorList& xs) {
  std::map<char, std::int64_t> size;
  std::vector<std::vector<double>> vals;
  for (std::size_t o = 0; o < xs.size(); ++o) {
    vals.push_back(xs[o].to_vector<double>());
    for (std::size_t i = 0; i < terms[o].size(); ++i)
      size[terms[o][i]] = std::max(size[terms[o][i]], xs[o].shape()[static_cast<std::int64_t>(i)]);
  }
  std::vector<char> labels;
  for (auto [c, n] : size) labels.push_back(c);
  std::int64_t out_n = 1;
  for (char c : out) out_n *= size[c];
  std::vector<double> result(static_cast<std::size_t>(out_n), 0.0);
  std::map<char, std::int64_t> at;
  std::int64_t total = 1;
  for (char c : labels) total *= size[c];
  for (std::int64_t flat = 0; flat < total; ++flat) {
    std::int64_t rem = flat;
    for (auto it = labels.rbegin(); it != labels.rend(); ++it) {
      at[*it] = rem % size[*it];
      rem /= size[*it];
    }
    double p = 1.0;
    for (std::size_t o = 0; o < xs.size(); ++o) {
      std::int64_t off = 0;
      for (std::size_t i = 0; i < terms[o].size(); ++i) {
        const std::int64_t d = xs[o].shape()[static_cast<std::int64_t>(i)];
        off = off * d + (d == 1 ? 0 : at[terms[o][i]]);
      }
      p *= vals[o][static_cast<std::size_t>(off)];
    }
    std::int64_t o_off = 0;
    for (char c : out) o_off = o_off * size[c] + at[c];
    result[static_cast<std::size_t>(o_off)] += p;
  }
  return result;
}

lm::Tensor randn(const lm::Shape& s, std::uint64_t seed) {
  return lm::random_normal(s, {.dtype = lm::Float64, .seed = seed});
}

}  // namespace

TEST(Einsum, CommonContractionsMatchAPlainLoop) {
  struct Case {
    std::string eq;
    std::vector<lm::Shape> shapes;
    std::vector<std::string> terms;  // the same equation with "..." spelt out as letters
    std::string out;
    lm::Shape out_shape;
  };
  const std::vector<Case> cases{
      {"ij,jk->ik", {{2, 3}, {3, 4}}, {"ij", "jk"}, "ik", {2, 4}},
      {"bij,bjk->bik", {{2, 3, 4}, {2, 4, 5}}, {"bij", "bjk"}, "bik", {2, 3, 5}},
      {"i,j->ij", {{3}, {4}}, {"i", "j"}, "ij", {3, 4}},
      {"ij->ji", {{2, 3}}, {"ij"}, "ji", {3, 2}},
      {"ij->i", {{2, 3}}, {"ij"}, "i", {2}},
      {"ij->", {{2, 3}}, {"ij"}, "", {}},
      {"i,i->", {{5}, {5}}, {"i", "i"}, "", {}},
      {"bi,bi->b", {{3, 4}, {3, 4}}, {"bi", "bi"}, "b", {3}},
      {"bhqd,bhkd->bhqk", {{2, 2, 3, 4}, {2, 2, 5, 4}}, {"bhqd", "bhkd"}, "bhqk", {2, 2, 3, 5}},
      {"btf,fu->btu", {{2, 3, 4}, {4, 5}}, {"btf", "fu"}, "btu", {2, 3, 5}},
      {"ij,kj->ki", {{2, 3}, {4, 3}}, {"ij", "kj"}, "ki", {4, 2}},
      {"bij,bjk->kib", {{2, 3, 4}, {2, 4, 5}}, {"bij", "bjk"}, "kib", {5, 3, 2}},
      {"ij,jk,kl->il", {{2, 3}, {3, 4}, {4, 2}}, {"ij", "jk", "kl"}, "il", {2, 2}},
      {"ij,ij->ij", {{2, 3}, {2, 3}}, {"ij", "ij"}, "ij", {2, 3}},
      {"ijk,k->j", {{2, 3, 4}, {4}}, {"ijk", "k"}, "j", {3}},
      // Ellipsis: leading batch dims, broadcast from the right (2, 3) against (3,) and (1,).
      {"...ij,...jk->...ik", {{2, 3, 2, 4}, {3, 4, 5}}, {"xyij", "yjk"}, "xyik", {2, 3, 2, 5}},
      {"...ij,...jk->...ik", {{2, 1, 2, 4}, {3, 4, 5}}, {"xyij", "yjk"}, "xyik", {2, 3, 2, 5}},
      {"...i,i->...", {{2, 3, 4}, {4}}, {"xyi", "i"}, "xy", {2, 3}},
      {"i...->...i", {{4, 2, 3}}, {"ixy"}, "xyi", {2, 3, 4}},
      // Implicit output: labels appearing once, in ASCII order, after "..." dims.
      {"ij,jk", {{2, 3}, {3, 4}}, {"ij", "jk"}, "ik", {2, 4}},
      {"ba", {{2, 3}}, {"ba"}, "ab", {3, 2}},
      {"ba,aC", {{2, 3}, {3, 4}}, {"ba", "aC"}, "Cb", {4, 2}},
      {"...ij,jk", {{5, 2, 3}, {3, 4}}, {"xij", "jk"}, "xik", {5, 2, 4}},
      {" ij , jk -> ik ", {{2, 3}, {3, 4}}, {"ij", "jk"}, "ik", {2, 4}},
  };
  std::uint64_t seed = 1;
  for (const Case& c : cases) {
    lm::TensorList xs;
    for (const auto& s : c.shapes) xs.push_back(randn(s, seed++));
    auto y = lm::einsum(c.eq, xs);
    EXPECT_SHAPE(y, c.out_shape) << c.eq;
    EXPECT_EQ(y.dtype(), lm::Float64) << c.eq;
    EXPECT_FALSE(y.has_mask()) << c.eq;
    EXPECT_VALUES(y, naive_einsum(c.terms, c.out, xs), 1e-10) << c.eq;
    EXPECT_GRADCHECK([&](const lm::TensorList& in) { return lm::einsum(c.eq, in); }, xs);
  }
}

TEST(Einsum, ValuesByHandAndDtypes) {
  auto a = lm::tensor({{1, 2}, {3, 4}});
  auto b = lm::tensor({{5, 6}, {7, 8}});
  auto y = lm::einsum("ij,jk->ik", {a, b});  // [[19, 22], [43, 50]]
  EXPECT_EQ(y.dtype(), lm::Float32);         // integers compute in float32, as matmul
  EXPECT_VALUES(y, {19, 22, 43, 50});
  EXPECT_VALUES(lm::einsum("ij->j", {a}), {4, 6});
  EXPECT_VALUES(lm::einsum("ij,ij->", {a, b}), {5 + 12 + 21 + 32});
  EXPECT_EQ(lm::einsum("ij->ji", {a}).dtype(), lm::Float32);
  EXPECT_EQ(lm::einsum("i,i->", {lm::tensor({1.f}), lm::tensor({2.0})}).dtype(), lm::Float64);
}

TEST(Einsum, MaskedEntriesContributeNothingWhateverTheyHold) {
  // a (2, 3) with mask (2, 3); row 1 is all padding. "bt,bt->b" sums a*b over valid t.
  const std::vector<bool> m{true, false, true, false, false, false};
  auto b = lm::tensor({{1.0, 10.0, 100.0}, {2.0, 20.0, 200.0}});
  for (double fill : padding_fills()) {
    auto a = filled_at_masked({1, 2, 3, 4, 5, 6}, {2, 3}, m, {2, 3}, fill);
    auto y = lm::einsum("bt,bt->b", {a, b});
    EXPECT_VALUES(y, {1 + 300, 0}) << fill;
    EXPECT_MASK(y, lm::Shape({2}), {true, false});  // any valid over t
    // Summing every masked axis leaves no mask.
    auto s = lm::einsum("bt,bt->", {a, b});
    EXPECT_VALUES(s, {301}) << fill;
    EXPECT_FALSE(s.has_mask());
    // Gradient: zero at masked entries, b at valid ones.
    EXPECT_VALUES(grad_of(
                      [&](const lm::Tensor& t) {
                        return lm::einsum("bt,bt->b", {t, b});
                      },
                      a),
                  {1, 0, 100, 0, 0, 0})
        << fill;
  }
}

TEST(Einsum, OutputKeepsTheMasksOfAxesThatRemain) {
  // x (2, 3, 2) with a (batch, time) mask; w (2, 4).
  const std::vector<bool> m{true, true, false, true, false, false};
  auto w = randn({2, 4}, 3);
  auto zero = filled_at_masked(randn({2, 3, 2}, 4).to_vector<double>(), {2, 3, 2}, m, {2, 3}, 0.0);
  const auto ref = naive_einsum({"btf", "fu"}, "btu", {zero.without_mask(), w});
  for (double fill : padding_fills()) {
    auto x = filled_at_masked(randn({2, 3, 2}, 4).to_vector<double>(), {2, 3, 2}, m, {2, 3}, fill);
    auto y = lm::einsum("btf,fu->btu", {x, w});
    EXPECT_VALUES(y, ref) << fill;  // masked steps give 0, not NaN
    EXPECT_MASK(y, lm::Shape({2, 3}), m);
    EXPECT_SAME(grad_of(
                    [&](const lm::Tensor& t) {
                      return lm::einsum("btf,fu->btu", {t, w});
                    },
                    x),
                grad_of(
                    [&](const lm::Tensor& t) {
                      return lm::einsum("btf,fu->btu", {t, w});
                    },
                    zero));
    // Transposed: the mask is permuted with its axes.
    auto t = lm::einsum("btf->tbf", {x});
    EXPECT_MASK(t, lm::Shape({3, 2}), {true, true, true, false, false, false});
    // Mask axes no longer leading: widened over the axes before them, (f, b, t).
    auto f = lm::einsum("btf->fbt", {x});
    EXPECT_MASK(f, lm::Shape({2, 2, 3}),
                {true, true, false, true, false, false, true, true, false, true, false, false});
    // Time summed: any valid per batch row; both rows have a valid step.
    auto p = lm::einsum("btf->bf", {x});
    EXPECT_MASK(p, lm::Shape({2}), {true, true});
  }
  // Masks of both operands AND on the shared axis: (b) masks [1, 0] and [1, 1].
  auto a = lm::ones({2, 3}).with_mask(lm::tensor({true, false}));
  auto c = lm::ones({2, 3}).with_mask(lm::tensor({true, true}));
  EXPECT_MASK(lm::einsum("bi,bj->bij", {a, c}), lm::Shape({2}), {true, false});
  // The columns of the second operand masked: the mask lands on the last output axis.
  auto k = lm::ones({4, 3}).with_mask(lm::tensor({true, false, true, true}));
  auto q = lm::einsum("qd,kd->qk", {lm::ones({2, 3}), k});
  EXPECT_MASK(q, lm::Shape({2, 4}), {true, false, true, true, true, false, true, true});
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::einsum("btf,fu->btu", in); },
                   {randn({2, 3, 2}, 5).with_mask(lm::tensor(m, {2, 3}, lm::Bool)), randn({2, 4}, 6)});
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::einsum("bt,bt->b", in); },
                   {randn({2, 3}, 7).with_mask(lm::tensor(m, {2, 3}, lm::Bool)), randn({2, 3}, 8)});
}

TEST(Einsum, SymbolicSpec) {
  auto a = lm::placeholder({lm::Shape{lm::None, 2, 3}, lm::Float32, 1});
  auto b = lm::placeholder({lm::Shape{lm::None, 3, 4}, lm::Float32, -1});
  EXPECT_EQ(lm::einsum("bij,bjk->bik", {a, b}).spec(), (lm::TensorSpec{lm::Shape{lm::None, 2, 4}, lm::Float32, 1}));
  EXPECT_EQ(lm::einsum("bij,bjk->kbi", {a, b}).spec(), (lm::TensorSpec{lm::Shape{4, lm::None, 2}, lm::Float32, 2}));
  EXPECT_EQ(lm::einsum("bij->ij", {a}).spec(), (lm::TensorSpec{lm::Shape{2, 3}, lm::Float32, -1}));
  auto e = lm::placeholder({lm::Shape{lm::None, lm::None, 5}, lm::Float64, 2});
  EXPECT_EQ(lm::einsum("...f,fu->...u", {e, lm::ones({5, 2})}).spec(),
            (lm::TensorSpec{lm::Shape{lm::None, lm::None, 2}, lm::Float64, 2}));
  auto w = randn({2, 4}, 1);
  auto s = lm::placeholder({lm::Shape{lm::None, 3, 2}, lm::Float64, 2});
  auto data = randn({2, 3, 2}, 2).with_mask(lm::tensor({{true, false, true}, {false, false, true}}));
  for (const std::string eq : {"btf,fu->btu", "btf,fu->ubt", "btf,fu->bu", "btf,fu->u"})
    EXPECT_SYMBOLIC_AGREES([&](const lm::Tensor& t) { return lm::einsum(eq, {t, w}); }, s, data);
}

TEST(Einsum, ZeroSize) {
  EXPECT_VALUES(lm::einsum("ij,jk->ik", {lm::ones({2, 0}), lm::ones({0, 3})}), std::vector<double>(6, 0.0));
  EXPECT_SHAPE(lm::einsum("ij,jk->ik", {lm::ones({0, 3}), lm::ones({3, 4})}), lm::Shape({0, 4}));
  EXPECT_SHAPE(lm::einsum("bij,bjk->bik", {lm::ones({0, 2, 3}), lm::ones({0, 3, 4})}), lm::Shape({0, 2, 4}));
  EXPECT_VALUES(lm::einsum("i->", {lm::ones({0})}), {0});
}

TEST(Einsum, BadEquationsNameThePosition) {
  auto a = lm::ones({2, 3});
  auto b = lm::ones({3, 4});
  auto at = [](const char* text) { return HasSubstr(text); };
  EXPECT_OP_ERROR(lm::einsum("ij,j1->i", {a, b}), lm::ValueError, "einsum");
  EXPECT_LAMINA_ERROR(lm::einsum("ij,j1->i", {a, b}), lm::ValueError, {
    EXPECT_THAT(msg, at("position 4"));
    EXPECT_THAT(msg, at("'1'"));
  });
  EXPECT_LAMINA_ERROR(lm::einsum("ii->i", {lm::ones({3, 3})}), lm::ValueError, {
    EXPECT_THAT(msg, at("position 1"));
    EXPECT_THAT(msg, at("repeated"));
  });
  EXPECT_LAMINA_ERROR(lm::einsum("ij->ik", {a}), lm::ValueError, {
    EXPECT_THAT(msg, at("position 5"));
    EXPECT_THAT(msg, at("'k'"));
  });
  EXPECT_LAMINA_ERROR(lm::einsum("ij->ii", {a}), lm::ValueError, { EXPECT_THAT(msg, at("position 5")); });
  EXPECT_LAMINA_ERROR(lm::einsum("ij->i->j", {a}), lm::ValueError, {
    EXPECT_THAT(msg, at("position 5"));
    EXPECT_THAT(msg, at("twice"));
  });
  EXPECT_LAMINA_ERROR(lm::einsum("i-j", {a}), lm::ValueError, { EXPECT_THAT(msg, at("position 1")); });
  EXPECT_LAMINA_ERROR(lm::einsum("ij>i", {a}), lm::ValueError, { EXPECT_THAT(msg, at("position 2")); });
  EXPECT_LAMINA_ERROR(lm::einsum("..ij", {a}), lm::ValueError, { EXPECT_THAT(msg, at("position 0")); });
  EXPECT_LAMINA_ERROR(lm::einsum("...i...", {a}), lm::ValueError, { EXPECT_THAT(msg, at("position 4")); });
  EXPECT_LAMINA_ERROR(lm::einsum("...ij->ij", {lm::ones({2, 2, 3})}), lm::ValueError,
                      { EXPECT_THAT(msg, at("position 7")); });
  EXPECT_LAMINA_ERROR(lm::einsum("ij->i,j", {a}), lm::ValueError, { EXPECT_THAT(msg, at("position 5")); });
  EXPECT_OP_ERROR(lm::einsum("ij,jk->ik", {a}), lm::ValueError, "einsum");
  EXPECT_OP_ERROR(lm::einsum("ij", {a, b}), lm::ValueError, "einsum");
  // "...": zero batch dims are fine.
  EXPECT_SHAPE(lm::einsum("...ij->ij", {a}), lm::Shape({2, 3}));
}

TEST(Einsum, OperandsThatDoNotFit) {
  auto a = lm::ones({2, 3});
  EXPECT_OP_ERROR(lm::einsum("ij,jk->ik", {a, lm::ones({4, 5})}), lm::ShapeError, "einsum");
  EXPECT_LAMINA_ERROR(lm::einsum("ij,jk->ik", {a, lm::ones({4, 5})}), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("'j'"));
    EXPECT_THAT(msg, HasSubstr("3 and 4"));
  });
  EXPECT_OP_ERROR(lm::einsum("ijk->i", {a}), lm::ShapeError, "einsum");
  EXPECT_OP_ERROR(lm::einsum("i->i", {a}), lm::ShapeError, "einsum");
  EXPECT_OP_ERROR(lm::einsum("...ij->...", {lm::ones({3})}), lm::ShapeError, "einsum");
  EXPECT_OP_ERROR(lm::einsum("...i,...i->...", {lm::ones({2, 3}), lm::ones({4, 3})}), lm::ShapeError, "einsum");
  EXPECT_OP_ERROR(lm::einsum("ij->j", {lm::ones({2, 2}, lm::Bool)}), lm::DTypeError, "einsum");
  EXPECT_OP_ERROR(lm::einsum("ij", {}), lm::ValueError, "einsum");
  EXPECT_OP_ERROR(lm::einsum("ij", {lm::Tensor()}), lm::ValueError, "einsum");
}
