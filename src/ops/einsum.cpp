// einsum: the equation is parsed into one label per operand axis ("..." dims get labels of
// their own, aligned from the right), then planned on specs (label sizes, output shape,
// output mask rank) so the symbolic and the concrete path agree, then computed by
// reduction to public ops: labels only one operand has and nobody needs are summed out,
// and operands are contracted left to right as one batched matmul each --
// (batch, kept-of-a, contracted) @ (batch, contracted, kept-of-b) -- followed by a reshape
// and a final transpose into the output order. Masked entries are selected to 0 first.
#include "lamina/ops/einsum.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"
#include "lamina/ops/linalg.hpp"
#include "lamina/ops/reduce.hpp"
#include "lamina/ops/shape.hpp"
#include "ops/support/elementwise_op.hpp"
#include "ops/support/mask_align.hpp"
#include "ops/support/select_valid.hpp"
#include "ops/support/shape_util.hpp"
#include "core/attrs.hpp"

namespace lamina {

namespace {

using Labels = std::vector<int>;
constexpr int kEllipsis = -1;     // marks "..." inside a parsed term
constexpr int kFirstBatch = 256;  // labels of "..." dims: 256 + position among the broadcast dims

struct Term {
  Labels entries;                  // letters, kEllipsis at most once
  std::vector<std::size_t> where;  // position in the equation of each entry
};

struct Parsed {
  std::vector<Term> inputs;
  Term output;
  bool explicit_output = false;
  std::size_t output_at = 0;  // position of the output term (after "->")
};

[[noreturn]] void bad_equation(const std::string& eq, std::size_t pos, const std::string& problem) {
  throw ValueError({.op = "einsum",
                    .problem = problem,
                    .expected = "terms of letters a-z, A-Z separated by ',', \"...\" at most once per term, then "
                                "optionally \"->\" and the output term",
                    .found = fmt::format("\"{}\": position {} ('{}')", eq, pos,
                                         pos < eq.size() ? eq.substr(pos, 1) : std::string("end")),
                    .hint = "e.g. \"bij,bjk->bik\" (batch matmul) or \"...ij,...jk->...ik\""});
}

std::string label_str(int l) {
  return l >= kFirstBatch ? fmt::format("'...' dim {}", l - kFirstBatch) : fmt::format("'{}'", static_cast<char>(l));
}

Term parse_term(const std::string& eq, std::size_t begin, std::size_t end) {
  Term t;
  for (std::size_t i = begin; i < end; ++i) {
    const char c = eq[i];
    if (c == ' ') continue;
    if (c == '.') {
      if (i + 3 > end || eq.compare(i, 3, "...") != 0) bad_equation(eq, i, "a '.' must be part of \"...\"");
      if (std::find(t.entries.begin(), t.entries.end(), kEllipsis) != t.entries.end())
        bad_equation(eq, i, "\"...\" appears twice in one term");
      t.entries.push_back(kEllipsis);
      t.where.push_back(i);
      i += 2;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      t.entries.push_back(c);
      t.where.push_back(i);
    } else {
      bad_equation(eq, i, fmt::format("unexpected character '{}'", c));
    }
  }
  return t;
}

Parsed parse(const std::string& eq) {
  Parsed p;
  const std::size_t arrow = eq.find("->");
  for (std::size_t i = 0; i < eq.size(); ++i)
    if ((eq[i] == '-' || eq[i] == '>') && (arrow == std::string::npos || (i != arrow && i != arrow + 1)))
      bad_equation(eq, i,
                   eq.compare(i, 2, "->") == 0 ? "\"->\" appears twice (one output term at most)"
                                               : "a '-' or '>' that is not part of \"->\"");
  const std::size_t in_end = arrow == std::string::npos ? eq.size() : arrow;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= in_end; ++i)
    if (i == in_end || eq[i] == ',') {
      p.inputs.push_back(parse_term(eq, start, i));
      start = i + 1;
    }
  if (arrow != std::string::npos) {
    p.explicit_output = true;
    p.output_at = arrow + 2;
    for (std::size_t i = arrow + 2; i < eq.size(); ++i)
      if (eq[i] == ',') bad_equation(eq, i, "the output is a single term");
    p.output = parse_term(eq, arrow + 2, eq.size());
  }
  // Within a term, a letter names one axis: traces and diagonals are not supported.
  for (const Term& t : p.inputs)
    for (std::size_t i = 0; i < t.entries.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (t.entries[i] != kEllipsis && t.entries[i] == t.entries[j])
          bad_equation(eq, t.where[i],
                       fmt::format("label '{}' is repeated within one operand (traces and diagonals are not "
                                   "supported)",
                                   static_cast<char>(t.entries[i])));
  return p;
}

// The plan on specs: labels of each operand's axes, the output labels and shape, and the
// output mask rank.
struct Plan {
  std::vector<Labels> labels;
  Labels out;
  std::map<int, std::int64_t> size;
  Shape out_shape;
  std::int64_t mask_rank = -1;
};

// The output positions of an operand's mask axes that survive (not summed), in operand order.
std::vector<std::int64_t> surviving(const Labels& labels, std::int64_t mask_rank, const Labels& out) {
  std::vector<std::int64_t> pos;
  for (std::int64_t i = 0; i < mask_rank; ++i) {
    auto it = std::find(out.begin(), out.end(), labels[static_cast<std::size_t>(i)]);
    if (it != out.end()) pos.push_back(it - out.begin());
  }
  return pos;
}

Plan plan(const std::string& eq, const std::vector<TensorSpec>& specs) {
  Parsed p = parse(eq);
  if (p.inputs.size() != specs.size())
    throw ValueError({.op = "einsum",
                      .problem = "the equation and the operands disagree on how many operands there are",
                      .expected = fmt::format("{} operand(s), one per term of \"{}\"", p.inputs.size(), eq),
                      .found = fmt::format("{} operand(s)", specs.size()),
                      .hint = "write one comma-separated term per operand, e.g. \"ij,jk->ik\" for two"});
  Plan pl;
  std::int64_t batch_dims = 0;  // the broadcast "..." rank
  std::vector<std::int64_t> ell(specs.size(), 0);
  for (std::size_t o = 0; o < specs.size(); ++o) {
    const Term& t = p.inputs[o];
    const bool has_ell = std::find(t.entries.begin(), t.entries.end(), kEllipsis) != t.entries.end();
    const auto named = static_cast<std::int64_t>(t.entries.size()) - (has_ell ? 1 : 0);
    const std::int64_t rank = specs[o].shape.rank();
    if (has_ell ? rank < named : rank != named)
      throw ShapeError(
          {.op = "einsum",
           .problem = fmt::format("operand {} does not have the axes its term names", o),
           .expected = fmt::format("{}{} axes for term {} of \"{}\"", has_ell ? "at least " : "", named, o, eq),
           .found = fmt::format("shape {} (rank {})", specs[o].shape.str(), rank),
           .hint = "one letter per axis; \"...\" stands for any number of leading batch axes"});
    ell[o] = has_ell ? rank - named : 0;
    batch_dims = std::max(batch_dims, ell[o]);
  }
  for (std::size_t o = 0; o < specs.size(); ++o) {
    Labels l;
    for (int e : p.inputs[o].entries) {
      if (e != kEllipsis) {
        l.push_back(e);
        continue;
      }
      for (std::int64_t j = 0; j < ell[o]; ++j) l.push_back(kFirstBatch + static_cast<int>(batch_dims - ell[o] + j));
    }
    // Sizes: a letter's axes must agree; "..." dims broadcast (1 stretches).
    for (std::size_t i = 0; i < l.size(); ++i) {
      const std::int64_t d = specs[o].shape[static_cast<std::int64_t>(i)];
      auto [it, fresh] = pl.size.emplace(l[i], d);
      if (fresh) continue;
      std::int64_t& have = it->second;
      const bool batch = l[i] >= kFirstBatch;
      if (batch && (d == 1 || have == 1)) {
        have = have == 1 ? d : have;
      } else if (detail::dims_clash(have, d)) {
        throw ShapeError({.op = "einsum",
                          .problem = fmt::format("label {} has different sizes in different operands", label_str(l[i])),
                          .expected = batch ? "equal sizes, or 1 (it broadcasts)" : "one size for every axis it labels",
                          .found = fmt::format("{} and {} (operand {} has shape {}) in \"{}\"", have, d, o,
                                               specs[o].shape.str(), eq),
                          .hint = "check the order of the letters in each term against the operands' axes"});
      } else {
        have = detail::merge_dim(have, d);
      }
    }
    pl.labels.push_back(l);
  }
  if (p.explicit_output) {
    const Term& t = p.output;
    for (std::size_t i = 0; i < t.entries.size(); ++i) {
      const int e = t.entries[i];
      if (e == kEllipsis) {
        for (std::int64_t j = 0; j < batch_dims; ++j) pl.out.push_back(kFirstBatch + static_cast<int>(j));
        continue;
      }
      if (std::find(pl.out.begin(), pl.out.end(), e) != pl.out.end())
        bad_equation(eq, t.where[i], fmt::format("label '{}' appears twice in the output", static_cast<char>(e)));
      if (!pl.size.count(e))
        bad_equation(eq, t.where[i], fmt::format("output label '{}' is in no operand", static_cast<char>(e)));
      pl.out.push_back(e);
    }
    if (batch_dims > 0 && std::find(t.entries.begin(), t.entries.end(), kEllipsis) == t.entries.end())
      bad_equation(eq, p.output_at, "the operands have \"...\" dims but the output does not say where they go");
  } else {
    for (std::int64_t j = 0; j < batch_dims; ++j) pl.out.push_back(kFirstBatch + static_cast<int>(j));
    std::map<int, int> count;
    for (const Labels& l : pl.labels)
      for (int x : l)
        if (x < kFirstBatch) ++count[x];
    for (auto [x, c] : count)  // std::map: ASCII order
      if (c == 1) pl.out.push_back(x);
  }
  std::vector<std::int64_t> dims;
  for (int x : pl.out) dims.push_back(pl.size[x]);
  pl.out_shape = Shape(dims);
  for (std::size_t o = 0; o < specs.size(); ++o) {
    const std::int64_t mr = specs[o].mask_rank;
    if (mr < 0) continue;
    std::vector<std::int64_t> pos = surviving(pl.labels[o], mr, pl.out);
    if (mr > 0 && pos.empty()) continue;  // every mask axis summed over: nothing remains
    std::int64_t r = 0;
    for (auto x : pos) r = std::max(r, x + 1);
    pl.mask_rank = std::max(pl.mask_rank, r);
  }
  return pl;
}

// ---- concrete path ---------------------------------------------------------------------------

struct Operand {
  Tensor t;  // mask-free, compute dtype
  Labels labels;
};

bool has(const Labels& l, int x) { return std::find(l.begin(), l.end(), x) != l.end(); }

// Sums out the labels of x that `keep` does not name.
Operand sum_unneeded(Operand x, const std::set<int>& keep) {
  Axes axes;
  Labels rest;
  for (std::size_t i = 0; i < x.labels.size(); ++i) {
    if (keep.count(x.labels[i]))
      rest.push_back(x.labels[i]);
    else
      axes.push_back(static_cast<std::int64_t>(i));
  }
  if (axes.empty()) return x;
  return {sum(x.t, axes), rest};
}

// x's axes reordered to `order` (labels of x).
Tensor permuted(const Operand& x, const Labels& order) {
  Axes perm;
  for (int l : order) perm.push_back(std::find(x.labels.begin(), x.labels.end(), l) - x.labels.begin());
  return transpose(x.t, perm);
}

// One contraction of a and b, keeping the labels in `keep`.
Operand contract(Operand a, Operand b, const std::set<int>& keep, const std::map<int, std::int64_t>& size) {
  a = sum_unneeded(std::move(a), [&] {
    std::set<int> k = keep;
    k.insert(b.labels.begin(), b.labels.end());
    return k;
  }());
  b = sum_unneeded(std::move(b), [&] {
    std::set<int> k = keep;
    k.insert(a.labels.begin(), a.labels.end());
    return k;
  }());
  Labels batch, contracted, a_only, b_only;
  for (int l : a.labels) {
    if (!has(b.labels, l))
      a_only.push_back(l);
    else
      (keep.count(l) ? batch : contracted).push_back(l);
  }
  for (int l : b.labels)
    if (!has(a.labels, l)) b_only.push_back(l);
  // Shared "..." dims of size 1 on one side stretch to the other's size.
  auto stretch = [&](Operand& x) {
    std::vector<std::int64_t> dims;
    for (std::size_t i = 0; i < x.labels.size(); ++i) {
      const int l = x.labels[i];
      dims.push_back(has(batch, l) || has(contracted, l) ? size.at(l) : x.t.shape()[static_cast<std::int64_t>(i)]);
    }
    if (Shape(dims) != x.t.shape()) x.t = broadcast_to(x.t, Shape(dims));
  };
  stretch(a);
  stretch(b);
  // Dims as the operands have them now (a "..." dim kept by one side may still be 1).
  std::map<int, std::int64_t> dim;
  for (const Operand* x : {&a, &b})
    for (std::size_t i = 0; i < x->labels.size(); ++i) dim[x->labels[i]] = x->t.shape()[static_cast<std::int64_t>(i)];
  auto numel = [&](const Labels& ls) {
    std::int64_t n = 1;
    for (int l : ls) n *= dim.at(l);
    return n;
  };
  const std::int64_t nb = numel(batch), m = numel(a_only), k = numel(contracted), n = numel(b_only);
  Labels order_a = batch, order_b = batch;
  order_a.insert(order_a.end(), a_only.begin(), a_only.end());
  order_a.insert(order_a.end(), contracted.begin(), contracted.end());
  order_b.insert(order_b.end(), contracted.begin(), contracted.end());
  order_b.insert(order_b.end(), b_only.begin(), b_only.end());
  Tensor ta = reshape(permuted(a, order_a), Shape{nb, m, k});
  Tensor tb = reshape(permuted(b, order_b), Shape{nb, k, n});
  Labels out = batch;
  out.insert(out.end(), a_only.begin(), a_only.end());
  out.insert(out.end(), b_only.begin(), b_only.end());
  std::vector<std::int64_t> dims;
  for (int l : out) dims.push_back(dim.at(l));
  return {reshape(matmul(ta, tb), Shape(dims)), out};
}

// The output mask: each operand's mask, "any valid" over its summed axes, moved to the
// output axes of its remaining labels.
Tensor output_mask(const TensorList& xs, const Plan& pl) {
  if (pl.mask_rank < 0) return {};
  const Shape target = pl.out_shape.prefix(pl.mask_rank);
  Tensor acc;
  for (std::size_t o = 0; o < xs.size(); ++o) {
    if (!xs[o].has_mask()) continue;
    Tensor m = xs[o].mask();
    const std::int64_t mr = m.rank();
    const Labels& labels = pl.labels[o];
    std::vector<std::int64_t> pos = surviving(labels, mr, pl.out);
    if (mr > 0 && pos.empty()) continue;
    for (std::int64_t i = mr - 1; i >= 0; --i)
      if (!has(pl.out, labels[static_cast<std::size_t>(i)])) m = detail::mask_any(m, i);
    // Order the surviving axes as in the output, then place them.
    Axes perm(pos.size());
    for (std::size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<std::int64_t>(i);
    std::sort(perm.begin(), perm.end(), [&](std::int64_t a, std::int64_t b) {
      return pos[static_cast<std::size_t>(a)] < pos[static_cast<std::size_t>(b)];
    });
    std::sort(pos.begin(), pos.end());
    if (!std::is_sorted(perm.begin(), perm.end())) m = transpose(m, perm);
    acc = detail::mask_and_into(acc, detail::place_mask(m, pos, target));
  }
  return acc;
}

DType einsum_dtype(const TensorList& xs) {
  for (const auto& x : xs)
    if (x.dtype() == Bool)
      throw DTypeError({.op = "einsum",
                        .problem = "einsum does not multiply Bool tensors",
                        .expected = "float32 or float64 operands (integers compute in float32)",
                        .found = fmt::format("a bool operand of shape {}", x.shape().str()),
                        .hint = "convert explicitly: lm::cast(x, lm::Float32)"});
  return detail::floating(detail::promote(xs, "einsum"));
}

}  // namespace

Tensor einsum(const std::string& equation, const TensorList& operands) {
  OpScope scope("einsum");
  if (operands.empty())
    throw ValueError({.op = "einsum",
                      .problem = "needs at least one operand",
                      .expected = "one tensor per term of the equation",
                      .found = fmt::format("no operands for \"{}\"", equation),
                      .hint = "pass the tensors as a list: einsum(\"ij,jk->ik\", {a, b})"});
  for (const auto& x : operands) detail::require_defined(x, "einsum", "operand");
  std::vector<TensorSpec> specs;
  for (const auto& x : operands) specs.push_back(x.spec());
  const Plan pl = plan(equation, specs);
  const DType dt = einsum_dtype(operands);
  if (any_symbolic(operands))
    return symbolic_op("einsum", operands, TensorSpec{pl.out_shape, dt, pl.mask_rank},
                       [equation](const TensorList& in) { return einsum(equation, in); },
                       nlohmann::json{{"equation", equation}}.dump());
  // Masked entries contribute nothing: selected to 0 before anything is multiplied.
  std::vector<Operand> xs;
  for (std::size_t o = 0; o < operands.size(); ++o)
    xs.push_back({detail::select_valid(cast(operands[o], dt), 0), pl.labels[o]});
  const std::set<int> out_labels(pl.out.begin(), pl.out.end());
  auto needed_after = [&](std::size_t o) {
    std::set<int> k = out_labels;
    for (std::size_t j = o + 1; j < xs.size(); ++j) k.insert(xs[j].labels.begin(), xs[j].labels.end());
    return k;
  };
  Operand acc = sum_unneeded(xs[0], needed_after(0));
  for (std::size_t o = 1; o < xs.size(); ++o) acc = contract(acc, xs[o], needed_after(o), pl.size);
  acc = sum_unneeded(acc, out_labels);
  Tensor out = permuted(acc, pl.out);
  // `out` is either fresh or, when nothing needed computing, an unmasked operand itself
  // (then there is no mask to attach).
  detail::set_mask(out, output_mask(operands, pl));
  return out;
}

}  // namespace lamina
