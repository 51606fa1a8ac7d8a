// ModelCheckpoint: save the model (or its weights) after every epoch, or only when it improves.
// The path may name fields as Python's str.format does: "ckpt-{epoch:02d}-{val_loss:.2f}.lamina".
#include <fmt/format.h>

#include <cstdio>

#include "lamina/core/error.hpp"
#include "lamina/model/model.hpp"
#include "lamina/train/callbacks.hpp"

namespace lamina::callbacks {

namespace {

std::string format_path(const std::string& pattern, int epoch, const Logs& logs) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '{' && i + 1 < pattern.size() && pattern[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    if (c == '}' && i + 1 < pattern.size() && pattern[i + 1] == '}') {
      out += '}';
      ++i;
      continue;
    }
    if (c != '{') {
      out += c;
      continue;
    }
    auto close = pattern.find('}', i);
    if (close == std::string::npos)
      throw ValueError({.op = "ModelCheckpoint",
                        .problem = "the file path has an unclosed '{'",
                        .expected = "fields like {epoch:02d} or {val_loss:.2f}",
                        .found = pattern,
                        .hint = "write a literal brace as {{"});
    std::string field = pattern.substr(i + 1, close - i - 1);
    std::string name = field.substr(0, field.find(':'));
    std::string spec = field.find(':') == std::string::npos ? "" : field.substr(field.find(':'));
    try {
      if (name == "epoch") {
        out += fmt::format(fmt::runtime("{" + spec + "}"), epoch);
      } else {
        auto it = logs.find(name);
        if (it == logs.end()) {
          std::string keys = "epoch";
          for (const auto& [k, v] : logs) keys += ", " + k;
          throw ValueError({.op = "ModelCheckpoint",
                            .problem = fmt::format("the file path names '{}', which is not logged", name),
                            .expected = "one of: " + keys,
                            .found = "{" + field + "}",
                            .hint = "val_ metrics exist only when fit has validation data"});
        }
        out += fmt::format(fmt::runtime("{" + spec + "}"), it->second);
      }
    } catch (const fmt::format_error& e) {
      throw ValueError({.op = "ModelCheckpoint",
                        .problem = fmt::format("field '{{{}}}' of the file path cannot be formatted", field),
                        .expected = "a format such as {epoch:02d} (an integer) or {val_loss:.2f} (a number)",
                        .found = e.what(),
                        .hint = "epoch is an integer (d); metrics are numbers (f, e, g)"});
    }
    i = close;
  }
  return out;
}

class ModelCheckpointCallback final : public Callback {
 public:
  ModelCheckpointCallback(std::string filepath, ModelCheckpointOptions o)
      : filepath_(std::move(filepath)), o_(std::move(o)), monitor_(o_.monitor, o_.mode, 0.0, "ModelCheckpoint") {
    best_ = o_.initial_value_threshold.value_or(monitor_.worst());
  }

  void on_epoch_end(int epoch, const Logs& logs) override {
    std::string path = format_path(filepath_, epoch + 1, logs);
    if (o_.save_best_only) {
      auto current = monitor_.value(logs);
      if (!current) return;
      if (!monitor_.improved(*current, best_)) {
        if (o_.verbose > 0)
          std::printf("\nEpoch %d: %s did not improve from %.5f\n", epoch + 1, o_.monitor.c_str(), best_);
        return;
      }
      if (o_.verbose > 0)
        std::printf("\nEpoch %d: %s improved from %.5f to %.5f, saving model to %s\n", epoch + 1, o_.monitor.c_str(),
                    best_, *current, path.c_str());
      best_ = *current;
    } else if (o_.verbose > 0) {
      std::printf("\nEpoch %d: saving model to %s\n", epoch + 1, path.c_str());
    }
    if (o_.save_weights_only)
      model().save_weights(path);
    else
      model().save(path);
  }

 private:
  std::string filepath_;
  ModelCheckpointOptions o_;
  Monitor monitor_;
  double best_;
};

}  // namespace

CallbackRef ModelCheckpoint(std::string filepath, ModelCheckpointOptions options) {
  if (filepath.empty())
    throw ValueError({.op = "ModelCheckpoint",
                      .problem = "the file path is empty",
                      .expected = "a path such as \"best.lamina\"",
                      .found = "\"\"",
                      .hint = "name the file to write"});
  return std::make_shared<ModelCheckpointCallback>(std::move(filepath), std::move(options));
}

}  // namespace lamina::callbacks
