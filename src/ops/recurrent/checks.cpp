// Spec inference for the fused recurrent ops: every shape and dtype rule, with typed
// errors, on concrete or symbolic inputs alike.
#include <fmt/format.h>

#include "lamina/core/error.hpp"
#include "ops/recurrent/sequence.hpp"

namespace lamina::detail::rnn {

namespace {

const char* cell_name(Cell c) { return c == Cell::Simple ? "SimpleRNN" : c == Cell::LSTM ? "LSTM" : "GRU"; }
std::int64_t gate_count(Cell c) { return c == Cell::Simple ? 1 : c == Cell::LSTM ? 4 : 3; }

bool known_differ(std::int64_t a, std::int64_t b) { return a >= 0 && b >= 0 && a != b; }

void check_dtype(const Tensor& t, DType dt, const char* what) {
  if (!t.defined() || t.dtype() == dt) return;
  throw DTypeError(
      {.problem = fmt::format("the {} must have the input's dtype", what),
       .expected = std::string(dtype_name(dt)),
       .found = fmt::format("{} {}", dtype_name(t.dtype()), what),
       .hint = fmt::format("lm::cast it to {} (recurrent ops do not promote implicitly)", dtype_constant(dt))});
}

void check_matrix(const Tensor& t, std::int64_t rows, std::int64_t cols, const char* what, const char* why,
                  const char* hint) {
  if (!t.defined()) return;  // optional inputs
  const Shape& s = t.shape();
  if (s.rank() == 2 && !known_differ(s[0], rows) && !known_differ(s[1], cols)) return;
  throw ShapeError({.problem = fmt::format("the {} has the wrong shape", what),
                    .expected = fmt::format("{} ({})", Shape{rows, cols}.str(), why),
                    .found = s.str(),
                    .hint = hint});
}

}  // namespace

Problem infer_problem(Cell cell, const SequenceInputs& in, const RecurrentOptions& o) {
  const Tensor& x = in.x;
  Problem p;
  p.cell = cell;
  p.dtype = x.dtype();
  p.G = gate_count(cell);
  p.act = parse_activation(o.activation, "activation");
  p.rec_act = parse_activation(o.recurrent_activation, "recurrent_activation");
  p.go_backwards = o.go_backwards;
  p.return_sequences = o.return_sequences;
  p.zero_output_for_mask = o.zero_output_for_mask;
  p.reset_after = cell == Cell::GRU && o.reset_after;

  if (x.rank() != 3)
    throw ShapeError({.problem = fmt::format("{} needs sequences of shape (batch, time, features)", cell_name(cell)),
                      .expected = "rank 3: (batch, time, features)",
                      .found = fmt::format("rank {}: {}", x.rank(), x.shape().str()),
                      .hint = x.rank() == 2 ? "token ids (batch, time) go through an Embedding first; a single "
                                              "feature per step needs lm::expand_dims(x, -1)"
                                            : "reshape the input to (batch, time, features)"});
  if (!is_floating(x.dtype()))
    throw DTypeError({.problem = fmt::format("{} needs floating-point sequences", cell_name(cell)),
                      .expected = "float32 or float64 (batch, time, features)",
                      .found = fmt::format("{} {}", dtype_name(x.dtype()), x.shape().str()),
                      .hint = is_integer(x.dtype()) ? "integer token ids go through an Embedding layer first "
                                                      "(or lm::cast(x, lm::Float32) for numeric features)"
                                                    : "lm::cast(x, lm::Float32)"});
  p.B = x.dim(0);
  p.T = x.dim(1);
  p.F = x.dim(2);

  const Shape& rs = in.R.shape();
  if (rs.rank() != 2 || rs[0] < 0 || (rs[1] >= 0 && rs[1] != p.G * rs[0]))
    throw ShapeError({.problem = "the recurrent_kernel has the wrong shape",
                      .expected = fmt::format("(units, {} * units)", p.G),
                      .found = rs.str(),
                      .hint = fmt::format("{} uses {} gate{}: recurrent_kernel (units, {} * units)", cell_name(cell),
                                          p.G, p.G == 1 ? "" : "s", p.G)});
  p.U = rs[0];
  check_matrix(
      in.W, p.F, p.GU(), "kernel", "features, gates * units",
      "weights use Keras's layouts: kernel (features, gates * units), recurrent_kernel (units, gates * units)");
  if (in.b.defined()) {
    Shape want = p.reset_after ? Shape{2, p.GU()} : Shape{p.GU()};
    if (in.b.shape() != want)
      throw ShapeError({.problem = "the bias has the wrong shape",
                        .expected = want.str() + (p.reset_after ? " ([input bias; recurrent bias], reset_after)" : ""),
                        .found = in.b.shape().str(),
                        .hint = cell == Cell::GRU ? "a GRU bias is (2, 3 * units) with reset_after, (3 * units) without"
                                                  : "the bias has one entry per gate unit"});
  }
  const char* state_hint = "initial states are (batch, units), one row per sequence; an LSTM takes two: {h0, c0}";
  check_matrix(in.h0, p.B, p.U, "initial state h", "batch, units", state_hint);
  if (cell == Cell::LSTM) check_matrix(in.c0, p.B, p.U, "initial state c", "batch, units", state_hint);
  check_matrix(in.rdrop, p.B, p.U, "recurrent dropout mask", "batch, units", "one multiplier per sequence and unit");
  for (auto [t, what] : {std::pair{&in.W, "kernel"},
                         {&in.R, "recurrent_kernel"},
                         {&in.b, "bias"},
                         {&in.h0, "initial state h"},
                         {&in.c0, "initial state c"},
                         {&in.rdrop, "recurrent dropout mask"}})
    check_dtype(*t, x.dtype(), what);
  return p;
}

void check_mask(const Tensor& mask, const Problem& p) {
  if (!mask.defined()) return;
  if (mask.dtype() != Bool)
    throw DTypeError({.problem = "a sequence mask must be Bool",
                      .expected = "bool (batch, time)",
                      .found = fmt::format("{} {}", dtype_name(mask.dtype()), mask.shape().str()),
                      .hint = "use (m != 0) or lm::cast(m, lm::Bool)"});
  const Shape& s = mask.shape();
  bool ok = s.rank() <= 2 && (s.rank() < 1 || !known_differ(s[0], p.B)) && (s.rank() < 2 || !known_differ(s[1], p.T));
  if (!ok)
    throw MaskError({.problem = "the mask must cover (batch, time) of the sequence",
                     .expected = fmt::format("a mask of shape {} (or {} for whole sequences)", Shape{p.B, p.T}.str(),
                                             Shape{p.B}.str()),
                     .found = fmt::format("mask {} on input {}", s.str(), Shape{p.B, p.T, p.F}.str()),
                     .hint = s.rank() > 2 ? "a mask over features cannot be consumed by a recurrent layer; reduce "
                                            "it to (batch, time), e.g. lm::any(m, -1), or drop it with x.without_mask()"
                                          : "the mask's batch and time sizes must match the input"});
}

std::vector<TensorSpec> output_specs(const Problem& p, bool masked) {
  std::vector<TensorSpec> specs;
  DType dt = p.dtype;
  if (p.return_sequences)
    specs.push_back({Shape{p.B, p.T, p.U}, dt, masked ? 2 : -1});
  else
    specs.push_back({Shape{p.B, p.U}, dt, -1});
  specs.push_back({Shape{p.B, p.U}, dt, -1});
  if (p.cell == Cell::LSTM) specs.push_back({Shape{p.B, p.U}, dt, -1});
  return specs;
}

}  // namespace lamina::detail::rnn
