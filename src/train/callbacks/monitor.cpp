// Monitor: the "is this better" rule shared by EarlyStopping, ModelCheckpoint and ReduceLROnPlateau.
#include <fmt/format.h>

#include <cstdio>
#include <limits>

#include "lamina/core/error.hpp"
#include "lamina/train/callbacks.hpp"

namespace lamina::callbacks {

Monitor::Monitor(std::string monitor, const std::string& mode, double min_delta, const char* callback)
    : monitor_(std::move(monitor)), min_delta_(std::abs(min_delta)), callback_(callback) {
  if (mode == "min") {
    maximize_ = false;
  } else if (mode == "max") {
    maximize_ = true;
  } else if (mode == "auto") {
    // Accuracy-like metrics grow; losses and errors shrink.
    for (const char* up : {"acc", "auc", "precision", "recall"})
      if (monitor_.find(up) != std::string::npos) maximize_ = true;
  } else {
    throw ValueError({.op = callback,
                      .problem = fmt::format("{} mode must be \"auto\", \"min\" or \"max\"", callback),
                      .expected = "\"auto\", \"min\" or \"max\"",
                      .found = "\"" + mode + "\"",
                      .hint = "\"min\" for a loss, \"max\" for an accuracy"});
  }
}

bool Monitor::improved(double current, double best) const {
  return maximize_ ? current - min_delta_ > best : current + min_delta_ < best;
}

double Monitor::worst() const {
  return maximize_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
}

std::optional<double> Monitor::value(const Logs& logs) const {
  auto it = logs.find(monitor_);
  if (it != logs.end()) return it->second;
  if (!warned_) {
    std::string keys;
    for (const auto& [k, v] : logs) keys += (keys.empty() ? "" : ", ") + k;
    std::fprintf(stderr, "warning: %s is conditioned on metric '%s', which is not available. Available metrics: %s\n",
                 callback_, monitor_.c_str(), keys.c_str());
    warned_ = true;
  }
  return std::nullopt;
}

}  // namespace lamina::callbacks
