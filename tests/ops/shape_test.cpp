// Shape ops: values, masks against hand-built masks, gradients, symbolic specs, errors and
// zero-size inputs. Reference values are worked out by hand in the comments.
#include <numeric>

#include "test_util.hpp"

namespace lm = lamina;

namespace {

#define EXPECT_HAS(msg, text) \
  EXPECT_NE((msg).find(text), std::string::npos) << "message lacks '" << (text) << "':\n" << (msg)

lm::Tensor bools(const std::vector<bool>& v, const lm::Shape& s) { return lm::tensor(v, s, lm::Bool); }

// 0, 1, 2, ... as Float32 of `shape`.
lm::Tensor iota(const lm::Shape& shape) {
  std::vector<float> v(static_cast<std::size_t>(shape.numel()));
  std::iota(v.begin(), v.end(), 0.f);
  return lm::tensor(v, shape);
}

lm::Tensor grad_of(const std::function<lm::Tensor(const lm::Tensor&)>& f, const lm::Tensor& x) {
  lm::GradientTape tape;
  tape.watch(x);
  lm::Tensor y = f(x);
  return *tape.gradient(lm::sum(y.without_mask()), x, {.unconnected = lm::Unconnected::Zero});
}

lm::Tensor sym(const lm::Shape& s, std::int64_t mask_rank = -1, lm::DType dt = lm::Float32) {
  return lm::placeholder({s, dt, mask_rank});
}

// A (2, 4, 3) sequence batch with a (2, 4) mask: lengths 2 and 3.
struct Seq {
  lm::Tensor x = iota({2, 4, 3}).with_mask(bools({true, true, false, false, true, true, true, false}, {2, 4}));
};

}  // namespace

// ---- reshape (already written) ---------------------------------------------------------------

TEST(Reshape, Values) {
  auto x = iota({2, 3});
  auto y = lm::reshape(x, {3, 2});
  EXPECT_SHAPE(y, lm::Shape({3, 2}));
  EXPECT_VALUES(y, {0, 1, 2, 3, 4, 5});
  EXPECT_SHAPE(lm::reshape(x, {-1}), lm::Shape({6}));
  EXPECT_SHAPE(lm::reshape(x, {1, -1, 3}), lm::Shape({1, 2, 3}));
  EXPECT_SHAPE(lm::reshape(lm::zeros({0, 4}), {-1, 2}), lm::Shape({0, 2}));
  EXPECT_SHAPE(lm::reshape(lm::scalar(3.f), {1, 1}), lm::Shape({1, 1}));
}

TEST(Reshape, Masks) {
  Seq s;
  // Merging the masked axes (2, 4) -> (8,): the mask is flattened in the same order.
  auto merged = lm::reshape(s.x, {8, 3});
  EXPECT_MASK(merged, lm::Shape({8}), {true, true, false, false, true, true, true, false});
  EXPECT_VALUES(lm::reshape(merged.without_mask(), {-1}), [] {
    std::vector<double> v(24);
    std::iota(v.begin(), v.end(), 0.0);
    return v;
  }());
  // ...and splitting them again
  auto split = lm::reshape(merged, {2, 2, 2, 3});
  EXPECT_MASK(split, lm::Shape({2, 2, 2}), {true, true, false, false, true, true, true, false});
  // Reshaping only the feature axes keeps the mask.
  auto feat = lm::reshape(lm::zeros({2, 4, 6}).with_mask(s.x.mask()), {2, 4, 2, 3});
  EXPECT_MASK(feat, lm::Shape({2, 4}), {true, true, false, false, true, true, true, false});
  EXPECT_MASK(lm::reshape(s.x, {2, 4, 3, 1}), lm::Shape({2, 4}), {true, true, false, false, true, true, true, false});
  // Mixing masked and unmasked axes is an error.
  EXPECT_LAMINA_ERROR(lm::reshape(s.x, {2, 12}), lm::MaskError, {
    EXPECT_HAS(msg, "op 'reshape'");
    EXPECT_HAS(msg, "(2, 4, 3)");
    EXPECT_HAS(msg, "(2, 12)");
    EXPECT_HAS(msg, "without_mask");
  });
  EXPECT_LAMINA_ERROR(lm::reshape(s.x, {24}), lm::MaskError, {});
  // Dropping the mask explicitly makes it fine.
  EXPECT_SHAPE(lm::reshape(s.x.without_mask(), {2, 12}), lm::Shape({2, 12}));
}

TEST(Reshape, Errors) {
  auto x = iota({2, 3});
  EXPECT_LAMINA_ERROR(lm::reshape(x, {4, 2}), lm::ShapeError, {
    EXPECT_HAS(msg, "reshape");
    EXPECT_HAS(msg, "8 elements in (4, 2)");
  });
  EXPECT_LAMINA_ERROR(lm::reshape(x, {-1, -1}), lm::ShapeError, { EXPECT_HAS(msg, "only one dimension can be -1"); });
  EXPECT_LAMINA_ERROR(lm::reshape(x, {-1, 4}), lm::ShapeError, { EXPECT_HAS(msg, "-1"); });
  EXPECT_LAMINA_ERROR(lm::reshape(x, {-2, 3}), lm::ShapeError, { EXPECT_HAS(msg, "negative"); });
}

TEST(Reshape, Symbolic) {
  auto s = sym({lm::None, 4, 3}, 2);
  EXPECT_EQ(lm::reshape(s, {-1, 4, 3}).spec().str(), "float32 (None, 4, 3) mask (None, 4)");
  EXPECT_EQ(lm::reshape(s, {-1, 4, 3, 1}).spec().str(), "float32 (None, 4, 3, 1) mask (None, 4)");
  // Merging the masked axes (None, 4) into one -1 axis: the mask is (None,), as on data.
  EXPECT_EQ(lm::reshape(s, {-1, 3}).spec().str(), "float32 (None, 3) mask (None,)");
  EXPECT_EQ(lm::reshape(s, {-1, 2, 2, 3}).spec().str(), "float32 (None, 2, 2, 3) mask (None, 2, 2)");
  EXPECT_LAMINA_ERROR(lm::reshape(s, {-1, 12}), lm::MaskError, { EXPECT_HAS(msg, "reshape"); });
  EXPECT_EQ(lm::reshape(sym({lm::None, 4, 3}, 1), {-1, 12}).spec().str(), "float32 (None, 12) mask (None,)");
  auto c = lm::reshape(lm::ones({5, 4, 3}).with_mask(lm::ones({5, 4}, lm::Bool)), {-1, 3});
  EXPECT_EQ(c.spec().str(), "float32 (20, 3) mask (20,)");
}

