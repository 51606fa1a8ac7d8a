#pragma once
// The built-in callbacks, with Keras 3's names, options and defaults (one source file each in
// src/train/callbacks/). Pass them to fit: model.fit(x, y, {.callbacks = {EarlyStopping({...})}}).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "lamina/train/callback.hpp"

namespace lamina::callbacks {

struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  double min_delta = 0.0;
  int patience = 0;
  int verbose = 0;
  std::string mode = "auto";
  std::optional<double> baseline;
  bool restore_best_weights = false;
  int start_from_epoch = 0;
};
CallbackRef EarlyStopping(EarlyStoppingOptions options = {});

struct ModelCheckpointOptions {
  std::string monitor = "val_loss";
  int verbose = 0;
  bool save_best_only = false;
  bool save_weights_only = false;
  std::string mode = "auto";
  std::optional<double> initial_value_threshold;
};
// `filepath` may hold {epoch:02d}-style fields and any logged metric, e.g. "ckpt-{epoch:02d}-{val_loss:.2f}.lamina".
CallbackRef ModelCheckpoint(std::string filepath, ModelCheckpointOptions options = {});

struct CSVLoggerOptions {
  char separator = ',';
  bool append = false;
};
CallbackRef CSVLogger(std::string filename, CSVLoggerOptions options = {});

// schedule(epoch, current learning rate) -> new learning rate, set before each epoch.
CallbackRef LearningRateScheduler(std::function<double(int epoch, double lr)> schedule, int verbose = 0);

struct ReduceLROnPlateauOptions {
  std::string monitor = "val_loss";
  double factor = 0.1;
  int patience = 10;
  int verbose = 0;
  std::string mode = "auto";
  double min_delta = 1e-4;
  int cooldown = 0;
  double min_lr = 0.0;
};
CallbackRef ReduceLROnPlateau(ReduceLROnPlateauOptions options = {});

// Stops training (quietly, without an error) when the loss becomes NaN or infinite.
CallbackRef TerminateOnNaN();

struct BackupAndRestoreOptions {
  bool delete_checkpoint = true;  // remove the backup once training ends normally
};
// Saves the model, optimizer and epoch to `backup_dir` after every epoch; a fit that starts
// with a backup present resumes from it, exactly where the interrupted one stopped.
CallbackRef BackupAndRestore(std::string backup_dir, BackupAndRestoreOptions options = {});

struct LambdaCallbackOptions {
  std::function<void(int, const Logs&)> on_epoch_begin, on_epoch_end;
  std::function<void(int, const Logs&)> on_train_batch_begin, on_train_batch_end;
  std::function<void(const Logs&)> on_train_begin, on_train_end;
};
CallbackRef LambdaCallback(LambdaCallbackOptions options);

// Shared by the monitoring callbacks: whether `current` improves on `best` by more than min_delta.
// Mode "min" suits losses and errors, "max" accuracy-like metrics; "auto" decides from the name
// (a name with "acc", "auc", "precision" or "recall" is maximised, anything else minimised).
class Monitor {
 public:
  Monitor(std::string monitor, const std::string& mode, double min_delta, const char* callback);
  bool improved(double current, double best) const;
  double worst() const;
  const std::string& name() const { return monitor_; }
  bool maximize() const { return maximize_; }
  // The monitored value in `logs`, or nullopt (with a one-time warning on stderr, as Keras).
  std::optional<double> value(const Logs& logs) const;

 private:
  std::string monitor_;
  bool maximize_ = false;
  double min_delta_ = 0;
  const char* callback_;
  mutable bool warned_ = false;
};

}  // namespace lamina::callbacks
