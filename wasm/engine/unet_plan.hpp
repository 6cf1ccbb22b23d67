// The engine's internal picture of one UNet: its layers wired to the weights, and the
// buffers of the workspace (UNetEngine::Impl, shared by unet_build.cpp and unet_forward.cpp).
#pragma once

#include <vector>

#include "engine/attention.hpp"
#include "engine/res_block.hpp"
#include "engine/unet_engine.hpp"
#include "engine/workspace.hpp"

namespace ddpm {

// One level of the down or up path: its residual blocks, their attention blocks (empty when
// the level's height is not in attention_resolutions) and the resampling convolution.
struct LevelPlan {
  std::vector<engine::ResBlock> res;
  std::vector<engine::AttnBlock> attn;
  engine::Conv resample;  // weight null on the last level (down) or level 0 (up)
};

struct UNetEngine::Impl {
  Weights weights;  // owns every parameter the layers point into
  ModelConfig config;
  EngineOptions options;

  // layers
  engine::Linear time1, time2;
  const float* class_table = nullptr;  // [K + 1, temb] or null when unconditional
  engine::Conv conv_in, conv_out;
  std::vector<LevelPlan> down, up;  // up[i] is level i (run from levels - 1 down to 0)
  engine::ResBlock mid_res1, mid_res2;
  engine::AttnBlock mid_attn;
  engine::Norm norm_out;

  // workspace, sized for options.max_batch
  engine::Arena arena;
  engine::Arena::Id x_in, out, g0, g1, cat, normed, qkv, tproj;
  engine::Arena::Id emb_e, emb_hidden, emb, silu_emb;
  std::vector<engine::Arena::Id> skips, col_tiles, scores;
  std::vector<std::vector<engine::ImageRun>> run_storage;  // per thread
  engine::Context ctx;
  engine::ResScratch res_scratch;
  engine::AttnScratch attn_scratch;

  Impl(Weights w, const EngineOptions& o);
  void forward(const float* x, int n, int t, const int* labels, float* eps);
};

}  // namespace ddpm