TEST(Reshape, Gradient) {
  EXPECT_GRADCHECK(
      [](const lm::TensorList& in) {
        return lm::reshape(in[0], {3, -1});
      },
      {lm::random_normal({2, 1, 3}, {.seed = 1})});
  Seq s;
  auto g = grad_of([](const lm::Tensor& t) { return lm::reshape(t, {8, 3}) * 2.f; }, s.x);
  EXPECT_SHAPE(g, lm::Shape({2, 4, 3}));
  // 2 at each of the 15 valid elements (steps 0-1 of the first sequence, 0-2 of the
  // second), exactly 0 at the masked ones, although the loss sums the masked outputs too:
  // a masked entry gets no gradient (DESIGN.md section 5), `* 2` selects it away.
  EXPECT_VALUES(g.without_mask(), {2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0});
  EXPECT_VALUES(lm::sum(g.without_mask()), {30});
}

// ---- expand_dims (already written) -----------------------------------------------------------

TEST(ExpandDims, ValuesMasksAndErrors) {
  auto x = iota({2, 3});
  EXPECT_SHAPE(lm::expand_dims(x, 0), lm::Shape({1, 2, 3}));
  EXPECT_SHAPE(lm::expand_dims(x, 2), lm::Shape({2, 3, 1}));
  EXPECT_SHAPE(lm::expand_dims(x, -1), lm::Shape({2, 3, 1}));
  EXPECT_SHAPE(lm::expand_dims(x, -3), lm::Shape({1, 2, 3}));
  EXPECT_VALUES(lm::expand_dims(x, 1), {0, 1, 2, 3, 4, 5});
  auto m = x.with_mask(bools({true, false}, {2}));
  EXPECT_MASK(lm::expand_dims(m, 0), lm::Shape({1, 2}), {true, false});  // inside the mask: joins it
  EXPECT_MASK(lm::expand_dims(m, 1), lm::Shape({2}), {true, false});     // after it: mask unchanged
  EXPECT_MASK(lm::expand_dims(m, -1), lm::Shape({2}), {true, false});
  EXPECT_LAMINA_ERROR(lm::expand_dims(x, 3), lm::ShapeError, {
    EXPECT_HAS(msg, "expand_dims");
    EXPECT_HAS(msg, "axis 3");
  });
  EXPECT_EQ(lm::expand_dims(sym({lm::None, 4, 3}, 2), 1).spec().str(), "float32 (None, 1, 4, 3) mask (None, 1, 4)");
  EXPECT_EQ(lm::expand_dims(sym({lm::None, 4, 3}, 2), 2).spec().str(), "float32 (None, 4, 1, 3) mask (None, 4)");
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::expand_dims(in[0], -2); },
                   {lm::random_normal({2, 3}, {.seed = 2})});
  EXPECT_SHAPE(lm::expand_dims(lm::zeros({0, 2}), 1), lm::Shape({0, 1, 2}));
}

// ---- broadcast_to (already written) ----------------------------------------------------------

TEST(BroadcastTo, Values) {
  EXPECT_VALUES(lm::broadcast_to(lm::tensor({1.f, 2.f, 3.f}), {2, 3}), {1, 2, 3, 1, 2, 3});
  EXPECT_VALUES(lm::broadcast_to(lm::tensor({{1}, {2}}), {2, 3}), {1, 1, 1, 2, 2, 2});
  EXPECT_EQ(lm::broadcast_to(lm::tensor({{1}, {2}}), {2, 3}).dtype(), lm::Int32);
  EXPECT_SHAPE(lm::broadcast_to(lm::tensor({1.f}), {0, 1}), lm::Shape({0, 1}));
  EXPECT_VALUES(lm::broadcast_to(lm::scalar(true), {2}), {1, 1});
}

TEST(BroadcastTo, Masks) {
  // (3, 2) with mask (3,) -> (2, 3, 2): mask (2, 3), the same for both copies
  auto x = lm::ones({3, 2}).with_mask(bools({true, false, true}, {3}));
  EXPECT_MASK(lm::broadcast_to(x, {2, 3, 2}), lm::Shape({2, 3}), {true, false, true, true, false, true});
  // a size-1 masked axis broadcasts with its mask
  auto y = lm::ones({1, 2}).with_mask(bools({false}, {1}));
  EXPECT_MASK(lm::broadcast_to(y, {3, 2}), lm::Shape({3}), {false, false, false});
}

TEST(BroadcastTo, ErrorsSymbolicGradient) {
  EXPECT_LAMINA_ERROR(lm::broadcast_to(lm::ones({3}), {4}), lm::ShapeError, {
    EXPECT_HAS(msg, "broadcast_to");
    EXPECT_HAS(msg, "(3,) -> (4,)");
  });
  EXPECT_LAMINA_ERROR(lm::broadcast_to(lm::ones({2, 3}), {3}), lm::ShapeError, {});
  EXPECT_LAMINA_ERROR(lm::broadcast_to(lm::ones({3}), {lm::None, 3}), lm::ShapeError,
                      { EXPECT_HAS(msg, "(None, 3)"); });
  auto s = sym({lm::None, 1, 3}, 1);
  EXPECT_EQ(lm::broadcast_to(s, {lm::None, 4, 3}).spec().str(), "float32 (None, 4, 3) mask (None,)");
  EXPECT_EQ(lm::broadcast_to(s, {2, lm::None, 4, 3}).spec().str(), "float32 (2, None, 4, 3) mask (2, None)");
  // A None in the target keeps the input's dim when the graph runs on data.
  auto y = lm::broadcast_to(sym({lm::None, 1}), {lm::None, 3});
  auto out = y.node()->replay({lm::tensor({{1.f}, {2.f}})});
  EXPECT_VALUES(out[0], {1, 1, 1, 2, 2, 2});
  EXPECT_GRADCHECK(
      [](const lm::TensorList& in) {
        return lm::broadcast_to(in[0], {2, 3, 4});
      },
      {lm::random_normal({3, 1}, {.seed = 3})});
  // d/dx of sum(broadcast (2,) -> (3, 2)) = 3 per element
  EXPECT_VALUES(grad_of(
                    [](const lm::Tensor& t) {
                      return lm::broadcast_to(t, {3, 2});
                    },
                    lm::tensor({1.f, 2.f})),
                {3, 3});
}

// ---- transpose ----------------------------------------------------------------------------

TEST(Transpose, Values) {
  auto x = iota({2, 3});
  auto t = lm::transpose(x);
  EXPECT_SHAPE(t, lm::Shape({3, 2}));
  EXPECT_VALUES(t, {0, 3, 1, 4, 2, 5});
  // (2, 3, 4) with perm (2, 0, 1): out[k][i][j] = x[i][j][k] = 12i + 4j + k
  auto y = lm::transpose(iota({2, 3, 4}), {2, 0, 1});
  EXPECT_SHAPE(y, lm::Shape({4, 2, 3}));
  auto v = y.to_vector<double>();
  for (int k = 0; k < 4; ++k)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j) EXPECT_EQ(v[static_cast<std::size_t>(k * 6 + i * 3 + j)], 12 * i + 4 * j + k);
  EXPECT_VALUES(lm::permute(iota({2, 3}), {-1, 0}), {0, 3, 1, 4, 2, 5});  // negative axes
  EXPECT_VALUES(lm::transpose(lm::tensor({{true, false}}), {1, 0}), {1, 0});
  EXPECT_EQ(lm::transpose(lm::tensor({{1L, 2L}})).dtype(), lm::Int64);
  EXPECT_SHAPE(lm::transpose(lm::zeros({0, 3})), lm::Shape({3, 0}));
  EXPECT_SHAPE(lm::transpose(lm::scalar(1.f)), lm::Shape{});
}

