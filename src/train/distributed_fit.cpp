// The data-parallel hooks of the fit loop (train/distributed_fit.hpp).
#include "train/distributed_fit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstdio>

namespace lamina::train {

void dp_share_seed(const distributed::DataParallel& dp, TrainState& state) {
  std::int64_t seed = std::bit_cast<std::int64_t>(state.shuffle_seed);
  dp.broadcast(std::span<std::int64_t>(&seed, 1));
  state.shuffle_seed = std::bit_cast<std::uint64_t>(seed);
}

void dp_start(const distributed::DataParallel& dp, ModelLayer& model, TrainState& state) {
  if (dp.size() == 1) return;
  dp.broadcast(model.weights());
  auto& opt = *state.optimizer;
  std::int64_t head[2] = {opt.built() ? 1 : 0, state.resume_epoch ? *state.resume_epoch : -1};
  dp.broadcast(std::span<std::int64_t>(head, 2));
  if (head[0] && !opt.built()) opt.build(model.trainable_weights());
  std::vector<Variable> vars = opt.variables();
  // Unbuilt on rank 0: only the iteration count (and learning rate) exist there.
  if (!head[0]) vars.resize(std::min<std::size_t>(vars.size(), opt.schedule() ? 1 : 2));
  dp.broadcast(vars);
  if (head[1] >= 0)
    state.resume_epoch = static_cast<int>(head[1]);
  else
    state.resume_epoch.reset();
}

void dp_agree(const distributed::DataParallel& dp, TrainState& state) {
  if (dp.size() == 1) return;
  auto& opt = *state.optimizer;
  double v[2] = {state.stop_training ? 1.0 : 0.0, opt.schedule() ? 0.0 : opt.learning_rate()};
  dp.broadcast(std::span<double>(v, 2));
  state.stop_training = v[0] != 0;
  if (!opt.schedule() && v[1] != opt.learning_rate()) opt.set_learning_rate(v[1]);
}

void dp_fail(const distributed::DataParallel& dp, const std::exception& e) {
  if (dp.size() == 1 || !dp.options().abort_on_error) return;
  std::fprintf(stderr, "lamina: rank %d of %d failed (%s), stopping every rank:\n%s\n", dp.rank(), dp.size(),
               dp.comm().describe().c_str(), e.what());
  std::fflush(stderr);
  dp.comm().abort(1);
}

}  // namespace lamina::train
