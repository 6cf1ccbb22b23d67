// The UNet's forward pass (docs/model.md, steps 1-7) over the workspace: embeddings, the down
// path writing straight into the skip buffers, the middle, the up path, the output.
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "engine/eigen_config.hpp"
#include "engine/unet_plan.hpp"

namespace ddpm {

using engine::ConvEpilogue;

void UNetEngine::Impl::forward(const float* x, int n, int t, const int* labels, float* eps) {
  if (n < 1 || n > options.max_batch)
    throw std::invalid_argument("engine: batch of " + std::to_string(n) + " images, expected 1.." +
                                std::to_string(options.max_batch));
  const int K = config.num_classes;
  if (labels && K == 0)
    throw std::invalid_argument("engine: labels given to an unconditional model");
  for (int i = 0; labels && i < n; ++i)
    if (labels[i] < 0 || labels[i] > K)
      throw std::invalid_argument("engine: labels[" + std::to_string(i) +
                                  "] = " + std::to_string(labels[i]) + ", expected 0.." +
                                  std::to_string(K) + " (" + std::to_string(K) + " = null)");
  ctx.n = n;
  const int ch = config.base_channels, temb = config.temb_dim(), C = config.in_channels;
  int h = config.height, w = config.width;
  const long hw = long(h) * w;

  // 1. timestep embedding [ch, n]: sin(t f_i), cos(t f_i), f_i = exp(-ln(10000) i / half),
  // in float as the trainer computes it (Vaswani et al. 2017, Sec. 3.5)
  const int half = ch / 2;
  float* e = arena.get(emb_e);
  for (int i = 0; i < half; ++i) {
    const float f = std::exp(float(i) * float(-std::log(10000.0) / double(half)));
    const float arg = float(t) * f;
    const float s = std::sin(arg), c = std::cos(arg);
    for (int j = 0; j < n; ++j) e[i * n + j] = s, e[(half + i) * n + j] = c;
  }
  float* hidden = arena.get(emb_hidden);
  float* em = arena.get(emb);
  engine::linear(time1, e, hidden, n);
  engine::silu(hidden, long(temb) * n);
  engine::linear(time2, hidden, em, n);

  // 2. class embedding: row y of the table (row K, the null label, when no labels are given)
  for (int j = 0; K > 0 && j < n; ++j) {
    const float* row = class_table + long(labels ? labels[j] : K) * temb;
    for (int i = 0; i < temb; ++i) em[i * n + j] += row[i];
  }
  float* semb = arena.get(silu_emb);
  std::memcpy(semb, em, sizeof(float) * temb * n);
  engine::silu(semb, long(temb) * n);

  // 3. input: [N, C, H, W] -> [C, N, H, W], then conv_in onto the skip stack
  float* xin = arena.get(x_in);
  for (int j = 0; j < n; ++j)
    for (int c = 0; c < C; ++c)
      std::memcpy(xin + (c * n + j) * hw, x + (long(j) * C + c) * hw, sizeof(float) * hw);
  size_t top = 0;
  float* cur = arena.get(skips[top++]);
  engine::conv2d(conv_in, xin, h, w, cur, ConvEpilogue{}, ctx);
  float* G0 = arena.get(g0);
  float* G1 = arena.get(g1);
  auto other = [&](const float* p) { return p == G0 ? G1 : G0; };

  // 4. down path: the last block of each push writes into its skip buffer directly
  for (const LevelPlan& level : down) {
    for (size_t j = 0; j < level.res.size(); ++j) {
      float* slot = arena.get(skips[top++]);
      const bool attn = !level.attn.empty();
      float* dst = attn ? other(cur) : slot;
      engine::res_block(level.res[j], cur, h, w, semb, dst, res_scratch, ctx);
      if (attn) engine::attention_block(level.attn[j], dst, h, w, slot, attn_scratch, ctx);
      cur = slot;
    }
    if (level.resample.weight) {
      float* slot = arena.get(skips[top++]);
      engine::conv2d(level.resample, cur, h, w, slot, ConvEpilogue{}, ctx);
      h = engine::conv_out_size(level.resample, h), w = engine::conv_out_size(level.resample, w);
      cur = slot;
    }
  }

  // 5. middle
  float* dst = other(cur);
  engine::res_block(mid_res1, cur, h, w, semb, dst, res_scratch, ctx);
  cur = dst, dst = other(cur);
  engine::attention_block(mid_attn, cur, h, w, dst, attn_scratch, ctx);
  cur = dst, dst = other(cur);
  engine::res_block(mid_res2, cur, h, w, semb, dst, res_scratch, ctx);
  cur = dst;

  // 6. up path: concat(h, pop()) along channels is a concatenation of rows
  float* cat_buf = arena.get(cat);
  int channels = mid_res2.conv2.out;
  for (int i = config.levels() - 1; i >= 0; --i) {
    const LevelPlan& level = up[i];
    const long P = long(n) * h * w;
    for (size_t j = 0; j < level.res.size(); ++j) {
      const float* skip = arena.get(skips[--top]);
      const int skip_channels = level.res[j].norm1.channels - channels;
      std::memcpy(cat_buf, cur, sizeof(float) * channels * P);
      std::memcpy(cat_buf + channels * P, skip, sizeof(float) * skip_channels * P);
      dst = other(cur);
      engine::res_block(level.res[j], cat_buf, h, w, semb, dst, res_scratch, ctx);
      cur = dst, channels = level.res[j].conv2.out;
      if (!level.attn.empty()) {
        dst = other(cur);
        engine::attention_block(level.attn[j], cur, h, w, dst, attn_scratch, ctx);
        cur = dst;
      }
    }
    if (level.resample.weight) {
      float* big = other(cur);
      engine::upsample_nearest2x(cur, channels, h, w, big, ctx);
      h *= 2, w *= 2;
      dst = other(big);
      engine::conv2d(level.resample, big, h, w, dst, ConvEpilogue{}, ctx);
      cur = dst;
    }
  }

  // 7. output: conv_out(SiLU(norm_out(h))), then back to [N, C, H, W]
  float* nrm = res_scratch.normed;
  engine::group_norm(norm_out, cur, h, w, nrm, true, ctx);
  float* o = arena.get(out);
  engine::conv2d(conv_out, nrm, h, w, o, ConvEpilogue{}, ctx);
  for (int j = 0; j < n; ++j)
    for (int c = 0; c < C; ++c)
      std::memcpy(eps + (long(j) * C + c) * hw, o + (c * n + j) * hw, sizeof(float) * hw);
}

}  // namespace ddpm