TEST(Transpose, Masks) {
  // (2, 3, 1) with mask (2, 3) = [[1,1,0],[1,0,0]]
  auto x = lm::zeros({2, 3, 1}).with_mask(bools({true, true, false, true, false, false}, {2, 3}));
  // Swapping the masked axes permutes the mask: (3, 2) = mask^T
  EXPECT_MASK(lm::transpose(x, {1, 0, 2}), lm::Shape({3, 2}), {true, true, true, false, false, false});
  // The feature axis moves in front of a masked one: the mask is widened to the full shape first.
  EXPECT_MASK(lm::transpose(x, {0, 2, 1}), lm::Shape({2, 1, 3}), {true, true, false, true, false, false});
  EXPECT_MASK(lm::transpose(x, {2, 1, 0}), lm::Shape({1, 3, 2}), {true, true, true, false, false, false});
  // A batch mask (2,) on (2, 3, 1) with perm (1, 0, 2): widened to (2, 3), then (3, 2)
  auto b = lm::zeros({2, 3, 1}).with_mask(bools({true, false}, {2}));
  EXPECT_MASK(lm::transpose(b, {1, 0, 2}), lm::Shape({3, 2}), {true, false, true, false, true, false});
  // Permuting feature axes only leaves the mask alone.
  EXPECT_MASK(lm::transpose(lm::zeros({2, 3, 4}).with_mask(bools({true, false}, {2})), {0, 2, 1}), lm::Shape({2}),
              {true, false});
}

TEST(Transpose, ErrorsSymbolicGradient) {
  auto x = iota({2, 3, 4});
  EXPECT_LAMINA_ERROR(lm::transpose(x, {0, 1}), lm::ShapeError, {
    EXPECT_HAS(msg, "op 'transpose'");
    EXPECT_HAS(msg, "perm [0, 1]");
    EXPECT_HAS(msg, "(2, 3, 4)");
  });
  EXPECT_LAMINA_ERROR(lm::transpose(x, {0, 0, 1}), lm::ShapeError, { EXPECT_HAS(msg, "[0, 0, 1]"); });
  EXPECT_LAMINA_ERROR(lm::transpose(x, {0, 1, 3}), lm::ShapeError, { EXPECT_HAS(msg, "[0, 1, 3]"); });
  auto s = sym({lm::None, 4, 3}, 2);
  EXPECT_EQ(lm::transpose(s, {1, 0, 2}).spec().str(), "float32 (4, None, 3) mask (4, None)");
  EXPECT_EQ(lm::transpose(s, {0, 2, 1}).spec().str(), "float32 (None, 3, 4) mask (None, 3, 4)");
  EXPECT_EQ(lm::transpose(s).spec().str(), "float32 (3, 4, None) mask (3, 4, None)");
  EXPECT_EQ(lm::transpose(sym({lm::None, 4, 3}, 1), {1, 0, 2}).spec().str(), "float32 (4, None, 3) mask (4, None)");
  EXPECT_GRADCHECK(
      [](const lm::TensorList& in) {
        return lm::transpose(in[0], {2, 0, 1});
      },
      {lm::random_normal({2, 1, 3}, {.seed = 4})});
  EXPECT_GRADCHECK(
      [](const lm::TensorList& in) {
        return lm::transpose(in[0], {-1, -3, -2});
      },
      {lm::random_normal({3, 2, 2}, {.seed = 5}).with_mask(bools({true, false, true}, {3}))});
}

// ---- squeeze ------------------------------------------------------------------------------

TEST(Squeeze, ValuesMasksErrors) {
  auto x = iota({2, 1, 3, 1});
  EXPECT_SHAPE(lm::squeeze(x), lm::Shape({2, 3}));
  EXPECT_SHAPE(lm::squeeze(x, {1}), lm::Shape({2, 3, 1}));
  EXPECT_SHAPE(lm::squeeze(x, {-1}), lm::Shape({2, 1, 3}));
  EXPECT_VALUES(lm::squeeze(x), {0, 1, 2, 3, 4, 5});
  EXPECT_SHAPE(lm::squeeze(lm::ones({1})), lm::Shape{});
  // A size-1 masked axis squeezes the mask
  auto m = x.with_mask(bools({true, false}, {2, 1}));
  EXPECT_MASK(lm::squeeze(m, {1}), lm::Shape({2}), {true, false});
  EXPECT_MASK(lm::squeeze(m), lm::Shape({2}), {true, false});
  EXPECT_MASK(lm::squeeze(m, {3}), lm::Shape({2, 1}), {true, false});
  auto one = lm::ones({1, 3}).with_mask(bools({false}, {1}));
  auto sq = lm::squeeze(one, {0});
  EXPECT_EQ(sq.mask_rank(), 0);
  EXPECT_MASK(sq, lm::Shape{}, {false});
  EXPECT_LAMINA_ERROR(lm::squeeze(x, {0}), lm::ShapeError, {
    EXPECT_HAS(msg, "op 'squeeze'");
    EXPECT_HAS(msg, "size 2 in shape (2, 1, 3, 1)");
  });
  EXPECT_LAMINA_ERROR(lm::squeeze(x, {4}), lm::ShapeError, { EXPECT_HAS(msg, "axis 4"); });
  EXPECT_LAMINA_ERROR(lm::squeeze(x, {1, -3}), lm::ShapeError, { EXPECT_HAS(msg, "repeated"); });
  EXPECT_SHAPE(lm::squeeze(lm::zeros({0, 1})), lm::Shape({0}));
}

TEST(Squeeze, SymbolicAndGradient) {
  auto s = sym({lm::None, 1, 3}, 2);
  EXPECT_EQ(lm::squeeze(s).spec().str(), "float32 (None, 3) mask (None,)");
  EXPECT_EQ(lm::squeeze(s, {-2}).spec().str(), "float32 (None, 3) mask (None,)");
  // An unknown axis is kept by squeeze() (its size is not known), also when the data has 1 there.
  auto y = lm::squeeze(sym({lm::None, 1}));
  EXPECT_EQ(y.spec().str(), "float32 (None,)");
  EXPECT_SHAPE(y.node()->replay({lm::ones({1, 1})})[0], lm::Shape({1}));
  EXPECT_EQ(lm::squeeze(sym({lm::None, 3}), {0}).spec().str(), "float32 (3,)");  // explicit: trusted
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::squeeze(in[0]); },
                   {lm::random_normal({1, 3, 1}, {.seed = 6})});
}

// ---- concat -------------------------------------------------------------------------------

