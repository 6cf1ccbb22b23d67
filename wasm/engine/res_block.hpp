// The UNet's residual block (docs/model.md, "Residual block") on the engine's layout.
#pragma once

#include "engine/layers.hpp"

namespace ddpm::engine {

struct ResBlock {
  Norm norm1, norm2;
  Conv conv1, conv2, skip;  // skip.weight is null when in == out (identity)
  Linear temb;
};

struct ResScratch {
  float* normed = nullptr;  // [max(in, out), P]
  float* tproj = nullptr;   // [out, n]
};

// out = skip(x) + conv2(SiLU(norm2(conv1(SiLU(norm1(x))) + temb(SiLU(emb))))), with
// silu_emb = SiLU(emb) as [temb, n]; x is [in, n, h, w], out [out, n, h, w], out != x.
void res_block(const ResBlock& block, const float* x, int h, int w, const float* silu_emb,
               float* out, const ResScratch& scratch, const Context& ctx);

}  // namespace ddpm::engine
