// Matrix products on the BLAS: matmul (NumPy semantics), dot (Keras K.dot) and dense
// (Dense's dot + bias + relu as one op, with the values, masks and gradients of the three).
//
// Both reduce to one internal, recorded primitive, `bmm`: op(A) @ op(B) over NumPy-
// broadcast batch axes, computed by cblas_?gemm directly on the tensors' buffers
// (transposes are BLAS flags, never copies) into a fresh, unzeroed output with beta = 0.
// A batched A against an unbatched B is one GEMM with the batch folded into the rows.
// The gradient of bmm is bmm again with other flags, so higher-order gradients work.
//
// dtypes: Float32/Float64 compute in their own type; integer operands compute (and
// return) Float32; Bool operands are a DTypeError.
//
// Masks (DESIGN.md section 5): a masked operand has zeros selected in at its masked
// entries first (a copy, made only then), so masked entries contribute nothing whatever
// they hold (NaN, inf) and receive zero gradient. The output mask is the AND of each operand's
// remaining mask -- "any valid" over the contracted axis -- placed on the output axes its
// other axes become (batch/rows of `a`, batch/columns of `b`); a mask that covered only
// the contracted axis leaves nothing, like a reduction over every mask axis.
#include "lamina/ops/linalg.hpp"

#include <cblas.h>
#include <fmt/format.h>

#include <climits>
#include <cstring>

#include "core/cpu_clones.hpp"
#include "core/parallel.hpp"
#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/core/profile.hpp"
#include "lamina/core/recording.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/mask.hpp"
#include "lamina/ops/reduce.hpp"
#include "lamina/ops/shape.hpp"
#include "ops/support/dims.hpp"
#include "ops/support/elementwise_op.hpp"
#include "ops/support/mask_align.hpp"
#include "ops/support/pairwise.hpp"
#include "ops/support/reduce_plan.hpp"

