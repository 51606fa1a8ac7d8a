#pragma once
// The progress bar fit/evaluate/predict print, as Keras 3 draws it:
//   Epoch 3/10
//   12/40 ━━━━━━━━━━━━━━━━━━━━ 3s 75ms/step - accuracy: 0.8100 - loss: 0.4100
// On a terminal (verbose 1) the line is redrawn at most every `interval` seconds, showing the
// ETA mid-epoch and the elapsed time at the end; otherwise (a pipe, a CI log, or verbose 2)
// only the final line of each epoch is printed.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "lamina/train/callback.hpp"

namespace lamina {

struct ProgressOptions {
  int verbose = 1;  // 0 silent, 1 bar, 2 one line per epoch
  int width = 20;
  double interval = 0.05;
  std::string unit_name = "step";
  std::FILE* out = stdout;
  std::optional<bool> dynamic;  // redraw in place; default: whether `out` is a terminal
};

class ProgressBar {
 public:
  // `target`: steps expected (<= 0: unknown).
  explicit ProgressBar(std::int64_t target, ProgressOptions options = {});
  // After step `current` (1-based) with the current metric values.
  void update(std::int64_t current, const Logs& values, bool finalize = false);
  // The text of the line for these values at time `elapsed_s` (for tests and reuse).
  std::string line(std::int64_t current, const Logs& values, bool finalize, double elapsed_s,
                   double time_per_step) const;

 private:
  double step_duration(std::int64_t current, double now);

  std::int64_t target_;
  ProgressOptions options_;
  bool dynamic_;
  std::chrono::steady_clock::time_point start_;
  double last_update_ = -1;
  std::optional<double> time_after_first_step_;
  std::size_t previous_width_ = 0;
};

// "75ms/step" as Keras formats a duration per unit.
std::string format_step_time(double seconds, const std::string& unit);
// "0.4100", or "1.2340e-04" for tiny values, as Keras prints metrics.
std::string format_metric(double value);

}  // namespace lamina
