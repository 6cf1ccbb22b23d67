// Portable seeded normal RNG: Philox4x32-10 (Salmon et al. 2011) and Box-Muller, giving the
// same numbers natively and under Emscripten. Stream i of a seed is independent of the rest.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace ddpm {

// Philox4x32-10 block function: 4 x 32-bit counter, 2 x 32-bit key -> 4 x 32-bit output.
std::array<uint32_t, 4> philox4x32(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key);

class NormalRng {
 public:
  NormalRng(uint64_t seed, uint64_t stream);

  float normal();                     // one N(0, 1) sample
  void fill(float* out, size_t n);    // n consecutive samples
  uint32_t next_u32();

  // Exact position, so that a run can be checkpointed and resumed.
  struct State {
    uint64_t seed, stream, block;
    uint32_t index;  // outputs of the current block already used (0..4)
  };
  State state() const;
  void set_state(const State& s);

 private:
  // ...implementation-defined members
  uint64_t seed_, stream_, block_ = 0;
  std::array<uint32_t, 4> buf_{};
  uint32_t index_ = 4;
};

}  // namespace ddpm