namespace lamina {

namespace {

using detail::concat_dims;
using detail::dims_of;
using detail::product;

using Needs = std::vector<bool>;

// ---- BLAS --------------------------------------------------------------------------------

inline CBLAS_TRANSPOSE flag(bool t) { return t ? CblasTrans : CblasNoTrans; }

// Row-major C (M x N, leading dim ldc) = op(A) @ op(B) + beta C.
void gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda,
          const float* b, std::int64_t ldb, float* c, std::int64_t ldc, float beta = 0) {
  profile::Scope timed(profile::Kind::Gemm);
  detail::sync_threads();
  cblas_sgemm(CblasRowMajor, flag(ta), flag(tb), static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.0f, a, static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}
void gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const double* a, std::int64_t lda,
          const double* b, std::int64_t ldb, double* c, std::int64_t ldc, double beta = 0) {
  profile::Scope timed(profile::Kind::Gemm);
  detail::sync_threads();
  cblas_dgemm(CblasRowMajor, flag(ta), flag(tb), static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.0, a, static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}

// Below this many multiply-adds per matrix, batches run in parallel (each GEMM then runs
// single-threaded inside the OpenMP region) instead of one threaded GEMM after another.
constexpr std::int64_t kSmallGemm = std::int64_t{1} << 18;

Tensor bmm(const char* op, const Tensor& a, const Tensor& b, bool ta, bool tb);

// The gradient of bmm (inputs mask-free, in the compute dtype).
TensorList bmm_backward(const char* op, const Tensor& a, const Tensor& b, bool ta, bool tb, const Tensor& g,
                        const Needs& needs) {
  Tensor ga, gb;
  if (needs[0]) {
    if (!ta)
      ga = tb ? bmm(op, g, b, false, false) : bmm(op, g, b, false, true);  // G B  | G Bt
    else
      ga = tb ? bmm(op, b, g, true, true) : bmm(op, b, g, false, true);  // Bt Gt | B Gt
    ga = detail::unbroadcast(ga, a.shape());
  }
  if (needs[1]) {
    const Shape& as = a.shape();
    const std::int64_t ra = as.rank();
    if (!ta && ra > 2 && b.shape().prefix(b.rank() - 2).numel() == 1) {
      // Unbatched B against batched A: fold A's batch into its rows, one GEMM.
      const std::int64_t rows = product(as, 0, ra - 1);
      Tensor a2 = reshape(a, Shape{rows, as[ra - 1]});
      Tensor g2 = reshape(g, Shape{rows, g.shape()[g.rank() - 1]});
      gb = reshape(tb ? bmm(op, g2, a2, true, false) : bmm(op, a2, g2, true, false), b.shape());
    } else {
      if (!tb)
        gb = ta ? bmm(op, a, g, false, false) : bmm(op, a, g, true, false);  // A G  | At G
      else
        gb = ta ? bmm(op, g, a, true, true) : bmm(op, g, a, true, false);  // Gt At | Gt A
      gb = detail::unbroadcast(gb, b.shape());
    }
  }
  return {ga, gb};
}

// op(A) @ op(B) over the last two axes, batch axes broadcast. a and b: concrete, mask-free,
// one floating dtype, rank >= 2, inner dimensions already checked by the caller.
Tensor bmm(const char* op, const Tensor& a, const Tensor& b, bool ta, bool tb) {
  const Shape& as = a.shape();
  const Shape& bs = b.shape();
  const std::int64_t ra = as.rank(), rb = bs.rank();
  const std::int64_t ar = as[ra - 2], ac = as[ra - 1], br = bs[rb - 2], bc = bs[rb - 1];
  const std::int64_t m = ta ? ac : ar, k = ta ? ar : ac, n = tb ? br : bc;
  const Shape batch_a = as.prefix(ra - 2), batch_b = bs.prefix(rb - 2);
  const Shape batch = detail::broadcast_shapes(batch_a, batch_b, op);
  for (std::int64_t d : {ar, ac, br, bc, batch_a.numel() * m})
    if (d > INT_MAX)
      throw ValueError({.op = op,
                        .problem = "a matrix dimension exceeds the BLAS's 32-bit integer range",
                        .expected = fmt::format("dimensions <= {}", INT_MAX),
                        .found = fmt::format("{} @ {}", as.str(), bs.str()),
                        .hint = "split the product into smaller blocks (e.g. along the batch axis)"});
  Tensor out = detail::empty(concat_dims({batch.dims(), {m, n}}), a.dtype());
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const T* pa = a.data<T>();
      const T* pb = b.data<T>();
      T* pc = detail::mutable_data<T>(out);
      if (out.numel() == 0) return;
      if (k == 0) {  // empty sum
        std::fill(pc, pc + out.numel(), T{0});
        return;
      }
      const std::int64_t lda = std::max<std::int64_t>(ac, 1), ldb = std::max<std::int64_t>(bc, 1);
      if (!ta && batch_b.numel() == 1) {  // (..., M, K) @ (K, N): one GEMM with M' = batch * M
        gemm(false, tb, batch_a.numel() * m, n, k, pa, lda, pb, ldb, pc, n);
        return;
      }
      const std::vector<std::int64_t> sa = detail::broadcast_strides(batch_a, batch);
      const std::vector<std::int64_t> sb = detail::broadcast_strides(batch_b, batch);
      const std::int64_t nbatch = batch.numel(), mat_a = ar * ac, mat_b = br * bc, mat_c = m * n;
      auto run = [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
          std::int64_t oa = 0, ob = 0, rem = i;
          for (std::int64_t d = batch.rank() - 1; d >= 0; --d) {
            const std::int64_t at = rem % batch[d];
            rem /= batch[d];
            oa += at * sa[static_cast<std::size_t>(d)];
            ob += at * sb[static_cast<std::size_t>(d)];
          }
          gemm(ta, tb, m, n, k, pa + oa * mat_a, lda, pb + ob * mat_b, ldb, pc + i * mat_c, n);
        }
      };
      const std::int64_t work = m * n * k;
      if (work < kSmallGemm)
        detail::parallel_for(nbatch, std::max<std::int64_t>(1, kSmallGemm / work), run);
      else
        run(0, nbatch);
    }
  });
  if (recording_active())
    record_gradient(op, {a, b}, {out}, [op, a, b, ta, tb](const TensorList& g, const Needs& needs) {
      return bmm_backward(op, a, b, ta, tb, g[0], needs);
    });
  return out;
}