TEST(Concat, Values) {
  auto a = lm::tensor({{1.f, 2.f}, {3.f, 4.f}});
  auto b = lm::tensor({{5.f, 6.f}});
  EXPECT_VALUES(lm::concat({a, b}, 0), {1, 2, 3, 4, 5, 6});
  auto c = lm::tensor({{7.f}, {8.f}});
  auto ac = lm::concat({a, c}, 1);
  EXPECT_SHAPE(ac, lm::Shape({2, 3}));
  EXPECT_VALUES(ac, {1, 2, 7, 3, 4, 8});
  EXPECT_VALUES(lm::concat({a, c, a}, -1), {1, 2, 7, 1, 2, 3, 4, 8, 3, 4});
  // dtype promotion: Int32 with Float32 -> Float32
  auto p = lm::concat({lm::tensor({1, 2}), lm::tensor({0.5f})}, 0);
  EXPECT_EQ(p.dtype(), lm::Float32);
  EXPECT_VALUES(p, {1, 2, 0.5});
  EXPECT_VALUES(lm::concat({lm::tensor({true}), lm::tensor({false, true})}, 0), {1, 0, 1});
  // zero-size operands
  EXPECT_VALUES(lm::concat({lm::zeros({0, 2}), a}, 0), {1, 2, 3, 4});
  EXPECT_SHAPE(lm::concat({lm::zeros({2, 0}), lm::zeros({2, 0})}, 1), lm::Shape({2, 0}));
  EXPECT_VALUES(lm::concat({a}, 0), {1, 2, 3, 4});
}

TEST(Concat, Masks) {
  // Along a masked (time) axis: masks are joined; the unmasked operand counts as all-valid.
  auto a = lm::zeros({2, 2, 1}).with_mask(bools({true, false, false, false}, {2, 2}));
  auto b = lm::ones({2, 1, 1});
  EXPECT_MASK(lm::concat({a, b}, 1), lm::Shape({2, 3}), {true, false, true, false, false, true});
  EXPECT_MASK(lm::concat({b, a}, 1), lm::Shape({2, 3}), {true, true, false, true, false, false});
  // Along the batch axis
  EXPECT_MASK(lm::concat({a, a}, 0), lm::Shape({4, 2}), {true, false, false, false, true, false, false, false});
  // Along an unmasked (feature) axis: masks are ANDed.
  auto c = lm::ones({2, 2, 3}).with_mask(bools({true, true, true, false}, {2, 2}));
  EXPECT_MASK(lm::concat({a, c}, 2), lm::Shape({2, 2}), {true, false, false, false});
  // Different mask ranks: (2,) is widened to (2, 2) first.
  auto d = lm::ones({2, 2, 1}).with_mask(bools({true, false}, {2}));
  EXPECT_MASK(lm::concat({c, d}, 2), lm::Shape({2, 2}), {true, true, false, false});
  EXPECT_MASK(lm::concat({d, a}, 1), lm::Shape({2, 4}), {true, true, true, false, false, false, false, false});
  EXPECT_MASK(lm::concat({d, lm::ones({2, 2, 1})}, 0), lm::Shape({4}), {true, false, true, true});
  EXPECT_FALSE(lm::concat({b, b}, 0).has_mask());
}

TEST(Concat, Errors) {
  auto a = lm::ones({2, 3});
  EXPECT_LAMINA_ERROR(lm::concat({a, lm::ones({3, 3}), lm::ones({2, 1})}, 1), lm::ShapeError, {
    EXPECT_HAS(msg, "op 'concat'");
    EXPECT_HAS(msg, "(2, 3), (3, 3), (2, 1)");
    EXPECT_HAS(msg, "along axis 1");
  });
  EXPECT_LAMINA_ERROR(lm::concat({a, lm::ones({2})}, 0), lm::ShapeError, {
    EXPECT_HAS(msg, "same rank");
    EXPECT_HAS(msg, "(2, 3), (2,)");
  });
  EXPECT_LAMINA_ERROR(lm::concat({a, a}, 2), lm::ShapeError, { EXPECT_HAS(msg, "axis 2"); });
  EXPECT_LAMINA_ERROR(lm::concat({}, 0), lm::ValueError, { EXPECT_HAS(msg, "concat"); });
  EXPECT_LAMINA_ERROR(lm::concat({a, lm::Tensor()}, 0), lm::ValueError, { EXPECT_HAS(msg, "undefined"); });
  EXPECT_LAMINA_ERROR(lm::concat({lm::scalar(1.f)}, 0), lm::ShapeError, { EXPECT_HAS(msg, "concat"); });
}

TEST(Concat, SymbolicAndGradient) {
  auto s = sym({lm::None, 4, 3}, 2);
  EXPECT_EQ(lm::concat({s, lm::ones({2, 4, 3})}, 0).spec().str(), "float32 (None, 4, 3) mask (None, 4)");
  EXPECT_EQ(lm::concat({s, sym({lm::None, 4, 5})}, 2).spec().str(), "float32 (None, 4, 8) mask (None, 4)");
  EXPECT_EQ(lm::concat({s, sym({lm::None, 2, 3}, 1)}, 1).spec().str(), "float32 (None, 6, 3) mask (None, 6)");
  // None merges with a known dim off the axis
  EXPECT_EQ(lm::concat({sym({lm::None, 3}), sym({2, 4})}, 1).spec().str(), "float32 (2, 7)");
  EXPECT_LAMINA_ERROR(lm::concat({s, sym({lm::None, 5, 3})}, 2), lm::ShapeError, { EXPECT_HAS(msg, "(None, 5, 3)"); });
  auto a = lm::random_normal({2, 1, 3}, {.seed = 7});
  auto b = lm::random_normal({2, 2, 3}, {.seed = 8}).with_mask(bools({true, false, true, true}, {2, 2}));
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::concat({in[0], in[1], in[0]}, -2); }, {a, b});
  EXPECT_GRADCHECK(
      [](const lm::TensorList& in) {
        return lm::concat({in[0], in[1]}, 0);
      },
      {lm::random_normal({1, 3}, {.seed = 9}), lm::random_normal({2, 3}, {.seed = 10})});
}

// ---- stack --------------------------------------------------------------------------------

TEST(Stack, ValuesAndMasks) {
  auto a = lm::tensor({1.f, 2.f}), b = lm::tensor({3.f, 4.f});
  EXPECT_VALUES(lm::stack({a, b}), {1, 2, 3, 4});
  EXPECT_SHAPE(lm::stack({a, b}), lm::Shape({2, 2}));
  EXPECT_VALUES(lm::stack({a, b}, 1), {1, 3, 2, 4});
  EXPECT_VALUES(lm::stack({a, b, a}, -1), {1, 3, 1, 2, 4, 2});
  EXPECT_SHAPE(lm::stack({lm::zeros({0, 2}), lm::zeros({0, 2})}, 1), lm::Shape({0, 2, 2}));
  EXPECT_EQ(lm::stack({lm::tensor({1}), lm::tensor({2L})}).dtype(), lm::Int64);
  // (T=3, F=1) sequences with masks (3,): stacking into a batch stacks the masks.
  auto s1 = lm::zeros({3, 1}).with_mask(bools({true, true, false}, {3}));
  auto s2 = lm::zeros({3, 1}).with_mask(bools({true, false, false}, {3}));
  auto s3 = lm::zeros({3, 1});
  EXPECT_MASK(lm::stack({s1, s2, s3}), lm::Shape({3, 3}), {true, true, false, true, false, false, true, true, true});
  // At axis 1 (inside the (3,) mask? no: after it) the masks are ANDed.
  EXPECT_MASK(lm::stack({s1, s2}, 1), lm::Shape({3}), {true, false, false});
  EXPECT_MASK(lm::stack({s1, s3}, 2), lm::Shape({3}), {true, true, false});
  // With a (2, 2) mask, stacking at axis 1 is inside it.
  auto m = lm::zeros({2, 2}).with_mask(bools({true, false, false, true}, {2, 2}));
  EXPECT_MASK(lm::stack({m, lm::zeros({2, 2})}, 1), lm::Shape({2, 2, 2}),
              {true, false, true, true, false, true, true, true});
}

