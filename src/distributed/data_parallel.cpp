// DataParallel: sharding of global batches, reduction of gradients and values, and the
// broadcast of rank 0's state.
#include "lamina/distributed/data_parallel.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>

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

void DataParallel::sum(std::span<double> values) const {
  if (size() > 1) comm_->allreduce(values, order());
}

namespace {

// One dtype's gradients packed into buckets; each bucket is summed by one allreduce.
template <class T>
void sum_packed(Communicator& comm, Order order, std::size_t bucket_bytes, TensorList& grads,
                const std::vector<Variable>& vars, const std::vector<std::size_t>& which) {
  if (which.empty()) return;
  const std::size_t per_bucket = std::max<std::size_t>(1, bucket_bytes / sizeof(T));
  struct Bucket {
    std::vector<T> data;
    std::vector<std::size_t> members;
    RequestRef request;
  };
  std::vector<Bucket> buckets;
  Bucket current;
  auto flush = [&] {
    if (current.members.empty()) return;
    // Started at once: the next bucket is packed while this one travels.
    current.request = comm.iallreduce(std::span<T>(current.data), order);
    buckets.push_back(std::move(current));
    current = Bucket{};
  };
  for (std::size_t i : which) {
    const std::size_t n = static_cast<std::size_t>(vars[i].value().numel());
    if (!current.members.empty() && current.data.size() + n > per_bucket) flush();
    const std::size_t at = current.data.size();
    current.data.resize(at + n, T(0));
    if (grads[i].defined() && n) std::memcpy(current.data.data() + at, grads[i].template data<T>(), n * sizeof(T));
    current.members.push_back(i);
  }
  flush();
  for (auto& b : buckets) {
    b.request->wait();
    std::size_t at = 0;
    for (std::size_t i : b.members) {
      const std::size_t n = static_cast<std::size_t>(vars[i].value().numel());
      std::vector<T> part(b.data.begin() + static_cast<std::ptrdiff_t>(at),
                          b.data.begin() + static_cast<std::ptrdiff_t>(at + n));
      grads[i] = tensor(part, vars[i].shape(), vars[i].dtype());
      at += n;
    }
  }
}

}  // namespace

void DataParallel::sum_gradients(TensorList& grads, const std::vector<Variable>& vars) const {
  if (grads.size() != vars.size())
    throw ValueError({.op = "DataParallel::sum_gradients",
                      .problem = "one gradient per variable is needed",
                      .expected = fmt::format("{} gradients", vars.size()),
                      .found = fmt::format("{} gradients", grads.size()),
                      .hint = "pass the tape's gradients for exactly these variables"});
  if (size() == 1) return;
  detail::PauseRecording pause;
  // Which variables have a gradient on some rank (an empty shard has none).
  std::vector<std::int64_t> defined(vars.size());
  for (std::size_t i = 0; i < vars.size(); ++i) defined[i] = grads[i].defined() ? 1 : 0;
  comm_->allreduce(std::span<std::int64_t>(defined));
  std::vector<std::size_t> f32, f64;
  for (std::size_t i = 0; i < vars.size(); ++i) {
    if (!defined[i]) {
      grads[i] = Tensor();
      continue;
    }
    if (grads[i].defined() && (grads[i].dtype() != vars[i].dtype() || grads[i].shape() != vars[i].shape()))
      throw ValueError({.op = "DataParallel::sum_gradients",
                        .problem = fmt::format("the gradient of '{}' does not match the variable", vars[i].name()),
                        .expected = fmt::format("{} {}", dtype_name(vars[i].dtype()), vars[i].shape().str()),
                        .found = fmt::format("{} {}", dtype_name(grads[i].dtype()), grads[i].shape().str()),
                        .hint = "gradients must have their variables' shapes and dtypes"});
    if (vars[i].dtype() == Float32)
      f32.push_back(i);
    else if (vars[i].dtype() == Float64)
      f64.push_back(i);
    else
      throw DTypeError({.op = "DataParallel::sum_gradients",
                        .problem = fmt::format("variable '{}' is not floating-point", vars[i].name()),
                        .expected = "float32 or float64 trainable variables",
                        .found = std::string(dtype_name(vars[i].dtype())),
                        .hint = "make integer variables non-trainable"});
  }
  sum_packed<float>(*comm_, order(), options_.bucket_bytes, grads, vars, f32);
  sum_packed<double>(*comm_, order(), options_.bucket_bytes, grads, vars, f64);
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