// (X, Y, Z) -> (Y, X, Z): dot with a batched `b` computes (J, P, U) and returns (P, J, U).
Tensor swap_leading(const char* op, const Tensor& x) {
  const Shape& s = x.shape();
  const std::int64_t nx = s[0], ny = s[1], z = s[2];
  Tensor out = detail::empty(Shape{ny, nx, z}, x.dtype());
  const std::size_t bytes = static_cast<std::size_t>(z) * itemsize(x.dtype());
  const char* src = static_cast<const char*>(x.raw_data());
  char* dst = static_cast<char*>(detail::mutable_raw_data(out));
  if (bytes > 0)
    detail::parallel_for(nx * ny, std::max<std::int64_t>(1, detail::kElementwiseGrain / z),
                         [&](std::int64_t b, std::int64_t e) {
                           for (std::int64_t r = b; r < e; ++r)  // out row (y, x) <- in row (x, y)
                             std::memcpy(dst + static_cast<std::size_t>(r) * bytes,
                                         src + static_cast<std::size_t>((r % nx) * ny + r / nx) * bytes, bytes);
                         });
  if (recording_active())
    record_gradient(op, {x}, {out},
                    [op](const TensorList& g, const Needs&) { return TensorList{swap_leading(op, g[0])}; });
  return out;
}

// ---- planning (specs only: the symbolic and the concrete path share it) --------------------

// Where an operand's axes go: out_axis[i] is the output axis of operand axis i (unused for
// the contracted axis).
struct Role {
  std::int64_t contracted = 0;
  std::vector<std::int64_t> out_axis;
};

struct ProductPlan {
  Shape out_shape;
  Role a, b;
  std::int64_t mask_rank = -1;
};

// Rank of the output mask an operand's mask leads to: the furthest output axis its
// non-contracted mask axes reach. -1 when unmasked or when the mask covered only the
// contracted axis (nothing of it remains, as when a reduction consumes every mask axis).
std::int64_t remaining_mask_rank(const Role& r, std::int64_t mask_rank) {
  if (mask_rank <= 0) return mask_rank;
  std::int64_t rank = -1;
  for (std::int64_t i = 0; i < mask_rank; ++i)
    if (i != r.contracted) rank = std::max(rank, r.out_axis[static_cast<std::size_t>(i)] + 1);
  return rank;
}

DType product_dtype(const Tensor& a, const Tensor& b, const char* op) {
  for (const Tensor* x : {&a, &b})
    if (x->dtype() == Bool)
      throw DTypeError({.op = op,
                        .problem = fmt::format("{} does not multiply Bool tensors", op),
                        .expected = "float32 or float64 operands (integers compute in float32)",
                        .found = fmt::format("{} and {}", dtype_name(a.dtype()), dtype_name(b.dtype())),
                        .hint = "convert explicitly: lm::cast(x, lm::Float32)"});
  return detail::floating(detail::promote(a, b, op));
}

void require_rank1(const TensorSpec& a, const TensorSpec& b, const char* op) {
  if (a.shape.rank() >= 1 && b.shape.rank() >= 1) return;
  throw ShapeError({.op = op,
                    .problem = "a matrix product needs operands with at least one axis",
                    .expected = "vectors, matrices or batches of matrices",
                    .found = fmt::format("{} and {}", a.shape.str(), b.shape.str()),
                    .hint = "multiply by a scalar with lm::mul (or *)"});
}

void check_contraction(const char* op, const Shape& a, const Shape& b, std::int64_t ka, std::int64_t kb,
                       const char* which_b) {
  const std::int64_t da = a[ka], db = b[kb];
  if (da < 0 || db < 0 || da == db) return;
  throw ShapeError({.op = op,
                    .problem = "the contracted dimensions differ",
                    .expected = fmt::format("the last dimension of a to equal the {} dimension of b", which_b),
                    .found = fmt::format("{} {} {}: contracting a's axis {} (size {}) with b's axis {} (size {})",
                                         a.str(), op, b.str(), ka, da, kb, db),
                    .hint = "transpose or reshape an operand so the contracted axes match"});
}

