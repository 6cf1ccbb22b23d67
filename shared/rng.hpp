// Portable seeded normal RNG: Philox4x32-10 (Salmon et al. 2011) and Box-Muller, giving the
// same numbers natively and under Emscripten. Stream i of a seed is independent of the rest.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace ddpm {

// Philox4x32-10 block function: 4 x 32-bit counter, 2 x 32-bit key -> 4 x 32-bit output
// (Random123's constants; checked against its known-answer vectors in the tests).
std::array<uint32_t, 4> philox4x32(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key);

// The stream layout (this is the specification; tests/cpp/core/test_rng.cpp checks it):
//   key     = {seed low 32 bits, seed high 32 bits}
//   counter = {block low, block high, stream low, stream high}, block = 0, 1, 2, ...
// Each block gives 4 outputs u0..u3 (next_u32 returns them in order) and 4 normals:
//   v_k = (u_k + 0.5) / 2^32 in (0, 1), r = sqrt(-2 ln v0), th = 2 pi v1  (Box-Muller in double)
//   normals = float(r cos th), float(r sin th), then the same with (v2, v3).
// normal() and next_u32() both consume one of the block's 4 slots. |normal| < 6.77.
// Seed 42, stream 0: first 8 normals (python3 reference, tests/cpp/core/make_reference.py)
//   -0.9701898098  0.1940189600 -1.2356207371  1.9239267111
//   -0.0731815100  0.1391374916 -1.1066650152  0.3266829550
class NormalRng {
 public:
  NormalRng(uint64_t seed, uint64_t stream);

  float normal();                   // one N(0, 1) sample
  void fill(float* out, size_t n);  // n consecutive samples
  uint32_t next_u32();

  // Exact position, so that a run can be checkpointed and resumed.
  struct State {
    uint64_t seed, stream, block;
    uint32_t index;  // outputs of the current block already used (0..4)
  };
  State state() const;
  void set_state(const State& s);  // throws std::invalid_argument if index > 4

 private:
  void load_block();  // fills raw_ and normal_ for block_

  uint64_t seed_, stream_, block_ = 0;
  std::array<uint32_t, 4> raw_{};
  std::array<float, 4> normal_{};
  uint32_t index_ = 0;
};

}  // namespace ddpm
