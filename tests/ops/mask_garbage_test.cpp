// DESIGN.md section 5, row by row, with garbage at the masked entries (issue 8, bug 2):
// NaN, +inf and -inf at every masked position must give the same valid outputs and the
// same gradients (of inputs and of unmasked weights) as zeros there. Padding often holds
// garbage: log(0) of a padded step, buffers other code left uninitialised.
#include "masked_garbage.hpp"
#include "test_util.hpp"

namespace lm = lamina;
using lm::Tensor;
using lm::TensorList;

namespace {

Tensor bools(const std::vector<bool>& v, const lm::Shape& s) { return lm::tensor(v, s, lm::Bool); }

// (2, 4, 3) with time mask [[1,1,0,0],[1,1,1,0]]; `positive` shifts the values above 0.
Tensor sequence(std::uint64_t seed, bool positive = false) {
  Tensor v = lm::random_normal({2, 4, 3}, {.seed = seed});
  if (positive) v = lm::abs(v) + 0.5;
  return v.with_mask(bools({true, true, false, false, true, true, true, false}, {2, 4}));
}
// Another time mask, so that ANDs differ from either.
Tensor other_sequence(std::uint64_t seed) {
  return lm::random_normal({2, 4, 3}, {.seed = seed})
      .with_mask(bools({true, false, true, false, true, true, true, true}, {2, 4}));
}
// (2, 4) with an all-masked second row.
Tensor rows_with_padding(std::uint64_t seed) {
  return lm::random_normal({2, 4}, {.seed = seed})
      .with_mask(bools({true, true, true, false, false, false, false, false}, {2, 4}));
}
Tensor weights(const lm::Shape& s, std::uint64_t seed) { return lm::random_normal(s, {.seed = seed}) * 0.5 + 0.1; }

struct Case {
  const char* name;
  lm::testing::TensorFn f;
  TensorList inputs;
};

void check(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_GARBAGE_IGNORED(c.f, c.inputs);
  }
}

}  // namespace

TEST(MaskGarbage, Creation) {
  // with_mask on garbage: the mask is what matters downstream.
  check({{"with_mask then sum",
          [](const TensorList& in) { return lm::sum(in[0].with_mask(in[0].mask()), 1); },
          {sequence(1)}}});
}

TEST(MaskGarbage, ElementwiseUnary) {
  const Tensor x = sequence(2), p = sequence(3, true);
  using F = Tensor (*)(const Tensor&);
  const std::pair<const char*, F> unary[] = {
      {"neg", lm::neg},           {"abs", lm::abs},         {"exp", lm::exp},
      {"tanh", lm::tanh},         {"sigmoid", lm::sigmoid}, {"relu", lm::relu},
      {"softplus", lm::softplus}, {"erf", lm::erf},         {"square", lm::square},
  };
  std::vector<Case> cases;
  for (const auto& [name, fn] : unary) cases.push_back({name, [fn](const TensorList& in) { return fn(in[0]); }, {x}});
  cases.push_back({"log", [](const TensorList& in) { return lm::log(in[0]); }, {p}});
  cases.push_back({"sqrt", [](const TensorList& in) { return lm::sqrt(in[0]); }, {p}});
  cases.push_back({"clip", [](const TensorList& in) { return lm::clip(in[0], -0.5, 0.5); }, {x}});
  cases.push_back({"cast", [](const TensorList& in) { return lm::cast(in[0], lm::Float64); }, {x}});
  cases.push_back({"x * 0.5 + 1", [](const TensorList& in) { return in[0] * 0.5f + 1.0f; }, {x}});
  check(cases);
}