ProductPlan plan_matmul(const TensorSpec& as, const TensorSpec& bs) {
  require_rank1(as, bs, "matmul");
  const Shape& a = as.shape;
  const Shape& b = bs.shape;
  const std::int64_t ra = a.rank(), rb = b.rank();
  const bool a1 = ra == 1, b1 = rb == 1;
  check_contraction("matmul", a, b, ra - 1, b1 ? 0 : rb - 2, b1 ? "only" : "second-to-last");
  // Batch axes (all but the last two) broadcast, aligned from the right.
  const Shape batch_a = a1 ? Shape{} : a.prefix(ra - 2), batch_b = b1 ? Shape{} : b.prefix(rb - 2);
  const std::int64_t nb = std::max(batch_a.rank(), batch_b.rank());
  std::vector<std::int64_t> batch(static_cast<std::size_t>(nb));
  for (std::int64_t i = 0; i < nb; ++i) {
    const std::int64_t da = i < nb - batch_a.rank() ? 1 : batch_a[i - (nb - batch_a.rank())];
    const std::int64_t db = i < nb - batch_b.rank() ? 1 : batch_b[i - (nb - batch_b.rank())];
    if (da != db && da != 1 && db != 1 && da >= 0 && db >= 0)
      throw ShapeError(
          {.op = "matmul",
           .problem = "the batch dimensions cannot be broadcast together",
           .expected = "batch dimensions (all but the last two) equal or 1, aligned from the right",
           .found = fmt::format("{} matmul {}: batch {} vs {}", a.str(), b.str(), batch_a.str(), batch_b.str()),
           .hint = "reshape or expand_dims an operand so its batch axes line up"});
    batch[static_cast<std::size_t>(i)] = da == db ? da : da == 1 ? db : db == 1 ? da : da < 0 ? db : da;
  }
  ProductPlan p;
  std::vector<std::int64_t> out = batch;
  if (!a1) out.push_back(a[ra - 2]);
  if (!b1) out.push_back(b[rb - 1]);
  p.out_shape = Shape(out);
  p.a.contracted = ra - 1;
  p.a.out_axis.assign(static_cast<std::size_t>(ra), -1);
  for (std::int64_t i = 0; i + 1 < ra; ++i) p.a.out_axis[static_cast<std::size_t>(i)] = nb - (ra - 2) + i;
  p.b.contracted = b1 ? 0 : rb - 2;
  p.b.out_axis.assign(static_cast<std::size_t>(rb), -1);
  for (std::int64_t i = 0; i + 2 < rb; ++i) p.b.out_axis[static_cast<std::size_t>(i)] = nb - (rb - 2) + i;
  if (!b1) p.b.out_axis[static_cast<std::size_t>(rb - 1)] = nb + (a1 ? 0 : 1);
  p.mask_rank = std::max(remaining_mask_rank(p.a, as.mask_rank), remaining_mask_rank(p.b, bs.mask_rank));
  return p;
}

ProductPlan plan_dot(const TensorSpec& as, const TensorSpec& bs) {
  require_rank1(as, bs, "dot");
  const Shape& a = as.shape;
  const Shape& b = bs.shape;
  const std::int64_t ra = a.rank(), rb = b.rank();
  const std::int64_t kb = rb <= 2 ? 0 : rb - 2;
  check_contraction("dot", a, b, ra - 1, kb, rb == 1 ? "only" : rb == 2 ? "first" : "second-to-last");
  ProductPlan p;
  std::vector<std::int64_t> out = dims_of(a, 0, ra - 1);
  for (std::int64_t i = 0; i < rb; ++i)
    if (i != kb) out.push_back(b[i]);
  p.out_shape = Shape(out);
  p.a.contracted = ra - 1;
  p.a.out_axis.assign(static_cast<std::size_t>(ra), -1);
  for (std::int64_t i = 0; i + 1 < ra; ++i) p.a.out_axis[static_cast<std::size_t>(i)] = i;
  p.b.contracted = kb;
  p.b.out_axis.assign(static_cast<std::size_t>(rb), -1);
  for (std::int64_t i = 0; i < rb; ++i)
    if (i != kb) p.b.out_axis[static_cast<std::size_t>(i)] = ra - 1 + (i < kb ? i : i - 1);
  p.mask_rank = std::max(remaining_mask_rank(p.a, as.mask_rank), remaining_mask_rank(p.b, bs.mask_rank));
  return p;
}

// ---- masks -------------------------------------------------------------------------------

