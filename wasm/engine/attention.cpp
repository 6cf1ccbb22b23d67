// Self-attention per image: scores q^T k / sqrt(C), a softmax over keys, values weighted by
// it; GEMMs on strided views of the batch's q, k, v rows (no copies).
#include "engine/attention.hpp"

#include <cmath>

#include "engine/eigen_config.hpp"
#include "engine/parallel.hpp"

namespace ddpm::engine {

void attention_block(const AttnBlock& b, const float* x, int h, int w, float* out,
                     const AttnScratch& s, const Context& ctx) {
  // q, k, v = split(qkv(norm(x))): rows [0, C), [C, 2C), [2C, 3C) of a [3C, P] buffer
  const int C = b.norm.channels;
  const long hw = long(h) * w, P = ctx.n * hw;
  group_norm(b.norm, x, h, w, s.normed, false, ctx);
  conv2d(b.qkv, s.normed, h, w, s.qkv, ConvEpilogue{}, ctx);

  // per image: S = softmax_j(q_i . k_j / sqrt(C)), o = v S^T (Vaswani et al. 2017, Eq. 1)
  const float scale = 1.0f / std::sqrt(float(C));
  parallel_for(ctx.n, ctx.threads, [&](int img, int thread) {
    const ConstMatrixView q(s.qkv + img * hw, C, hw, Strided(P));
    const ConstMatrixView k(s.qkv + C * P + img * hw, C, hw, Strided(P));
    const ConstMatrixView v(s.qkv + 2 * C * P + img * hw, C, hw, Strided(P));
    Eigen::Map<RowMatrix> S(s.scores[thread], hw, hw);
    S.noalias() = q.transpose() * k;
    for (long i = 0; i < hw; ++i) {
      auto row = S.row(i).array();
      const float m = row.maxCoeff();
      row = ((row - m) * scale).exp();
      row /= row.sum();
    }
    MatrixView o(s.normed + img * hw, C, hw, Strided(P));
    o.noalias() = v * S.transpose();
  });

  // out = x + proj(o)
  ConvEpilogue residual;
  residual.residual = x;
  conv2d(b.proj, s.normed, h, w, out, residual, ctx);
}

}  // namespace ddpm::engine