TEST(MaskGarbage, ElementwiseBinaryWithUnmaskedWeights) {
  // The weight (3,) broadcasts over the masked (batch, time): its gradient sums over
  // padded steps, where the garbage sits.
  const Tensor x = sequence(4), p = sequence(5, true), w = weights({3}, 6), wp = lm::abs(weights({3}, 7)) + 0.5;
  check({
      {"add", [](const TensorList& in) { return in[0] + in[1]; }, {x, w}},
      {"sub", [](const TensorList& in) { return in[1] - in[0]; }, {x, w}},
      {"mul", [](const TensorList& in) { return in[0] * in[1]; }, {x, w}},
      {"div", [](const TensorList& in) { return in[1] / in[0]; }, {p, w}},
      {"div by weights", [](const TensorList& in) { return in[0] / in[1]; }, {x, wp}},
      {"pow", [](const TensorList& in) { return lm::pow(in[0], in[1]); }, {p, w}},
      {"maximum", [](const TensorList& in) { return lm::maximum(in[0], in[1]); }, {x, w}},
      {"minimum", [](const TensorList& in) { return lm::minimum(in[0], in[1]); }, {x, w}},
      {"where", [](const TensorList& in) { return lm::where(in[1] > 0, in[0], in[1]); }, {x, w}},
      {"two masks", [](const TensorList& in) { return in[0] * in[1] + in[0]; }, {x, other_sequence(8)}},
      {"zeros_like + x", [](const TensorList& in) { return lm::zeros_like(in[0]) + in[1] * in[0]; }, {x, w}},
  });
}

TEST(MaskGarbage, ReduceOverFeatureAxes) {
  const Tensor x = sequence(9), p = sequence(10, true);
  check({
      {"sum", [](const TensorList& in) { return lm::sum(in[0], {-1}); }, {x}},
      {"mean", [](const TensorList& in) { return lm::mean(in[0], {-1}); }, {x}},
      {"max", [](const TensorList& in) { return lm::max(in[0], {-1}); }, {x}},
      {"min", [](const TensorList& in) { return lm::min(in[0], {-1}); }, {x}},
      {"prod", [](const TensorList& in) { return lm::prod(in[0], {-1}); }, {p}},
      {"logsumexp", [](const TensorList& in) { return lm::logsumexp(in[0], {-1}); }, {x}},
  });
}

TEST(MaskGarbage, ReduceOverTheMaskedAxis) {
  const Tensor x = sequence(11), p = sequence(12, true), r = rows_with_padding(13);
  check({
      {"sum", [](const TensorList& in) { return lm::sum(in[0], {1}); }, {x}},
      {"mean", [](const TensorList& in) { return lm::mean(in[0], {1}); }, {x}},
      {"max", [](const TensorList& in) { return lm::max(in[0], {1}); }, {x}},
      {"min", [](const TensorList& in) { return lm::min(in[0], {1}); }, {x}},
      {"prod", [](const TensorList& in) { return lm::prod(in[0], {1}); }, {p}},
      {"logsumexp", [](const TensorList& in) { return lm::logsumexp(in[0], {1}); }, {x}},
      {"all axes", [](const TensorList& in) { return lm::sum(in[0]); }, {x}},
      {"all-masked row: mean", [](const TensorList& in) { return lm::mean(in[0], {1}); }, {r}},
      {"all-masked row: max", [](const TensorList& in) { return lm::max(in[0], {1}); }, {r}},
      {"all-masked row: logsumexp", [](const TensorList& in) { return lm::logsumexp(in[0], {1}); }, {r}},
  });
}