TEST(Stack, ErrorsSymbolicGradient) {
  EXPECT_LAMINA_ERROR(lm::stack({lm::ones({2, 3}), lm::ones({3, 2})}), lm::ShapeError, {
    EXPECT_HAS(msg, "op 'stack'");
    EXPECT_HAS(msg, "(2, 3), (3, 2)");
  });
  EXPECT_LAMINA_ERROR(lm::stack({lm::ones({2}), lm::ones({2})}, 2), lm::ShapeError, { EXPECT_HAS(msg, "axis 2"); });
  EXPECT_LAMINA_ERROR(lm::stack({}), lm::ValueError, { EXPECT_HAS(msg, "stack"); });
  auto s = sym({lm::None, 4, 3}, 2);
  EXPECT_EQ(lm::stack({s, s}, 0).spec().str(), "float32 (2, None, 4, 3) mask (2, None, 4)");
  EXPECT_EQ(lm::stack({s, s}, 2).spec().str(), "float32 (None, 4, 2, 3) mask (None, 4)");
  EXPECT_EQ(lm::stack({s, lm::ones({5, 4, 3})}, -1).spec().str(), "float32 (5, 4, 3, 2) mask (5, 4)");
  EXPECT_GRADCHECK(
      [](const lm::TensorList& in) {
        return lm::stack({in[0], in[1], in[0]}, 1);
      },
      {lm::random_normal({2, 3}, {.seed = 11}), lm::random_normal({2, 3}, {.seed = 12})});
}

// ---- split --------------------------------------------------------------------------------

TEST(Split, ValuesAndMasks) {
  auto x = iota({2, 6});
  auto parts = lm::split(x, 3, 1);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_VALUES(parts[0], {0, 1, 6, 7});
  EXPECT_VALUES(parts[2], {4, 5, 10, 11});
  auto sized = lm::split(x, {1, 0, 5}, -1);
  ASSERT_EQ(sized.size(), 3u);
  EXPECT_VALUES(sized[0], {0, 6});
  EXPECT_SHAPE(sized[1], lm::Shape({2, 0}));
  EXPECT_VALUES(sized[2], {1, 2, 3, 4, 5, 7, 8, 9, 10, 11});
  EXPECT_VALUES(lm::split(x, 2)[1], {6, 7, 8, 9, 10, 11});
  // Along a masked axis the mask is split; along an unmasked one each part keeps it.
  Seq s;
  auto t = lm::split(s.x, {1, 3}, 1);
  EXPECT_MASK(t[0], lm::Shape({2, 1}), {true, true});
  EXPECT_MASK(t[1], lm::Shape({2, 3}), {true, false, false, true, true, false});
  auto f = lm::split(s.x, 3, 2);
  for (const auto& p : f) EXPECT_MASK(p, lm::Shape({2, 4}), {true, true, false, false, true, true, true, false});
  EXPECT_SHAPE(lm::split(lm::zeros({0, 4}), 2, 1)[0], lm::Shape({0, 2}));
  EXPECT_EQ(lm::split(lm::zeros({4}), 4, 0).size(), 4u);
}

TEST(Split, ErrorsSymbolicGradient) {
  auto x = iota({2, 5});
  EXPECT_LAMINA_ERROR(lm::split(x, 2, 1), lm::ShapeError, {
    EXPECT_HAS(msg, "op 'split'");
    EXPECT_HAS(msg, "axis 1 has length 5");
  });
  EXPECT_LAMINA_ERROR(lm::split(x, {2, 2}, 1), lm::ShapeError, { EXPECT_HAS(msg, "sizes [2, 2] adding up to 4"); });
  EXPECT_LAMINA_ERROR(lm::split(x, 0, 1), lm::ValueError, { EXPECT_HAS(msg, "sections = 0"); });
  EXPECT_LAMINA_ERROR(lm::split(x, {6, -1}, 1), lm::ValueError, { EXPECT_HAS(msg, "[6, -1]"); });
  EXPECT_LAMINA_ERROR(lm::split(x, 1, 2), lm::ShapeError, { EXPECT_HAS(msg, "axis 2"); });
  auto s = sym({lm::None, 4, 3}, 2);
  auto p = lm::split(s, 2, 1);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[1].spec().str(), "float32 (None, 2, 3) mask (None, 2)");
  auto q = lm::split(s, 2, 0);
  EXPECT_EQ(q[0].spec().str(), "float32 (None, 4, 3) mask (None, 4)");
  auto r = lm::split(s, {2, 1}, -1);
  EXPECT_EQ(r[0].spec().str(), "float32 (None, 4, 2) mask (None, 4)");
  EXPECT_GRADCHECK(
      [](const lm::TensorList& in) {
        auto parts = lm::split(in[0], {1, 2}, -1);
        return lm::concat({parts[1] * 2.0, parts[0] * 3.0}, -1);
      },
      {lm::random_normal({2, 3}, {.seed = 13})});
  // Outputs that get no gradient contribute zeros.
  EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return lm::split(t, 2, 0)[1]; }, lm::ones({4})), {0, 0, 1, 1});
}

// ---- slice --------------------------------------------------------------------------------

