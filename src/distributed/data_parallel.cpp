// DataParallel: sharding of global batches, reduction of gradients and values, and the
// broadcast of rank 0's state.
#include "lamina/distributed/data_parallel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <type_traits>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"
#include "lamina/ops/shape.hpp"

namespace lamina {

namespace distributed {

DataParallel::DataParallel(DataParallelOptions options)
    : options_(std::move(options)), comm_(options_.communicator ? options_.communicator : world()) {
  if (options_.bucket_bytes < 8)
    throw ValueError({.op = "DataParallel",
                      .problem = "bucket_bytes is too small to hold one gradient value",
                      .expected = ">= 8 bytes (4 MiB by default)",
                      .found = std::to_string(options_.bucket_bytes),
                      .hint = "leave it unset, or give e.g. 1 << 20"});
  if (launched_by_mpirun() && !built_with_mpi() && !options_.communicator) {
    const char* n = std::getenv("OMPI_COMM_WORLD_SIZE");
    if (n && std::string(n) != "1")
      throw ValueError({.op = "DataParallel",
                        .problem = "the program was started by mpirun but Lamina was built without MPI",
                        .expected = "a Lamina built with LAMINA_WITH_MPI=ON",
                        .found = fmt::format("{} ranks, each of which would train alone", n),
                        .hint = "install libopenmpi-dev (scripts/setup.sh) and reconfigure, or run without mpirun"});
  }
}

std::pair<std::int64_t, std::int64_t> DataParallel::shard_range(std::int64_t n) const {
  const std::int64_t r = rank(), s = size();
  return {r * n / s, (r + 1) * n / s};
}

Batch DataParallel::shard(const Batch& global) const {
  if (size() == 1) return global;
  detail::PauseRecording pause;
  const std::int64_t n = global.x.empty() ? 0 : global.x[0].dim(0);
  const auto bounds = shard_range(n);  // not a structured binding: clang 14 (fuzz build) cannot capture one
  const Range range{bounds.first, bounds.second};
  auto rows = [&](const Tensor& t) { return t.defined() ? slice(t, 0, range) : t; };
  Batch out;
  for (const auto& t : global.x) out.x.push_back(rows(t));
  for (const auto& t : global.y) out.y.push_back(rows(t));
  out.sample_weight = global.sample_weight.defined() && global.sample_weight.rank() > 0 ? rows(global.sample_weight)
                                                                                        : global.sample_weight;
  return out;
}

namespace {

// One tensor's rows from every rank, padded to the longest shard for one allgather, then
// joined in rank order.
template <class T>
std::vector<T> gather_rows(Communicator& comm, std::vector<T> mine, std::size_t row_elems,
                           const std::vector<std::int64_t>& rows) {
  const auto longest = static_cast<std::size_t>(*std::max_element(rows.begin(), rows.end()));
  mine.resize(longest * row_elems, T(0));
  std::vector<T> all = comm.allgather(std::span<const T>(mine));
  std::vector<T> out;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    auto from = all.begin() + static_cast<std::ptrdiff_t>(r * longest * row_elems);
    out.insert(out.end(), from, from + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(rows[r]) * row_elems));
  }
  return out;
}

// Values exactly through one collective: floats as doubles, the rest as int64.
Tensor gather_values(Communicator& comm, const Tensor& t, const Shape& shape, const std::vector<std::int64_t>& rows) {
  std::int64_t per_row = 1;
  for (std::int64_t d = 1; d < shape.rank(); ++d) per_row *= shape[d];
  const auto row_elems = static_cast<std::size_t>(per_row);
  if (is_floating(t.dtype()))
    return tensor(gather_rows(comm, t.to_vector<double>(), row_elems, rows), shape, t.dtype());
  return tensor(gather_rows(comm, t.to_vector<std::int64_t>(), row_elems, rows), shape, t.dtype());
}

}  // namespace

