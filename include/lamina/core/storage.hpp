#pragma once
// Contiguous, 64-byte aligned, immutable-once-published element storage.
#include <cstddef>
#include <memory>

namespace lamina {

// RAM plus swap in bytes (0: the system does not say): no allocation beyond it can be
// filled, so Storage::allocate and the layers' size checks refuse it up front.
std::size_t memory_limit_bytes();

class Storage {
 public:
  // Uninitialised storage of `nbytes` (rounded up to 64; zero bytes still gets a valid pointer).
  static std::shared_ptr<Storage> allocate(std::size_t nbytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() { return data_; }
  const void* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }

 private:
  Storage(void* data, std::size_t nbytes) : data_(data), nbytes_(nbytes) {}
  void* data_;
  std::size_t nbytes_;
};

}  // namespace lamina