TEST(Slice, PythonSemantics) {
  auto x = iota({10});
  using R = lm::Range;
  EXPECT_VALUES(lm::slice(x, 0, R{2, 7}), {2, 3, 4, 5, 6});
  EXPECT_VALUES(lm::slice(x, 0, R{-3, {}}), {7, 8, 9});
  EXPECT_VALUES(lm::slice(x, 0, R{{}, -7}), {0, 1, 2});
  EXPECT_VALUES(lm::slice(x, 0, R{{}, {}, -1}), {9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  EXPECT_VALUES(lm::slice(x, 0, R{8, 2, -2}), {8, 6, 4});
  EXPECT_VALUES(lm::slice(x, 0, R{-1, -11, -3}), {9, 6, 3, 0});
  EXPECT_VALUES(lm::slice(x, 0, R{{}, {}, 4}), {0, 4, 8});
  EXPECT_VALUES(lm::slice(x, 0, R{1, 100, 3}), {1, 4, 7});
  EXPECT_VALUES(lm::slice(x, 0, R{-100, 2}), {0, 1});
  EXPECT_VALUES(lm::slice(x, 0, R{100, -100, -4}), {9, 5, 1});
  EXPECT_SHAPE(lm::slice(x, 0, R{100, {}}), lm::Shape({0}));
  EXPECT_SHAPE(lm::slice(x, 0, R{5, 2}), lm::Shape({0}));
  EXPECT_SHAPE(lm::slice(x, 0, R{2, 5, -1}), lm::Shape({0}));
  // Multi-axis: x[1:, ::-2] of a (3, 4)
  auto y = iota({3, 4});
  EXPECT_VALUES(lm::slice(y, {R{1, {}}, R{{}, {}, -2}}), {7, 5, 11, 9});
  EXPECT_VALUES(lm::slice(y, {R{-1, {}}}), {8, 9, 10, 11});  // missing axes taken whole
  EXPECT_VALUES(lm::slice(y, -1, R{1, 2}), {1, 5, 9});       // negative axis
  EXPECT_EQ(lm::slice(lm::tensor({1, 2, 3}), 0, R{1, {}}).dtype(), lm::Int32);
  EXPECT_SHAPE(lm::slice(lm::zeros({0, 3}), 1, R{1, {}}), lm::Shape({0, 2}));
  EXPECT_SHAPE(lm::slice(lm::zeros({0}), 0, R{{}, {}, -1}), lm::Shape({0}));
}

TEST(Slice, Masks) {
  Seq s;
  // Along the masked time axis: x[:, 1:3] -> mask [[1, 0], [1, 1]]
  EXPECT_MASK(lm::slice(s.x, 1, {1, 3}), lm::Shape({2, 2}), {true, false, true, true});
  // Reversed time: [[0,0,1,1],[0,1,1,1]]
  EXPECT_MASK(lm::slice(s.x, 1, {{}, {}, -1}), lm::Shape({2, 4}), {false, false, true, true, false, true, true, true});
  // Batch row 1 only
  EXPECT_MASK(lm::slice(s.x, 0, {1, 2}), lm::Shape({1, 4}), {true, true, true, false});
  // Features only: mask unchanged
  auto f = lm::slice(s.x, 2, {0, 1});
  EXPECT_MASK(f, lm::Shape({2, 4}), {true, true, false, false, true, true, true, false});
  EXPECT_VALUES(lm::slice(f, 0, {0, 1}), {0, 3, 6, 9});
}

TEST(Slice, ErrorsSymbolicGradient) {
  auto x = iota({2, 3});
  EXPECT_LAMINA_ERROR(lm::slice(x, 1, {0, 2, 0}), lm::ValueError, {
    EXPECT_HAS(msg, "op 'slice'");
    EXPECT_HAS(msg, "step cannot be zero");
    EXPECT_HAS(msg, "0:2:0 on axis 1");
  });
  EXPECT_LAMINA_ERROR(lm::slice(x, {{}, {}, {}}), lm::ShapeError, { EXPECT_HAS(msg, "3 ranges"); });
  EXPECT_LAMINA_ERROR(lm::slice(x, 2, {}), lm::ShapeError, { EXPECT_HAS(msg, "axis 2"); });
  auto s = sym({lm::None, 4, 3}, 2);
  EXPECT_EQ(lm::slice(s, 1, {1, {}}).spec().str(), "float32 (None, 3, 3) mask (None, 3)");
  EXPECT_EQ(lm::slice(s, {{0, 1}, {{}, {}, -2}}).spec().str(), "float32 (None, 2, 3) mask (None, 2)");
  EXPECT_EQ(lm::slice(s, -1, {-1, {}}).spec().str(), "float32 (None, 4, 1) mask (None, 4)");
  // Gradient: scattered into zeros
  EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return lm::slice(t, 0, {1, 3}); }, lm::ones({4})), {0, 1, 1, 0});
  EXPECT_VALUES(grad_of(
                    [](const lm::Tensor& t) {
                      return lm::slice(t, 0, {{}, {}, -2}) * lm::tensor({1.f, 2.f});
                    },
                    lm::ones({4})),
                {0, 2, 0, 1});  // picks x[3], x[1] weighted 1, 2
  EXPECT_GRADCHECK(
      [](const lm::TensorList& in) {
        return lm::slice(in[0], {{1, {}}, {{}, {}, -2}});
      },
      {lm::random_normal({3, 1, 5}, {.seed = 14})});
  EXPECT_GRADCHECK(
      [](const lm::TensorList& in) {
        return lm::slice(in[0], -1, {-2, 0, -1});
      },
      {lm::random_normal({2, 4}, {.seed = 15}).with_mask(bools({true, false}, {2}))});
  // Second order: the slice's backward is differentiable (its own gradient slices again).
  auto x2 = lm::tensor({1.0, 2.0, 3.0});
  lm::GradientTape outer;
  outer.watch(x2);
  lm::Tensor g;
  {
    lm::GradientTape inner;
    inner.watch(x2);
    auto tail = lm::slice(x2, 0, {1, {}});
    g = *inner.gradient(lm::sum(tail * tail), x2);  // d/dx sum(x[1:]^2) = [0, 2x1, 2x2]
  }
  EXPECT_VALUES(g, {0, 4, 6});
  EXPECT_VALUES(*outer.gradient(lm::sum(g), x2), {0, 2, 2});
}

// ---- pad ----------------------------------------------------------------------------------

TEST(Pad, ValuesAndMasks) {
  auto x = lm::tensor({{1.f, 2.f}, {3.f, 4.f}});
  auto p = lm::pad(x, {{1, 0}, {0, 2}}, -1);
  EXPECT_SHAPE(p, lm::Shape({3, 4}));
  EXPECT_VALUES(p, {-1, -1, -1, -1, 1, 2, -1, -1, 3, 4, -1, -1});
  EXPECT_VALUES(lm::pad(lm::tensor({5, 6}), {{2, 1}}), {0, 0, 5, 6, 0});
  EXPECT_EQ(lm::pad(lm::tensor({5, 6}), {{2, 1}}, 3.0).dtype(), lm::Int32);  // a whole float fits
  EXPECT_VALUES(lm::pad(lm::tensor({true}), {{1, 1}}, true), {1, 1, 1});
  EXPECT_VALUES(lm::pad(lm::zeros({0}), {{1, 1}}, 7), {7, 7});
  // Padding the masked time axis marks the new steps invalid; padding features leaves the mask.
  Seq s;
  auto t = lm::pad(s.x, {{0, 0}, {1, 1}, {0, 0}});
  EXPECT_MASK(t, lm::Shape({2, 6}), {false, true, true, false, false, false, false, true, true, true, false, false});
  auto b = lm::pad(s.x, {{0, 1}, {0, 0}, {0, 0}});
  EXPECT_MASK(b, lm::Shape({3, 4}), {true, true, false, false, true, true, true, false, false, false, false, false});
  auto f = lm::pad(s.x, {{0, 0}, {0, 0}, {2, 0}});
  EXPECT_MASK(f, lm::Shape({2, 4}), {true, true, false, false, true, true, true, false});
  EXPECT_FALSE(lm::pad(x, {{1, 1}, {1, 1}}).has_mask());
}