// x in the compute dtype without its mask, with zeros selected in at its masked entries
// (a recorded where, so their gradient is exactly zero). Selected, not multiplied by the
// mask: 0 * inf is NaN. Every masked entry, not only those of the contracted axis: the
// backward multiplies the operands by the output's gradient, which is zero at masked rows.
Tensor contraction_operand(const Tensor& x, DType dt) {
  Tensor c = cast(x, dt);
  return (c.has_mask() ? fill_masked(c, 0) : c).without_mask();
}

Tensor product_mask(const Tensor& a, const Tensor& b, const ProductPlan& p) {
  if (p.mask_rank < 0) return {};
  const Shape target = p.out_shape.prefix(p.mask_rank);
  Tensor acc;
  for (auto [x, role] : {std::pair{&a, &p.a}, std::pair{&b, &p.b}}) {
    if (!x->has_mask()) continue;
    Tensor m = x->mask();
    const std::int64_t mr = m.rank();
    std::vector<std::int64_t> axes;
    for (std::int64_t i = 0; i < mr; ++i)
      if (i != role->contracted) axes.push_back(role->out_axis[static_cast<std::size_t>(i)]);
    if (mr > 0 && axes.empty()) continue;  // only the contracted axis was masked
    if (mr > role->contracted) m = detail::mask_any(m, role->contracted);
    acc = detail::mask_and_into(acc, detail::place_mask(m, axes, target));
  }
  return acc;
}

// ---- dense --------------------------------------------------------------------------------

// The three ops dense stands for: the path for symbolic tensors, integer or mixed dtypes and
// bad shapes (whose errors they raise), and the reference the fused path equals.
Tensor dense_composite(const Tensor& x, const Tensor& kernel, const Tensor& bias, DenseActivation activation) {
  Tensor y = dot(x, kernel);
  if (bias.defined()) y = y + bias;
  return activation == DenseActivation::Relu ? relu(y) : y;
}

bool fused_dense_applies(const Tensor& x, const Tensor& kernel, const Tensor& bias) {
  if (x.is_symbolic() || kernel.is_symbolic() || (bias.defined() && bias.is_symbolic())) return false;
  const DType dt = kernel.dtype();
  if ((dt != Float32 && dt != Float64) || x.dtype() != dt || x.rank() < 2 || kernel.rank() != 2 || kernel.has_mask())
    return false;
  if (bias.defined() &&
      (bias.dtype() != dt || bias.rank() != 1 || bias.has_mask() || bias.shape()[0] != kernel.shape()[1]))
    return false;
  return x.shape()[x.rank() - 1] == kernel.shape()[0];
}

// max(v, 0) in place, NaN passing as in relu; compiled per ISA.
template <class T>
LAMINA_CPU_CLONES void relu_in_place(T* v, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) v[i] = v[i] < T(0) ? T(0) : v[i];
}

// out (rows x units) = activation(x2 @ kernel + bias); x2 mask-free.
template <class T>
void dense_kernel(const T* x2, const T* kernel, const T* bias, T* out, std::int64_t rows, std::int64_t f,
                  std::int64_t units, bool relu_out) {
  const std::int64_t grain = std::max<std::int64_t>(1, detail::kElementwiseGrain / std::max<std::int64_t>(units, 1));
  if (bias) {  // the GEMM adds onto the bias (beta = 1): no separate pass over the output
    profile::Scope timed(profile::Kind::Dense);
    detail::parallel_for(rows, grain, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t r = b; r < e; ++r) std::memcpy(out + r * units, bias, sizeof(T) * units);
    });
  }
  if (f > 0)
    gemm(false, false, rows, units, f, x2, f, kernel, units, out, units, bias ? T(1) : T(0));
  else if (!bias)
    std::fill(out, out + rows * units, T(0));  // an empty sum
  if (relu_out) {
    profile::Scope timed(profile::Kind::Dense);
    detail::parallel_for(rows * units, detail::kElementwiseGrain,
                         [&](std::int64_t b, std::int64_t e) { relu_in_place<T>(out + b, e - b); });
  }
}

