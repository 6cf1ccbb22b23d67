// The engine's scratch arena: offsets handed out at planning time, one allocation at the end.
#include "engine/workspace.hpp"

namespace ddpm::engine {

Arena::Id Arena::reserve(size_t floats) {
  // 64-byte alignment of every buffer (a cache line, the widest SIMD register)
  constexpr size_t align = 64 / sizeof(float);
  offsets_.push_back(total_);
  total_ += (floats + align - 1) / align * align;
  return offsets_.size() - 1;
}

void Arena::allocate() {
  // one spare cache line so that the storage can be aligned by offset
  storage_.assign(total_ + 16, 0.0f);
  const size_t misalign = reinterpret_cast<size_t>(storage_.data()) % 64 / sizeof(float);
  const size_t shift = misalign ? 16 - misalign : 0;
  for (auto& o : offsets_) o += shift;
}

}  // namespace ddpm::engine