TEST(Pad, ErrorsSymbolicGradient) {
  auto x = iota({2, 3});
  EXPECT_LAMINA_ERROR(lm::pad(x, {{1, -1}, {0, 0}}), lm::ValueError, {
    EXPECT_HAS(msg, "op 'pad'");
    EXPECT_HAS(msg, "[(1, -1), (0, 0)]");
  });
  EXPECT_LAMINA_ERROR(lm::pad(x, {{1, 1}}), lm::ShapeError, { EXPECT_HAS(msg, "2 pairs for shape (2, 3)"); });
  EXPECT_LAMINA_ERROR(lm::pad(lm::tensor({1, 2}), {{1, 1}}, 0.5), lm::DTypeError, { EXPECT_HAS(msg, "int32"); });
  auto s = sym({lm::None, 4, 3}, 2);
  EXPECT_EQ(lm::pad(s, {{0, 0}, {2, 1}, {0, 1}}).spec().str(), "float32 (None, 7, 4) mask (None, 7)");
  EXPECT_EQ(lm::pad(s, {{1, 0}, {0, 0}, {0, 0}}).spec().str(), "float32 (None, 4, 3) mask (None, 4)");
  EXPECT_VALUES(grad_of(
                    [](const lm::Tensor& t) {
                      return lm::pad(t, {{1, 2}}) * lm::tensor({9.f, 1.f, 2.f, 9.f, 9.f});
                    },
                    lm::ones({2})),
                {1, 2});
  EXPECT_GRADCHECK(
      [](const lm::TensorList& in) {
        return lm::pad(in[0], {{0, 1}, {2, 0}, {1, 1}}, 0.5);
      },
      {lm::random_normal({2, 1, 3}, {.seed = 16})});
}

// ---- tile ---------------------------------------------------------------------------------

TEST(Tile, ValuesAndMasks) {
  EXPECT_VALUES(lm::tile(lm::tensor({1.f, 2.f}), {3}), {1, 2, 1, 2, 1, 2});
  auto x = lm::tensor({{1, 2}, {3, 4}});
  auto t = lm::tile(x, {2, 1});
  EXPECT_SHAPE(t, lm::Shape({4, 2}));
  EXPECT_VALUES(t, {1, 2, 3, 4, 1, 2, 3, 4});
  EXPECT_VALUES(lm::tile(x, {1, 2}), {1, 2, 1, 2, 3, 4, 3, 4});
  EXPECT_EQ(t.dtype(), lm::Int32);
  // reps longer than the rank: new leading axes (NumPy)
  auto l = lm::tile(lm::tensor({7.f, 8.f}), {2, 1});
  EXPECT_SHAPE(l, lm::Shape({2, 2}));
  EXPECT_VALUES(l, {7, 8, 7, 8});
  // reps shorter than the rank: leading axes kept
  EXPECT_VALUES(lm::tile(x, {2}), {1, 2, 1, 2, 3, 4, 3, 4});
  EXPECT_SHAPE(lm::tile(lm::zeros({0, 2}), {3, 2}), lm::Shape({0, 4}));
  // Masks: tiling the masked axis tiles the mask; features leave it; new leading axes join it.
  auto m = lm::zeros({2, 3}).with_mask(bools({true, false}, {2}));
  EXPECT_MASK(lm::tile(m, {2, 1}), lm::Shape({4}), {true, false, true, false});
  EXPECT_MASK(lm::tile(m, {1, 3}), lm::Shape({2}), {true, false});
  EXPECT_MASK(lm::tile(m, {3, 1, 2}), lm::Shape({3, 2}), {true, false, true, false, true, false});
}

TEST(Tile, ErrorsSymbolicGradient) {
  EXPECT_LAMINA_ERROR(lm::tile(lm::ones({2}), {0}), lm::ValueError, {
    EXPECT_HAS(msg, "op 'tile'");
    EXPECT_HAS(msg, "reps [0]");
  });
  EXPECT_LAMINA_ERROR(lm::tile(lm::ones({2}), {2, -1}), lm::ValueError, { EXPECT_HAS(msg, "[2, -1]"); });
  auto s = sym({lm::None, 4, 3}, 2);
  EXPECT_EQ(lm::tile(s, {2, 1, 2}).spec().str(), "float32 (None, 4, 6) mask (None, 4)");
  EXPECT_EQ(lm::tile(s, {2, 1, 1, 1}).spec().str(), "float32 (2, None, 4, 3) mask (2, None, 4)");
  // Each element appears 2 * 3 = 6 times in tile(x, {2, 3}).
  EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return lm::tile(t, {2, 3}); }, lm::ones({1, 2})), {6, 6});
  EXPECT_GRADCHECK(
      [](const lm::TensorList& in) {
        return lm::tile(in[0], {2, 1, 3});
      },
      {lm::random_normal({2, 1}, {.seed = 17})});
  EXPECT_GRADCHECK(
      [](const lm::TensorList& in) {
        return lm::tile(in[0], {2, 1, 2});
      },
      {lm::random_normal({2, 1, 3}, {.seed = 18})});
}

// ---- flip ---------------------------------------------------------------------------------

TEST(Flip, ValuesMasksErrorsSymbolicGradient) {
  auto x = iota({2, 3});
  EXPECT_VALUES(lm::flip(x, {1}), {2, 1, 0, 5, 4, 3});
  EXPECT_VALUES(lm::flip(x, {0}), {3, 4, 5, 0, 1, 2});
  EXPECT_VALUES(lm::flip(x, {-1, 0}), {5, 4, 3, 2, 1, 0});
  EXPECT_VALUES(lm::flip(x, {}), {5, 4, 3, 2, 1, 0});  // every axis, like NumPy
  EXPECT_VALUES(lm::flip(lm::tensor({true, false, false}), {0}), {0, 0, 1});
  EXPECT_SHAPE(lm::flip(lm::zeros({0, 2}), {0, 1}), lm::Shape({0, 2}));
  Seq s;
  EXPECT_MASK(lm::flip(s.x, {1}), lm::Shape({2, 4}), {false, false, true, true, false, true, true, true});
  EXPECT_MASK(lm::flip(s.x, {0}), lm::Shape({2, 4}), {true, true, true, false, true, true, false, false});
  EXPECT_MASK(lm::flip(s.x, {2}), lm::Shape({2, 4}), {true, true, false, false, true, true, true, false});
  EXPECT_LAMINA_ERROR(lm::flip(x, {2}), lm::ShapeError, {
    EXPECT_HAS(msg, "op 'flip'");
    EXPECT_HAS(msg, "axis 2");
  });
  EXPECT_LAMINA_ERROR(lm::flip(x, {1, -1}), lm::ShapeError, { EXPECT_HAS(msg, "repeated"); });
  EXPECT_EQ(lm::flip(sym({lm::None, 4, 3}, 2), {1}).spec().str(), "float32 (None, 4, 3) mask (None, 4)");
  EXPECT_VALUES(grad_of(
                    [](const lm::Tensor& t) {
                      return lm::flip(t, {0}) * lm::tensor({1.f, 2.f, 3.f});
                    },
                    lm::ones({3})),
                {3, 2, 1});
  EXPECT_GRADCHECK(
      [](const lm::TensorList& in) {
        return lm::flip(in[0], {0, -1});
      },
      {lm::random_normal({2, 1, 3}, {.seed = 19})});
}

