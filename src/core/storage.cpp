#include "lamina/core/storage.hpp"

#include <cstdlib>
#include <new>

#include "lamina/core/error.hpp"

namespace lamina {

std::shared_ptr<Storage> Storage::allocate(std::size_t nbytes) {
  constexpr std::size_t kAlign = 64;
  std::size_t rounded = (nbytes + kAlign - 1) / kAlign * kAlign;
  if (rounded == 0) rounded = kAlign;
  void* p = std::aligned_alloc(kAlign, rounded);
  if (p == nullptr)
    throw ValueError({.problem = "out of memory",
                      .expected = "an allocation the machine can satisfy",
                      .found = std::to_string(nbytes) + " bytes requested",
                      .hint = "reduce the batch size or the tensor sizes"});
  return std::shared_ptr<Storage>(new Storage(p, nbytes));
}

Storage::~Storage() { std::free(data_); }

}  // namespace lamina