// Columns [j0, j1) of dense's first-order backward: gp = g gated by relu (where out > 0; gp
// may be g itself when not gated) and db = the column sums of gp, summed pairwise down the
// rows as lm::sum does. Compiled per ISA, picked at load time.
template <class T>
LAMINA_CPU_CLONES void dense_backward_columns(const T* g, const T* out, T* gp, T* db, std::int64_t rows,
                                              std::int64_t units, std::int64_t j0, std::int64_t j1) {
  const std::int64_t w = j1 - j0;
  auto plus = [](double x, double y) { return x + y; };
  detail::ColumnPairwise<double, decltype(plus)> sums(db ? w : 0, 0.0, plus);
  for (std::int64_t r = 0; r < rows; ++r) {
    // Locals that no store can alias, and a select rather than a branch (relu's signs
    // are random): the loops vectorise. Both values are loaded before the select: a load
    // under the condition cannot be vectorised without masked loads (AVX-512), and the
    // build targets any x86-64.
    const std::int64_t row = r * units + j0;
    const T* __restrict g_row = g + row;
    T* __restrict gp_row = out ? gp + row : nullptr;
    if (out) {
      const T* __restrict out_row = out + row;
      for (std::int64_t j = 0; j < w; ++j) {
        const T gv = g_row[j], ov = out_row[j];
        gp_row[j] = ov > T(0) ? gv : T(0);
      }
    }
    if (db) {
      const T* __restrict src = out ? gp_row : g_row;
      double* __restrict acc = sums.block();
      for (std::int64_t j = 0; j < w; ++j) acc[j] += static_cast<double>(src[j]);
      sums.end_row();
    }
  }
  if (db) {
    std::vector<double> col_sums(static_cast<std::size_t>(w));
    sums.result(col_sums.data());
    for (std::int64_t j = 0; j < w; ++j) db[j0 + j] = static_cast<T>(col_sums[static_cast<std::size_t>(j)]);
  }
}

// The whole backward of dense's elementwise part in one pass: threads take column ranges and
// stream through the rows, so each column is summed in the same order whatever the thread count.
template <class T>
void dense_backward_kernel(const T* g, const T* out, T* gp, T* db, std::int64_t rows, std::int64_t units) {
  profile::Scope timed(profile::Kind::Dense);
  const std::int64_t grain = std::max<std::int64_t>(1, detail::kElementwiseGrain / std::max<std::int64_t>(rows, 1));
  detail::parallel_for(units, grain, [&](std::int64_t j0, std::int64_t j1) {
    dense_backward_columns<T>(g, out, gp, db, rows, units, j0, j1);
  });
}

}  // namespace

// ---- public ops --------------------------------------------------------------------------

Tensor matmul(const Tensor& a, const Tensor& b) {
  OpScope scope("matmul");
  detail::require_defined(a, "matmul", "first operand");
  detail::require_defined(b, "matmul", "second operand");
  const DType dt = product_dtype(a, b, "matmul");
  ProductPlan p = plan_matmul(a.spec(), b.spec());
  if (any_symbolic({a, b}))
    return symbolic_op("matmul", {a, b}, TensorSpec{p.out_shape, dt, p.mask_rank},
                       [](const TensorList& in) { return matmul(in[0], in[1]); });
  Tensor ca = contraction_operand(a, dt), cb = contraction_operand(b, dt);
  const std::int64_t k = a.shape()[a.rank() - 1];
  if (a.rank() == 1) ca = reshape(ca, Shape{1, k});
  if (b.rank() == 1) cb = reshape(cb, Shape{k, 1});
  Tensor out = bmm("matmul", ca, cb, false, false);
  if (a.rank() == 1 || b.rank() == 1) out = reshape(out, p.out_shape);
  detail::set_mask(out, product_mask(a, b, p));
  return out;
}

Tensor dot(const Tensor& a, const Tensor& b) {
  OpScope scope("dot");
  detail::require_defined(a, "dot", "first operand");
  detail::require_defined(b, "dot", "second operand");
  const DType dt = product_dtype(a, b, "dot");
  ProductPlan p = plan_dot(a.spec(), b.spec());
  if (any_symbolic({a, b}))
    return symbolic_op("dot", {a, b}, TensorSpec{p.out_shape, dt, p.mask_rank},
                       [](const TensorList& in) { return dot(in[0], in[1]); });
  Tensor ca = contraction_operand(a, dt), cb = contraction_operand(b, dt);
  const Shape& as = a.shape();
  const Shape& bs = b.shape();
  const std::int64_t f = as[as.rank() - 1], rows = product(as, 0, as.rank() - 1);
  // (..., F) as (rows, F): a view, so (B,T,F).(F,U) is one GEMM with M = B*T.
  Tensor a2 = reshape(ca, Shape{rows, f});
  Tensor out;
  if (b.rank() == 1) {
    out = bmm("dot", a2, reshape(cb, Shape{f, 1}), false, false);
  } else if (b.rank() == 2) {
    out = bmm("dot", a2, cb, false, false);
  } else {  // (J..., F, U): (J, rows, U), then rows first
    const std::int64_t j = product(bs, 0, bs.rank() - 2), u = bs[bs.rank() - 1];
    out = swap_leading("dot", bmm("dot", a2, reshape(cb, Shape{j, f, u}), false, false));
  }
  out = reshape(out, p.out_shape);
  detail::set_mask(out, product_mask(a, b, p));
  return out;
}

