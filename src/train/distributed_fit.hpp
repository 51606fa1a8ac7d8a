#pragma once
// The data-parallel parts of fit (library-internal): what the loop calls at its start, after
// every batch and epoch, and on failure. All are collectives: every rank calls them in order.
#include <exception>

#include "lamina/distributed/data_parallel.hpp"
#include "train/train_state.hpp"

namespace lamina::train {

// Rank 0's shuffle seed everywhere (before the data source is built).
void dp_share_seed(const distributed::DataParallel& dp, TrainState& state);
// After on_train_begin (where BackupAndRestore may have restored rank 0): rank 0's weights,
// optimizer state and resume epoch everywhere.
void dp_start(const distributed::DataParallel& dp, ModelLayer& model, TrainState& state);
// Rank 0's callbacks decide: its stop_training flag and learning rate everywhere.
void dp_agree(const distributed::DataParallel& dp, TrainState& state);
// Prints "lamina: <rank> failed: <what>" and ends every rank of the job (abort_on_error with
// more than one rank); otherwise returns and the caller rethrows.
void dp_fail(const distributed::DataParallel& dp, const std::exception& e);

}  // namespace lamina::train
