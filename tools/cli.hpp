#pragma once
// Shared by the `lamina` commands: how errors become one line and an exit code, where the
// shipped data live, and small output helpers.
#include <CLI/CLI.hpp>

#include <string>

namespace lamina::tools {

// Exit codes: 0 success, 1 bad data or a failed run, 2 bad usage (CLI11 parse errors).
inline constexpr int kExitData = 1;
inline constexpr int kExitUsage = 2;

// A usage problem found after parsing (e.g. two options that exclude each other).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The folder with the corpora shipped in the repo (data/): --data, $LAMINA_DATA, or the
// source tree this program was built from.
std::string data_dir(const std::string& given);

// Every command: registers its subcommand on `app`.
void add_train_command(CLI::App& app);
void add_evaluate_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_summary_command(CLI::App& app);
void add_demo_command(CLI::App& app);

// The message of an error on one line: "<kind> in <where>: <problem> (expected ..., found ...); hint: ...".
std::string one_line(const std::exception& e);

}  // namespace lamina::tools