Tensor dense(const Tensor& x, const Tensor& kernel, const Tensor& bias, DenseActivation activation) {
  OpScope scope("dense");
  detail::require_defined(x, "dense", "input");
  detail::require_defined(kernel, "dense", "kernel");
  if (!fused_dense_applies(x, kernel, bias)) return dense_composite(x, kernel, bias, activation);
  const DType dt = kernel.dtype();
  const ProductPlan p = plan_dot(x.spec(), kernel.spec());
  const Tensor xm = contraction_operand(x, dt);  // zeros at masked entries, as dot has
  const std::int64_t f = kernel.shape()[0], units = kernel.shape()[1];
  const std::int64_t rows = product(x.shape(), 0, x.rank() - 1);
  for (std::int64_t d : {rows, f, units})
    if (d > INT_MAX) return dense_composite(x, kernel, bias, activation);  // raises the BLAS range error
  const bool relu_out = activation == DenseActivation::Relu;
  Tensor out = detail::empty(p.out_shape, dt);  // (..., U): rows x units, row-major
  visit_dtype(dt, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      if (out.numel() > 0)
        dense_kernel<T>(xm.data<T>(), kernel.data<T>(), bias.defined() ? bias.data<T>() : nullptr,
                        detail::mutable_data<T>(out), rows, f, units, relu_out);
    }
  });
  detail::set_mask(out, product_mask(x, kernel, p));
  if (recording_active()) {
    const bool has_bias = bias.defined();
    TensorList inputs = has_bias ? TensorList{xm, kernel, bias} : TensorList{xm, kernel};
    record_gradient("dense", inputs, {out}, [xm, kernel, out, relu_out, has_bias, rows, f, units](
                                                const TensorList& g, const Needs& needs) {
      TensorList grads(has_bias ? 3 : 2);
      const bool need_bias = has_bias && needs[2];
      Tensor g2;
      if (!recording_tracks({g[0], xm, kernel, out}) && !out.has_mask() && g[0].shape() == out.shape()) {
        // Nothing records this backward (no higher-order gradient) and no mask: the gate and
        // the bias gradient in one pass of plain loops.
        const Tensor& gy = g[0];
        g2 = relu_out ? detail::empty(Shape{rows, units}, gy.dtype()) : reshape(gy, Shape{rows, units});
        if (need_bias) grads[2] = detail::empty(Shape{units}, gy.dtype());
        visit_dtype(gy.dtype(), [&](auto tag) {
          using T = decltype(tag);
          if constexpr (std::is_floating_point_v<T>)
            if (relu_out || need_bias)
              dense_backward_kernel<T>(gy.data<T>(), relu_out ? out.data<T>() : nullptr,
                                       relu_out ? detail::mutable_data<T>(g2) : nullptr,
                                       need_bias ? detail::mutable_data<T>(grads[2]) : nullptr, rows, units);
        });
      } else {  // with public ops, so that higher-order gradients and masks work
        Tensor gy = detail::select_valid(g[0], out);  // exact zeros at masked outputs
        if (relu_out) gy = detail::relu_gate(gy, out.without_mask());
        g2 = reshape(gy, Shape{rows, units});
        if (need_bias) grads[2] = sum(g2, Axes{0});
      }
      if (needs[0]) grads[0] = reshape(bmm("dense", g2, kernel.without_mask(), false, true), xm.shape());
      if (needs[1]) grads[1] = bmm("dense", reshape(xm.without_mask(), Shape{rows, f}), g2, true, false);
      return grads;
    });
  }
  return out;
}

}  // namespace lamina
