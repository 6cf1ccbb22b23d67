// The residual block: two normalised 3x3 convolutions, the time embedding added per image
// between them (as a per-image bias of the first), and the skip path (Ho et al. 2020, App. B).
#include "engine/res_block.hpp"

namespace ddpm::engine {

void res_block(const ResBlock& b, const float* x, int h, int w, const float* silu_emb, float* out,
               const ResScratch& s, const Context& ctx) {
  // h = conv1(SiLU(norm1(x))) + temb(SiLU(emb))[:, :, None, None]
  group_norm(b.norm1, x, h, w, s.normed, true, ctx);
  linear(b.temb, silu_emb, s.tproj, ctx.n);
  ConvEpilogue first;
  first.image_bias = s.tproj;
  conv2d(b.conv1, s.normed, h, w, out, first, ctx);

  // out = skip(x) + conv2(SiLU(norm2(h))); dropout is the identity at inference
  group_norm(b.norm2, out, h, w, s.normed, true, ctx);
  ConvEpilogue second;
  if (!b.skip.weight) second.residual = x;
  conv2d(b.conv2, s.normed, h, w, out, second, ctx);
  if (b.skip.weight) {
    ConvEpilogue add;
    add.accumulate = true;
    conv2d(b.skip, x, h, w, out, add, ctx);
  }
}

}  // namespace ddpm::engine
