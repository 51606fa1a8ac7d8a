#pragma once
// The demos `lamina demo` runs on the data shipped in the repo.
#include <cstdint>
#include <string>

namespace lamina::tools {

struct DemoArgs {
  std::string data;                // the data folder (default: the repo's data/)
  std::string out = "lamina-demo";  // where the model and the pictures go
  int epochs = 0;                  // 0: the demo's default
  std::uint64_t seed = 1;
  int threads = 0;
  int verbose = 1;
  bool quick = false;              // one short epoch (tests)
  bool no_plots = false;
};

void run_demo_novels(const DemoArgs& args);
void run_demo_lm(const DemoArgs& args);
void run_demo_digits(const DemoArgs& args);

}  // namespace lamina::tools
