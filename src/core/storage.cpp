#include "lamina/core/storage.hpp"

#include <cstdlib>
#include <limits>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "lamina/core/error.hpp"

#ifdef __linux__
#include <sys/sysinfo.h>
#endif

namespace lamina {

namespace {

constexpr std::size_t kAlign = 64;
// Buffers at least this big are cached for reuse. glibc returns large blocks to the OS
// (always for >= 32 MiB), so every fresh tensor of that size would page-fault its way
// in; training loops allocate the same sizes every step, so reusing them is free speed.
constexpr std::size_t kCacheMin = 64 * 1024;
constexpr std::size_t kCacheLimit = std::size_t{1} << 30;  // bytes kept idle at most

// Size classes: four per power of two (at most 25% slack), so a slightly different
// size still reuses a block.
std::size_t size_class(std::size_t n) {
  std::size_t p = kCacheMin;
  while (p * 2 <= n) p *= 2;
  std::size_t step = p / 4;
  return (n + step - 1) / step * step;
}

class BlockCache {
 public:
  void* take(std::size_t cls) {
    std::lock_guard lock(mu_);
    auto it = free_.find(cls);
    if (it == free_.end() || it->second.empty()) return nullptr;
    void* p = it->second.back();
    it->second.pop_back();
    idle_ -= cls;
    return p;
  }
  bool give(void* p, std::size_t cls) {
    std::lock_guard lock(mu_);
    if (idle_ + cls > kCacheLimit) return false;
    free_[cls].push_back(p);
    idle_ += cls;
    return true;
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::size_t, std::vector<void*>> free_;
  std::size_t idle_ = 0;
};

#ifdef LAMINA_NO_ALLOC_CACHE
constexpr bool kUseCache = false;  // sanitizer builds: let ASan see every allocation
#else
constexpr bool kUseCache = true;
#endif

// Never destroyed: tensors held by static objects may be freed after main returns.
BlockCache& cache() {
  static auto* c = new BlockCache;
  return *c;
}

}  // namespace

// A request beyond RAM plus swap can never be filled. glibc usually refuses it, but with
// overcommit it may succeed and the process is killed while writing it, and
// AddressSanitizer aborts on huge requests instead of returning null.
std::size_t memory_limit_bytes() {
  static const std::size_t limit = [] {
#ifdef __linux__
    struct sysinfo info {};
    if (sysinfo(&info) == 0) {
      std::size_t total = 0;
      if (!__builtin_mul_overflow(static_cast<std::size_t>(info.totalram) + info.totalswap,
                                  static_cast<std::size_t>(info.mem_unit), &total))
        return total;
    }
#endif
    return std::size_t{0};
  }();
  return limit;
}

namespace {

std::size_t capacity_for(std::size_t nbytes) {
  std::size_t rounded = (nbytes + kAlign - 1) / kAlign * kAlign;
  if (rounded == 0) rounded = kAlign;
  return kUseCache && rounded >= kCacheMin ? size_class(rounded) : rounded;
}

}  // namespace

std::shared_ptr<Storage> Storage::allocate(std::size_t nbytes) {
  const std::size_t limit = memory_limit_bytes();
  if (nbytes > std::numeric_limits<std::size_t>::max() / 2 || (limit > 0 && nbytes > limit))
    throw ValueError({.problem = "out of memory: the tensor is larger than this machine's memory",
                      .expected = limit > 0 ? std::to_string(limit) + " bytes at most (RAM + swap)"
                                            : "an allocation the machine can satisfy",
                      .found = std::to_string(nbytes) + " bytes requested",
                      .hint = "check the shape arithmetic that produced this size, or reduce the batch size"});
  std::size_t cap = capacity_for(nbytes);
  void* p = kUseCache && cap >= kCacheMin ? cache().take(cap) : nullptr;
  if (p == nullptr) p = std::aligned_alloc(kAlign, cap);
  if (p == nullptr)
    throw ValueError({.problem = "out of memory",
                      .expected = "an allocation the machine can satisfy",
                      .found = std::to_string(nbytes) + " bytes requested",
                      .hint = "reduce the batch size or the tensor sizes"});
  return std::shared_ptr<Storage>(new Storage(p, nbytes));
}

Storage::~Storage() {
  std::size_t cap = capacity_for(nbytes_);
  if (kUseCache && cap >= kCacheMin && cache().give(data_, cap)) return;
  std::free(data_);
}

}  // namespace lamina