TensorList DataParallel::gather(const TensorList& mine, std::int64_t global_rows) const {
  if (size() == 1) return mine;
  detail::PauseRecording pause;
  std::vector<std::int64_t> rows(static_cast<std::size_t>(size()));
  for (int r = 0; r < size(); ++r)
    rows[static_cast<std::size_t>(r)] = (r + 1) * global_rows / size() - r * global_rows / size();
  TensorList out;
  for (std::size_t k = 0; k < mine.size(); ++k) {
    const Tensor& t = mine[k];
    // What every rank holds for this tensor must agree (beyond the rows): checked, not assumed.
    std::vector<std::int64_t> desc(36, -1);
    desc[0] = t.rank();
    desc[1] = static_cast<std::int64_t>(t.dtype());
    desc[2] = t.has_mask() ? t.mask().rank() : -1;
    for (std::int64_t d = 1; d < t.rank() && d < 33; ++d) desc[static_cast<std::size_t>(2 + d)] = t.dim(d);
    const auto all = comm_->allgather(std::span<const std::int64_t>(desc));
    const bool rows_ok = t.rank() >= 1 && t.dim(0) == rows[static_cast<std::size_t>(rank())];
    bool same = t.rank() >= 1 && t.rank() <= 33;
    for (int r = 0; r < size(); ++r)
      same = same && std::equal(desc.begin(), desc.end(), all.begin() + static_cast<std::ptrdiff_t>(r) * 36);
    if (!rows_ok || !same)
      throw ShapeError({.op = "DataParallel::gather",
                        .problem = fmt::format("output {} differs between ranks, or is not this rank's shard", k),
                        .expected = fmt::format("{} rows on rank {} and the same trailing shape, dtype and mask on "
                                                "every rank",
                                                rows[static_cast<std::size_t>(rank())], rank()),
                        .found = t.spec().str(),
                        .hint = "every rank must run the same model on its shard of the same batch"});
    std::vector<std::int64_t> dims = t.shape().dims();
    dims[0] = global_rows;
    Tensor joined = gather_values(*comm_, t, Shape(dims), rows);
    if (t.has_mask()) {
      std::vector<std::int64_t> mdims = t.mask().shape().dims();
      mdims[0] = global_rows;
      joined = joined.with_mask(gather_values(*comm_, t.mask(), Shape(mdims), rows));
    }
    out.push_back(joined);
  }
  return out;
}

void DataParallel::sum(std::span<double> values) const {
  if (size() > 1) comm_->allreduce(values, order());
}

void DataParallel::sum_gradients(TensorList& grads, const std::vector<Variable>& vars) const {
  if (grads.size() != vars.size())
    throw ValueError({.op = "DataParallel::sum_gradients",
                      .problem = "one gradient per variable is needed",
                      .expected = fmt::format("{} gradients", vars.size()),
                      .found = fmt::format("{} gradients", grads.size()),
                      .hint = "pass the tape's gradients for exactly these variables"});
  GradientReducer reducer(*this, vars);
  for (std::size_t i = 0; i < vars.size(); ++i) reducer.ready(i, grads[i]);
  reducer.finish(grads);
}

// ---- GradientReducer ----------------------------------------------------------------------

// One allreduce: the payload of its members' gradients, then one "defined" flag per member.
struct GradientReducer::Bucket {
  DType dtype = Float32;
  std::vector<std::size_t> members, offsets;
  std::size_t elements = 0;  // payload, without the flags
  std::size_t pending = 0;   // members not reported yet
  std::vector<float> f32;
  std::vector<double> f64;
  RequestRef request;

  void allocate() {
    if (dtype == Float32)
      f32.assign(elements + members.size(), 0.0f);
    else
      f64.assign(elements + members.size(), 0.0);
  }
  bool allocated() const { return !f32.empty() || !f64.empty(); }
  template <class T>
  std::vector<T>& buffer() {
    if constexpr (std::is_same_v<T, float>)
      return f32;
    else
      return f64;
  }
  template <class T>
  void put(std::size_t m, const Tensor& g) {
    auto& b = buffer<T>();
    const std::size_t n = m + 1 < offsets.size() ? offsets[m + 1] - offsets[m] : elements - offsets[m];
    if (g.defined()) {
      std::memcpy(b.data() + offsets[m], g.data<T>(), n * sizeof(T));
      b[elements + m] = T(1);
    }
  }
  template <class T>
  Tensor take(std::size_t m, const Variable& v) {
    auto& b = buffer<T>();
    if (!(b[elements + m] > T(0))) return Tensor();  // no rank had a gradient
    Tensor out = detail::empty(v.shape(), v.dtype());
    std::memcpy(detail::mutable_data<T>(out), b.data() + offsets[m], static_cast<std::size_t>(v.shape().numel()) * sizeof(T));
    return out;
  }
  void start(Communicator& comm, Order order) {
    request = dtype == Float32 ? comm.iallreduce(std::span<float>(f32), order)
                               : comm.iallreduce(std::span<double>(f64), order);
  }
};

GradientReducer::GradientReducer(const DataParallel& dp, const std::vector<Variable>& vars)
    : dp_(dp), vars_(vars), bucket_of_(vars.size()), slot_of_(vars.size()), reported_(vars.size(), false) {
  for (std::size_t k = vars_.size(); k-- > 0;) {
    const Variable& v = vars_[k];
    if (v.dtype() != Float32 && v.dtype() != Float64)
      throw DTypeError({.op = "DataParallel::sum_gradients",
                        .problem = fmt::format("variable '{}' is not floating-point", v.name()),
                        .expected = "float32 or float64 trainable variables",
                        .found = std::string(dtype_name(v.dtype())),
                        .hint = "make integer variables non-trainable"});
    const std::size_t n = static_cast<std::size_t>(v.shape().numel());
    const std::size_t limit = std::max<std::size_t>(1, dp_.options().bucket_bytes / itemsize(v.dtype()));
    if (buckets_.empty() || buckets_.back()->dtype != v.dtype() ||
        (!buckets_.back()->members.empty() && buckets_.back()->elements + n > limit)) {
      buckets_.push_back(std::make_unique<Bucket>());
      buckets_.back()->dtype = v.dtype();
    }
    Bucket& b = *buckets_.back();
    b.offsets.push_back(b.elements);
    slot_of_[k] = b.members.size();
    b.members.push_back(k);
    b.elements += n;
    ++b.pending;
    bucket_of_[k] = buckets_.size() - 1;
  }
}

