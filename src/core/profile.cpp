#include "lamina/core/profile.hpp"

#include <atomic>
#include <chrono>

namespace lamina::profile {

namespace {
std::atomic<bool> g_enabled{false};
std::atomic<std::int64_t> g_ns[kKinds];
thread_local int t_depth = 0;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

void enable(bool on) { g_enabled.store(on, std::memory_order_relaxed); }
bool enabled() { return g_enabled.load(std::memory_order_relaxed); }

void reset() {
  for (auto& n : g_ns) n.store(0, std::memory_order_relaxed);
}

double seconds(Kind kind) { return static_cast<double>(g_ns[static_cast<int>(kind)].load()) * 1e-9; }

Scope::Scope(Kind kind) : kind_(kind) {
  if (!g_enabled.load(std::memory_order_relaxed)) return;
  active_ = true;
  if (t_depth++ == 0) start_ns_ = now_ns();
}

Scope::~Scope() {
  if (!active_) return;
  --t_depth;
  if (start_ns_ >= 0) g_ns[static_cast<int>(kind_)].fetch_add(now_ns() - start_ns_, std::memory_order_relaxed);
}

}  // namespace lamina::profile