TEST(MaskGarbage, ShapeOps) {
  const Tensor x = sequence(14), y = other_sequence(15);
  check({
      {"slice",
       [](const TensorList& in) {
         return lm::slice(in[0], 1, {1, 3});
       },
       {x}},
      {"transpose",
       [](const TensorList& in) {
         return lm::transpose(in[0], {1, 0, 2});
       },
       {x}},
      {"reshape (keeps axes)",
       [](const TensorList& in) {
         return lm::reshape(in[0], lm::Shape{2, 4, 3, 1});
       },
       {x}},
      {"reshape (merges masked axes)",
       [](const TensorList& in) {
         return lm::reshape(in[0], lm::Shape{8, 3});
       },
       {x}},
      {"expand_dims", [](const TensorList& in) { return lm::expand_dims(in[0], -1); }, {x}},
      {"concat time",
       [](const TensorList& in) {
         return lm::concat({in[0], in[1]}, 1);
       },
       {x, y}},
      {"concat features",
       [](const TensorList& in) {
         return lm::concat({in[0], in[1]}, 2);
       },
       {x, y}},
      {"stack",
       [](const TensorList& in) {
         return lm::stack({in[0], in[1]}, 0);
       },
       {x, y}},
      {"gather time",
       [](const TensorList& in) {
         return lm::gather(in[0], lm::tensor({3, 0, 1}), 1);
       },
       {x}},
      {"flip time", [](const TensorList& in) { return lm::flip(in[0], {1}); }, {x}},
      {"broadcast_to",
       [](const TensorList& in) {
         return lm::broadcast_to(lm::expand_dims(in[0], 0), {2, 2, 4, 3});
       },
       {x}},
  });
}

TEST(MaskGarbage, MatmulAndDot) {
  // x: (2, 4, 3) masked over (batch, time); y: (2, 4, 3) with another time mask.
  const Tensor x = sequence(16), y = other_sequence(19), w = weights({3, 5}, 17), a = weights({2, 2, 4}, 18),
               v = weights({4}, 20);
  // (2, 3, 4) masked over the batch only (its second sample is all padding).
  const Tensor by_batch =
      lm::transpose(other_sequence(21), {0, 2, 1}).without_mask().with_mask(bools({true, false}, {2}));
  check({
      // Contracting the unmasked feature axis: masked rows of x must not reach w's gradient.
      {"matmul over features", [](const TensorList& in) { return lm::matmul(in[0], in[1]); }, {x, w}},
      {"dot over features", [](const TensorList& in) { return lm::dot(in[0], in[1]); }, {x, w}},
      {"dot with a vector",
       [](const TensorList& in) {
         return lm::dot(in[0], lm::slice(in[1], 1, {0, 1}));
       },
       {x, w}},
      // Contracting the masked time axis: (2, 2, 4) @ (2, 4, 3) -> (2, 2, 3).
      {"matmul over the masked axis", [](const TensorList& in) { return lm::matmul(in[1], in[0]); }, {x, a}},
      // x^T y: (2, 3, 4) @ (2, 4, 3) contracts the masked time axis of both operands.
      {"matmul over the masked axis of both",
       [](const TensorList& in) {
         return lm::matmul(lm::transpose(in[0], {0, 2, 1}), in[1]);
       },
       {x, y}},
      // (2, 3, 4) . (4,) -> (2, 3): a vector against the masked time axis.
      {"dot over the masked axis",
       [](const TensorList& in) {
         return lm::dot(lm::transpose(in[0], {0, 2, 1}), in[1]);
       },
       {x, v}},
      // (2, 4, 3) @ (2, 3, 4) -> (2, 4, 4): masks on the kept axes of both operands (rows
      // of x by time, all of the second sample of the other by batch).
      {"matmul of two masked", [](const TensorList& in) { return lm::matmul(in[0], in[1]); }, {x, by_batch}},
  });
}

TEST(MaskGarbage, Softmax) {
  const Tensor x = sequence(20), r = rows_with_padding(21);
  check({
      {"softmax over the masked axis", [](const TensorList& in) { return lm::softmax(in[0], 1); }, {r}},
      {"softmax over features of masked steps", [](const TensorList& in) { return lm::softmax(in[0], -1); }, {x}},
      {"log_softmax over the masked axis", [](const TensorList& in) { return lm::log_softmax(in[0], 1); }, {r}},
      {"log_softmax over features", [](const TensorList& in) { return lm::log_softmax(in[0], -1); }, {x}},
  });
}