// A started allreduce must not outlive its buffer. Normally finish() has waited for all; when
// an exception unwinds the step, waiting could block until the timeout (the other ranks may
// never get here), so the started buckets are kept alive instead, for the error to reach
// abort_on_error at once.
GradientReducer::~GradientReducer() {
  static std::mutex mu;
  static auto* in_flight_at_failure = new std::vector<std::unique_ptr<Bucket>>;  // never destroyed: never waited
  for (auto& b : buckets_)
    if (b->request) {
      std::lock_guard lock(mu);
      in_flight_at_failure->push_back(std::move(b));
    }
}

void GradientReducer::ready(std::size_t i, const Tensor& grad) {
  if (i >= vars_.size() || reported_[i] || finished_)
    throw ValueError({.op = "GradientReducer::ready",
                      .problem = finished_ ? "a gradient was reported after finish()"
                                           : fmt::format("gradient #{} was reported twice or does not exist", i),
                      .expected = fmt::format("each of the {} variables reported at most once, before finish()",
                                              vars_.size()),
                      .found = fmt::format("index {}", i),
                      .hint = "report each variable's gradient once (GradientOptions::on_final does)"});
  const Variable& v = vars_[i];
  if (grad.defined() && (grad.dtype() != v.dtype() || grad.shape() != v.shape()))
    throw ValueError({.op = "DataParallel::sum_gradients",
                      .problem = fmt::format("the gradient of '{}' does not match the variable", v.name()),
                      .expected = fmt::format("{} {}", dtype_name(v.dtype()), v.shape().str()),
                      .found = fmt::format("{} {}", dtype_name(grad.dtype()), grad.shape().str()),
                      .hint = "gradients must have their variables' shapes and dtypes"});
  reported_[i] = true;
  Bucket& b = *buckets_[bucket_of_[i]];
  if (dp_.size() == 1) {
    single_.emplace_back(i, grad);  // one process: the sum is the gradient itself
  } else {
    if (!b.allocated()) b.allocate();
    if (b.dtype == Float32)
      b.put<float>(slot_of_[i], grad);
    else
      b.put<double>(slot_of_[i], grad);
  }
  --b.pending;
  launch_ready_buckets();
}

void GradientReducer::launch_ready_buckets() {
  if (dp_.size() == 1) return;
  while (next_launch_ < buckets_.size() && buckets_[next_launch_]->pending == 0) {
    buckets_[next_launch_]->start(dp_.comm(), dp_.order());
    if (!finished_) ++started_early_;
    ++next_launch_;
  }
  // MPI progresses a non-blocking collective only inside MPI calls: poke the started ones.
  for (std::size_t k = 0; k < next_launch_; ++k)
    if (buckets_[k]->request) buckets_[k]->request->test();
}

void GradientReducer::finish(TensorList& grads) {
  for (std::size_t i = 0; i < vars_.size(); ++i)
    if (!reported_[i]) ready(i, Tensor());
  finished_ = true;
  grads.assign(vars_.size(), Tensor());
  if (dp_.size() == 1) {
    for (auto& [i, g] : single_) grads[i] = g;
    return;
  }
  launch_ready_buckets();
  for (auto& b : buckets_) {
    b->request->wait();
    b->request.reset();
    for (std::size_t m = 0; m < b->members.size(); ++m) {
      const Variable& v = vars_[b->members[m]];
      grads[b->members[m]] = b->dtype == Float32 ? b->take<float>(m, v) : b->take<double>(m, v);
    }
  }
}

void DataParallel::broadcast(const std::vector<Variable>& vars) const {
  if (size() == 1) return;
  detail::PauseRecording pause;
  for (const auto& v : vars) {
    Tensor value = v.value();
    switch (v.dtype()) {
      case Float32: {
        auto d = value.to_vector<float>();
        comm_->broadcast(std::span<float>(d), 0);
        v.assign(tensor(d, v.shape(), Float32));
        break;
      }
      case Float64: {
        auto d = value.to_vector<double>();
        comm_->broadcast(std::span<double>(d), 0);
        v.assign(tensor(d, v.shape(), Float64));
        break;
      }
      default: {  // Bool, Int32, Int64: exact as int64
        auto d = value.to_vector<std::int64_t>();
        comm_->broadcast(std::span<std::int64_t>(d), 0);
        v.assign(tensor(d, v.shape(), v.dtype()));
        break;
      }
    }
  }
}

}  // namespace distributed

DistributionRef DataParallel(DataParallelOptions options) {
  return std::make_shared<const distributed::DataParallel>(std::move(options));
}

}  // namespace lamina
