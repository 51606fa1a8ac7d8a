// BackupAndRestore: a full checkpoint (weights, optimizer state, epoch) after every epoch in
// `backup_dir`; a fit that starts while one exists resumes from it, so an interrupted run
// (a crash, a killed job) continues exactly where it stopped.
#include <fmt/format.h>

#include <filesystem>

#include "lamina/core/error.hpp"
#include "lamina/io/model_file.hpp"
#include "lamina/train/callbacks.hpp"

namespace lamina::callbacks {

namespace {

namespace fs = std::filesystem;

class BackupAndRestoreCallback final : public Callback {
 public:
  BackupAndRestoreCallback(std::string dir, BackupAndRestoreOptions o) : dir_(std::move(dir)), o_(o) {}

  void on_train_begin(const Logs&) override {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec)
      throw IOError({.op = "BackupAndRestore",
                     .problem = fmt::format("cannot create the backup folder '{}'", dir_),
                     .expected = "a folder Lamina can write to",
                     .found = ec.message(),
                     .hint = "choose a writable backup_dir"});
    if (!fs::exists(file())) return;
    auto meta = io::restore_checkpoint(model(), file());
    auto it = meta.find("lamina.backup_epoch");
    if (it == meta.end())
      throw ValueError({.op = "BackupAndRestore",
                        .problem = fmt::format("the backup '{}' does not say which epoch it ended", file()),
                        .expected = "a backup written by BackupAndRestore",
                        .found = "no 'lamina.backup_epoch' metadata",
                        .hint = "delete the backup folder to start from scratch"});
    int epoch = 0;
    try {
      epoch = std::stoi(it->second);
    } catch (const std::exception&) {
      throw ValueError({.op = "BackupAndRestore",
                        .problem = fmt::format("the backup '{}' has an invalid epoch", file()),
                        .expected = "an epoch number",
                        .found = it->second,
                        .hint = "delete the backup folder to start from scratch"});
    }
    model().resume_at_epoch(epoch + 1);
  }

  void on_epoch_end(int epoch, const Logs&) override {
    io::save_checkpoint(model(), file(), {{"lamina.backup_epoch", std::to_string(epoch)}});
  }

  void on_train_end(const Logs&) override {
    // Reached only when fit ends normally (an exception skips it), so the backup is no longer needed.
    if (!o_.delete_checkpoint) return;
    std::error_code ec;
    fs::remove(file(), ec);
  }

 private:
  std::string file() const { return (fs::path(dir_) / "latest.lamina").string(); }
  std::string dir_;
  BackupAndRestoreOptions o_;
};

}  // namespace

CallbackRef BackupAndRestore(std::string backup_dir, BackupAndRestoreOptions options) {
  if (backup_dir.empty())
    throw ValueError({.op = "BackupAndRestore",
                      .problem = "backup_dir is empty",
                      .expected = "a folder for the backup",
                      .found = "\"\"",
                      .hint = "e.g. BackupAndRestore(\"/tmp/backup\")"});
  return std::make_shared<BackupAndRestoreCallback>(std::move(backup_dir), options);
}

}  // namespace lamina::callbacks
