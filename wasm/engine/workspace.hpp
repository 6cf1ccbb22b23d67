// The engine's scratch memory: one arena sized when the engine is built, carved into named
// buffers, so that forward() never allocates.
#pragma once

#include <cstddef>
#include <vector>

namespace ddpm::engine {

// Two phases: reserve() every buffer (sizes in floats), then allocate() once; the pointers
// returned by get() stay valid for the arena's lifetime.
class Arena {
 public:
  using Id = size_t;
  Id reserve(size_t floats);
  void allocate();
  float* get(Id id) { return storage_.data() + offsets_[id]; }
  size_t bytes() const { return storage_.size() * sizeof(float); }

 private:
  std::vector<size_t> offsets_;
  size_t total_ = 0;
  std::vector<float> storage_;
};

}  // namespace ddpm::engine