TEST(MaskGarbage, FillMaskedAndFullMask) {
  const Tensor x = sequence(22);
  check({
      {"fill_masked", [](const TensorList& in) { return lm::fill_masked(in[0], 0) * 2.0f; }, {x}},
      {"where(full_mask)", [](const TensorList& in) { return lm::where(lm::full_mask(in[0]), in[0], 1.0f); }, {x}},
  });
}

TEST(MaskGarbage, MomentsAndScans) {
  const Tensor x = sequence(23), p = sequence(24, true);
  check({
      {"var over time", [](const TensorList& in) { return lm::var(in[0], {1}); }, {x}},
      {"std over features", [](const TensorList& in) { return lm::std(in[0], {-1}); }, {x}},
      {"cumsum over time", [](const TensorList& in) { return lm::cumsum(in[0], 1); }, {x}},
      {"cumsum over time, reversed", [](const TensorList& in) { return lm::cumsum(in[0], 1, true, true); }, {x}},
      {"cumsum over features", [](const TensorList& in) { return lm::cumsum(in[0], -1); }, {x}},
      {"cumprod over time", [](const TensorList& in) { return lm::cumprod(in[0], 1); }, {p}},
      {"cumprod over features", [](const TensorList& in) { return lm::cumprod(in[0], -1); }, {p}},
  });
}

TEST(MaskGarbage, SortAndTopK) {
  const Tensor x = sequence(25);
  check({
      {"sort over time", [](const TensorList& in) { return lm::sort(in[0], 1); }, {x}},
      {"sort over time, descending", [](const TensorList& in) { return lm::sort(in[0], 1, true); }, {x}},
      {"sort over features", [](const TensorList& in) { return lm::sort(in[0], -1); }, {x}},
      {"argsort over time", [](const TensorList& in) { return lm::argsort(in[0], 1); }, {x}},
      {"top_k values over features", [](const TensorList& in) { return lm::top_k(in[0], 2).values; }, {x}},
      {"top_k indices over features", [](const TensorList& in) { return lm::top_k(in[0], 2).indices; }, {x}},
      // Over the masked time axis: (2, 3, 4) with the mask widened over the features.
      {"top_k values over time",
       [](const TensorList& in) {
         return lm::top_k(lm::transpose(in[0], {0, 2, 1}), 3).values;
       },
       {x}},
  });
}

TEST(MaskGarbage, ScatterEinsumAndPad) {
  const Tensor x = sequence(26), y = other_sequence(27), w = weights({3, 5}, 28);
  // Updates (4, 3) with the last two rows masked, scattered into (3, 3) rows 2, 0, 2, 1.
  const Tensor updates = lm::random_normal({4, 3}, {.seed = 29}).with_mask(bools({true, true, false, false}, {4}));
  const Tensor rows = lm::tensor({{2}, {0}, {2}, {1}});
  const Tensor base = lm::random_normal({3, 3}, {.seed = 30}).with_mask(bools({true, false, true}, {3}));
  check({
      {"scatter",
       [rows](const TensorList& in) {
         return lm::scatter(rows, in[0], lm::Shape{3, 3});
       },
       {updates}},
      {"scatter_add", [rows](const TensorList& in) { return lm::scatter_add(in[0], rows, in[1]); }, {base, updates}},
      {"einsum over features",
       [](const TensorList& in) {
         return lm::einsum("btf,fu->btu", {in[0], in[1]});
       },
       {x, w}},
      {"einsum over the masked axis",
       [](const TensorList& in) {
         return lm::einsum("btf,btg->bfg", {in[0], in[1]});
       },
       {x, y}},
      {"einsum sum over time", [](const TensorList& in) { return lm::einsum("btf->bf", {in[0]}); }, {x}},
      {"pad time",
       [](const TensorList& in) {
         return lm::pad(in[0], {{0, 0}, {1, 2}, {0, 0}});
       },
       {x}},
      {"tile",
       [](const TensorList& in) {
         return lm::tile(in[0], {1, 1, 2});
       },
       {x}},
  });
}