// ---- every op on symbolic input replays to the concrete result's spec ------------------------

TEST(Symbolic, ConcreteAgreesWithSpec) {
  auto s = sym({lm::None, 4, 3}, 2);
  auto c = lm::random_normal({5, 4, 3}, {.seed = 20}).with_mask(lm::ones({5, 4}, lm::Bool));
  std::vector<std::function<lm::Tensor(const lm::Tensor&)>> ops{
      [](const lm::Tensor& t) {
        return lm::reshape(t, {-1, 3});
      },
      [](const lm::Tensor& t) {
        return lm::transpose(t, {1, 0, 2});
      },
      [](const lm::Tensor& t) {
        return lm::transpose(t, {0, 2, 1});
      },
      [](const lm::Tensor& t) { return lm::expand_dims(t, 1); },
      [](const lm::Tensor& t) { return lm::squeeze(lm::expand_dims(t, -1)); },
      [](const lm::Tensor& t) {
        return lm::concat({t, t}, 1);
      },
      [](const lm::Tensor& t) {
        return lm::concat({t, t}, 2);
      },
      [](const lm::Tensor& t) {
        return lm::stack({t, t}, 1);
      },
      [](const lm::Tensor& t) { return lm::split(t, 2, 1)[1]; },
      [](const lm::Tensor& t) {
        return lm::split(t, {1, 2}, 2)[0];
      },
      [](const lm::Tensor& t) {
        return lm::slice(t, {{1, {}}, {{}, {}, -1}});
      },
      [](const lm::Tensor& t) {
        return lm::pad(t, {{0, 0}, {1, 2}, {0, 1}});
      },
      [](const lm::Tensor& t) {
        return lm::tile(t, {1, 2, 2});
      },
      [](const lm::Tensor& t) {
        return lm::tile(t, {3, 1, 1, 1});
      },
      [](const lm::Tensor& t) { return lm::flip(t, {1}); },
      [](const lm::Tensor& t) {
        return lm::broadcast_to(t, {2, lm::None, 4, 3});
      },
  };
  for (std::size_t i = 0; i < ops.size(); ++i) {
    auto y = ops[i](s);
    ASSERT_TRUE(y.is_symbolic()) << i;
    auto z = ops[i](c);
    EXPECT_EQ(z.dtype(), y.dtype()) << i;
    EXPECT_EQ(z.mask_rank(), y.mask_rank()) << i << ": " << y.spec().str() << " vs " << z.spec().str();
    ASSERT_EQ(z.rank(), y.rank()) << i;
    for (std::int64_t d = 0; d < y.rank(); ++d)
      if (y.shape()[d] >= 0) {
        EXPECT_EQ(z.shape()[d], y.shape()[d]) << i;
      }
    // The symbolic node replays to the same result (when it is fed by s directly).
    bool direct = true;
    for (const auto& in : y.node()->inputs) direct = direct && in.id() == s.id();
    if (!direct) continue;
    auto r = y.node()->replay(lm::TensorList(y.node()->inputs.size(), c));
    EXPECT_EQ(r[static_cast<std::size_t>(y.output_index())].spec(), z.spec()) << i;
  }
}

// ---- large inputs (threaded, run-copying paths) -----------------------------------------------

TEST(Large, CopiesAreCorrect) {
  const std::int64_t n = 300, m = 500;
  auto x = iota({n, m});
  auto t = lm::transpose(x);
  auto tv = t.to_vector<float>();
  for (std::int64_t i = 0; i < n; i += 37)
    for (std::int64_t j = 0; j < m; j += 41) ASSERT_EQ(tv[static_cast<std::size_t>(j * n + i)], float(i * m + j));
  // Tiled transposes (the contiguous source dim first or in the middle; sizes not multiples
  // of the tile) against the index formula; Int64 and Bool exercise other element sizes.
  for (lm::Axes perm : {lm::Axes{2, 1, 0}, lm::Axes{0, 2, 1}, lm::Axes{2, 0, 1}}) {
    auto y = lm::cast(iota({40, 33, 70}), lm::Int64);
    auto yt = lm::transpose(y, perm);
    auto v = yt.to_vector<std::int64_t>();
    const std::int64_t dims[3] = {40, 33, 70}, strides[3] = {33 * 70, 70, 1};
    std::int64_t o = 0;
    for (std::int64_t i = 0; i < dims[perm[0]]; ++i)
      for (std::int64_t j = 0; j < dims[perm[1]]; ++j)
        for (std::int64_t k = 0; k < dims[perm[2]]; ++k, ++o)
          ASSERT_EQ(v[static_cast<std::size_t>(o)], i * strides[perm[0]] + j * strides[perm[1]] + k * strides[perm[2]]);
    std::vector<bool> parity(40 * 33 * 70);
    for (std::size_t n = 0; n < parity.size(); ++n) parity[n] = n % 3 == 0;
    auto bt = lm::transpose(bools(parity, {40, 33, 70}), perm).to_vector<bool>();
    for (std::size_t n = 0; n < bt.size(); ++n) ASSERT_EQ(bt[n], v[n] % 3 == 0);
  }
  auto c = lm::concat({x, x}, 1);
  auto parts = lm::split(c, 2, 1);
  EXPECT_EQ(parts[1].to_vector<float>(), x.to_vector<float>());
  auto f = lm::flip(lm::flip(x, {0, 1}), {1, 0});
  EXPECT_EQ(f.to_vector<float>(), x.to_vector<float>());
  auto sl = lm::slice(x, {{{}, {}, 2}, {1, {}, 3}});
  EXPECT_SHAPE(sl, lm::Shape({150, 167}));
  EXPECT_EQ(sl.to_vector<float>()[167 + 2], float(2 * m + 1 + 2 * 3));
  // argmax/argmin along a leading axis with many columns (several column chunks), masked.
  std::vector<bool> rowmask(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) rowmask[static_cast<std::size_t>(i)] = i < n - 1;  // last row is padding
  auto xm = x.with_mask(bools(rowmask, {n}));
  auto am = lm::argmax(xm, 0).to_vector<std::int64_t>();
  auto an = lm::argmin(xm, 0).to_vector<std::int64_t>();
  for (std::int64_t j = 0; j < m; ++j) {
    ASSERT_EQ(am[static_cast<std::size_t>(j)], n - 2);  // values grow down a column; row n-1 is padding
    ASSERT_EQ(an[static_cast<std::size_t>(j)], 0);
  }
  auto p = lm::pad(x, {{1, 1}, {2, 2}});
  EXPECT_EQ(lm::slice(p, {{1, -1}, {2, -2}}).to_vector<float>(), x.to_vector<float>());
}
