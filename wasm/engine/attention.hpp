// The UNet's single-head self-attention block over the H * W positions of each image
// (docs/model.md, "Attention block") on the engine's layout.
#pragma once

#include <vector>

#include "engine/layers.hpp"

namespace ddpm::engine {

struct AttnBlock {
  Norm norm;
  Conv qkv, proj;  // 1x1: C -> 3C (q, k, v in that order), C -> C
};

struct AttnScratch {
  float* normed = nullptr;     // [C, P]
  float* qkv = nullptr;        // [3C, P]
  std::vector<float*> scores;  // per thread: [HW, HW]
};

// out = x + proj(attention(qkv(norm(x)))); x and out are [C, n, h, w], out != x.
void attention_block(const AttnBlock& block, const float* x, int h, int w, float* out,
                     const AttnScratch& scratch, const Context& ctx);

}  // namespace ddpm::engine
