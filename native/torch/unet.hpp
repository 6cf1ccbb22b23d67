// The UNet of docs/model.md in LibTorch: modules registered so that named_parameters() yields
// exactly the tensor names of the weights file (e.g. `down.1.res.0.conv1.weight`).
#pragma once

#include <torch/torch.h>

#include "model_config.hpp"

namespace ddpm::native {

// Residual block res(x, emb), in -> out channels (docs/model.md, "Residual block").
class ResBlockImpl : public torch::nn::Module {
 public:
  ResBlockImpl(int in, int out, int temb, int groups, double dropout);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb);

 private:
  torch::nn::GroupNorm norm1{nullptr}, norm2{nullptr};
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, skip{nullptr};
  torch::nn::Linear temb{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(ResBlock);

// Single-head self-attention over the H*W positions (docs/model.md, "Attention block").
class AttnBlockImpl : public torch::nn::Module {
 public:
  AttnBlockImpl(int channels, int groups);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::GroupNorm norm{nullptr};
  torch::nn::Conv2d qkv{nullptr}, proj{nullptr};
};
TORCH_MODULE(AttnBlock);

// The blocks of one level of the down or up path, registered as `res.j`, `attn.j` and
// `downsample.conv` / `upsample.conv` under `down.i` / `up.i`.
struct LevelBlocks {
  std::vector<ResBlock> res;
  std::vector<AttnBlock> attn;          // empty when the level has no attention
  torch::nn::Conv2d resample{nullptr};  // null on the last level down and level 0 up
};

class UNetImpl : public torch::nn::Module {
 public:
  explicit UNetImpl(const ModelConfig& config);

  // x [N, C, H, W] float, t [N] int64 timesteps 1..T, labels [N] int64 in 0..K (K = null)
  // or an undefined tensor (all labels K when the model is conditional). Returns eps-hat.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t,
                        const torch::Tensor& labels = {});

  const ModelConfig& config() const { return config_; }

 private:
  torch::Tensor time_embedding(const torch::Tensor& t) const;

  ModelConfig config_;
  torch::nn::Linear time_linear1{nullptr}, time_linear2{nullptr};
  torch::nn::Embedding class_embed{nullptr};
  torch::nn::Conv2d conv_in{nullptr}, conv_out{nullptr};
  std::vector<LevelBlocks> down_, up_;  // indexed by level i
  ResBlock mid_res1{nullptr}, mid_res2{nullptr};
  AttnBlock mid_attn{nullptr};
  torch::nn::GroupNorm norm_out{nullptr};
};
TORCH_MODULE(UNet);

// Copies every parameter of `from` into `to` (same configuration), without autograd.
void copy_parameters(UNet& to, const UNet& from);

}  // namespace ddpm::native
