// CSVLogger: one row per epoch (epoch, then the metrics in name order), flushed as it is written.
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "lamina/core/error.hpp"
#include "lamina/train/callbacks.hpp"

namespace lamina::callbacks {

namespace {

class CSVLoggerCallback final : public Callback {
 public:
  CSVLoggerCallback(std::string filename, CSVLoggerOptions o) : filename_(std::move(filename)), o_(o) {}
  ~CSVLoggerCallback() override { close(); }

  void on_train_begin(const Logs&) override {
    close();
    bool has_content = false;
    if (o_.append) {
      if (std::FILE* f = std::fopen(filename_.c_str(), "r")) {
        has_content = std::fgetc(f) != EOF;
        std::fclose(f);
      }
    }
    file_ = std::fopen(filename_.c_str(), o_.append ? "a" : "w");
    if (!file_)
      throw IOError({.op = "CSVLogger",
                     .problem = fmt::format("cannot open '{}' for writing", filename_),
                     .expected = "a writable file",
                     .found = std::strerror(errno),
                     .hint = "check that the folder exists and is writable"});
    keys_.clear();
    header_written_ = has_content;
  }

  void on_epoch_end(int epoch, const Logs& logs) override {
    if (!file_) return;
    if (keys_.empty())
      for (const auto& [k, v] : logs) keys_.push_back(k);
    if (!header_written_) {
      std::string header = "epoch";
      for (const auto& k : keys_) header += o_.separator + k;
      std::fprintf(file_, "%s\n", header.c_str());
      header_written_ = true;
    }
    std::string row = std::to_string(epoch);
    for (const auto& k : keys_) {
      auto it = logs.find(k);
      row += o_.separator;
      if (it != logs.end()) row += fmt::format("{}", it->second);  // shortest exact form
    }
    std::fprintf(file_, "%s\n", row.c_str());
    std::fflush(file_);
  }

  void on_train_end(const Logs&) override { close(); }

 private:
  void close() {
    if (file_) std::fclose(file_);
    file_ = nullptr;
  }
  std::string filename_;
  CSVLoggerOptions o_;
  std::FILE* file_ = nullptr;
  std::vector<std::string> keys_;
  bool header_written_ = false;
};

}  // namespace

CallbackRef CSVLogger(std::string filename, CSVLoggerOptions options) {
  return std::make_shared<CSVLoggerCallback>(std::move(filename), options);
}

}  // namespace lamina::callbacks
