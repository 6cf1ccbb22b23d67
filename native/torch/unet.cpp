// The UNet of docs/model.md in LibTorch (Ho et al. 2020, Appendix B), module by module, with
// the weights file's names. Layouts are N, C, H, W throughout.
#include "torch/unet.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace ddpm::native {
namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {

nn::Conv2d conv3x3(int in, int out, int stride = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1));
}
nn::Conv2d conv1x1(int in, int out) { return nn::Conv2d(nn::Conv2dOptions(in, out, 1)); }
nn::GroupNorm group_norm(int groups, int channels) {
  return nn::GroupNorm(nn::GroupNormOptions(groups, channels).eps(1e-5));
}

// Output layers start at zero, so every block starts as the identity (as in the DDPM code).
void zero_init(nn::Conv2d& conv) {
  torch::NoGradGuard no_grad;
  conv->weight.zero_();
  conv->bias.zero_();
}

}  // namespace

ResBlockImpl::ResBlockImpl(int in, int out, int temb_dim, int groups, double p) {
  norm1 = register_module("norm1", group_norm(groups, in));
  conv1 = register_module("conv1", conv3x3(in, out));
  temb = register_module("temb", nn::Linear(temb_dim, out));
  norm2 = register_module("norm2", group_norm(groups, out));
  dropout = register_module("dropout", nn::Dropout(p));
  conv2 = register_module("conv2", conv3x3(out, out));
  if (in != out) skip = register_module("skip", conv1x1(in, out));
  zero_init(conv2);
}

torch::Tensor ResBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& emb) {
  auto h = conv1(torch::silu(norm1(x)));
  h = h + temb(torch::silu(emb)).unsqueeze(-1).unsqueeze(-1);
  h = conv2(dropout(torch::silu(norm2(h))));
  return (skip ? skip(x) : x) + h;
}

AttnBlockImpl::AttnBlockImpl(int channels, int groups) {
  norm = register_module("norm", group_norm(groups, channels));
  qkv = register_module("qkv", conv1x1(channels, 3 * channels));
  proj = register_module("proj", conv1x1(channels, channels));
  zero_init(proj);
}

torch::Tensor AttnBlockImpl::forward(const torch::Tensor& x) {
  const auto n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  auto parts = qkv(norm(x)).reshape({n, 3, c, h * w}).unbind(1);  // q, k, v: [N, C, HW]

  // w[i, j] = softmax_j(q_i . k_j / sqrt(C)) (Vaswani et al. 2017, Eq. 1)
  auto scores = torch::bmm(parts[0].transpose(1, 2), parts[1]) / std::sqrt(double(c));
  auto weights = torch::softmax(scores, -1);                         // [N, HW, HW]
  auto out = torch::bmm(parts[2], weights.transpose(1, 2));          // [N, C, HW]
  return x + proj(out.reshape({n, c, h, w}));
}

UNetImpl::UNetImpl(const ModelConfig& config) : config_(config) {
  validate(config_);
  const int ch = config_.base_channels, temb = config_.temb_dim(), g = config_.groups;
  const int levels = config_.levels();
  auto has_attention = [&](int height) {
    for (int r : config_.attention_resolutions)
      if (r == height) return true;
    return false;
  };

  // time embedding MLP and class table (K + 1 rows, the last is the null label)
  auto time_embed = register_module("time_embed", std::make_shared<nn::Module>());
  time_linear1 = time_embed->register_module("linear1", nn::Linear(ch, temb));
  time_linear2 = time_embed->register_module("linear2", nn::Linear(temb, temb));
  if (config_.num_classes > 0)
    class_embed = register_module("class_embed", nn::Embedding(config_.num_classes + 1, temb));
  conv_in = register_module("conv_in", conv3x3(config_.in_channels, ch));

  // down path; `skips` follows the channel count of every tensor pushed on the skip stack
  std::vector<int> skips{ch};
  int cur = ch, height = config_.height;
  auto down_list = register_module("down", nn::ModuleList());
  for (int i = 0; i < levels; ++i) {
    const int out = ch * config_.channel_mult[i];
    auto level = std::make_shared<nn::Module>();
    auto res = level->register_module("res", nn::ModuleList());
    nn::ModuleList attn;
    LevelBlocks blocks;
    for (int j = 0; j < config_.num_res_blocks; ++j) {
      blocks.res.emplace_back(cur, out, temb, g, config_.dropout);
      res->push_back(blocks.res.back());
      cur = out;
      if (has_attention(height)) {
        blocks.attn.emplace_back(cur, g);
        attn->push_back(blocks.attn.back());
      }
      skips.push_back(cur);
    }
    if (!blocks.attn.empty()) level->register_module("attn", attn);
    if (i < levels - 1) {
      auto sample = level->register_module("downsample", std::make_shared<nn::Module>());
      blocks.resample = sample->register_module("conv", conv3x3(cur, cur, 2));
      skips.push_back(cur);
      height /= 2;
    }
    down_list->push_back(level);
    down_.push_back(std::move(blocks));
  }

  // middle
  auto mid = register_module("mid", std::make_shared<nn::Module>());
  mid_res1 = mid->register_module("res1", ResBlock(cur, cur, temb, g, config_.dropout));
  mid_attn = mid->register_module("attn", AttnBlock(cur, g));
  mid_res2 = mid->register_module("res2", ResBlock(cur, cur, temb, g, config_.dropout));

  // up path, built from the last level to level 0 but registered as up.0 .. up.(levels-1)
  std::vector<std::shared_ptr<nn::Module>> up_levels(levels);
  up_.resize(levels);
  for (int i = levels - 1; i >= 0; --i) {
    const int out = ch * config_.channel_mult[i];
    auto level = std::make_shared<nn::Module>();
    auto res = level->register_module("res", nn::ModuleList());
    nn::ModuleList attn;
    LevelBlocks& blocks = up_[i];
    for (int j = 0; j <= config_.num_res_blocks; ++j) {
      blocks.res.emplace_back(cur + skips.back(), out, temb, g, config_.dropout);
      skips.pop_back();
      res->push_back(blocks.res.back());
      cur = out;
      if (has_attention(height)) {
        blocks.attn.emplace_back(cur, g);
        attn->push_back(blocks.attn.back());
      }
    }
    if (!blocks.attn.empty()) level->register_module("attn", attn);
    if (i > 0) {
      auto sample = level->register_module("upsample", std::make_shared<nn::Module>());
      blocks.resample = sample->register_module("conv", conv3x3(cur, cur));
      height *= 2;
    }
    up_levels[i] = level;
  }
  auto up_list = register_module("up", nn::ModuleList());
  for (auto& level : up_levels) up_list->push_back(level);

  // output
  norm_out = register_module("norm_out", group_norm(g, cur));
  conv_out = register_module("conv_out", conv3x3(cur, config_.in_channels));
  zero_init(conv_out);
}

torch::Tensor UNetImpl::time_embedding(const torch::Tensor& t) const {
  // e = [sin(t f_i), cos(t f_i)], f_i = exp(-ln(10000) i / half) (Vaswani et al. 2017, Sec. 3.5)
  const int64_t half = config_.base_channels / 2;
  auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(t.device());
  auto freqs = torch::exp(torch::arange(half, opts) * (-std::log(10000.0) / double(half)));
  auto args = t.to(torch::kFloat32).unsqueeze(1) * freqs.unsqueeze(0);  // [N, half]
  return torch::cat({torch::sin(args), torch::cos(args)}, 1);
}

torch::Tensor UNetImpl::forward(const torch::Tensor& x, const torch::Tensor& t,
                                const torch::Tensor& labels) {
  const int levels = config_.levels();
  if (x.dim() != 4 || x.size(1) != config_.in_channels || x.size(2) != config_.height ||
      x.size(3) != config_.width)
    throw std::invalid_argument("UNet: x must be [N, " + std::to_string(config_.in_channels) +
                                ", " + std::to_string(config_.height) + ", " +
                                std::to_string(config_.width) + "]");

  // embeddings: time MLP, plus the class row (the null row K when no labels are given)
  auto emb = time_linear2(torch::silu(time_linear1(time_embedding(t))));
  if (config_.num_classes > 0) {
    auto y = labels.defined()
                 ? labels.to(torch::kLong)
                 : torch::full({x.size(0)}, int64_t(config_.num_classes),
                               torch::TensorOptions().dtype(torch::kLong).device(x.device()));
    emb = emb + class_embed(y);
  }

  // down path, pushing every output on the skip stack
  auto h = conv_in(x);
  std::vector<torch::Tensor> stack{h};
  for (int i = 0; i < levels; ++i) {
    auto& blocks = down_[i];
    for (size_t j = 0; j < blocks.res.size(); ++j) {
      h = blocks.res[j](h, emb);
      if (!blocks.attn.empty()) h = blocks.attn[j](h);
      stack.push_back(h);
    }
    if (blocks.resample) {
      h = blocks.resample(h);
      stack.push_back(h);
    }
  }

  h = mid_res2(mid_attn(mid_res1(h, emb)), emb);

  // up path: concat(h, pop()) along channels, h first
  for (int i = levels - 1; i >= 0; --i) {
    auto& blocks = up_[i];
    for (size_t j = 0; j < blocks.res.size(); ++j) {
      h = blocks.res[j](torch::cat({h, stack.back()}, 1), emb);
      stack.pop_back();
      if (!blocks.attn.empty()) h = blocks.attn[j](h);
    }
    if (blocks.resample) {
      auto options = F::InterpolateFuncOptions()
                         .scale_factor(std::vector<double>{2.0, 2.0})
                         .mode(torch::kNearest);
      h = blocks.resample(F::interpolate(h, options));
    }
  }

  return conv_out(torch::silu(norm_out(h)));
}

void copy_parameters(UNet& to, const UNet& from) {
  torch::NoGradGuard no_grad;
  auto src = from->named_parameters();
  for (auto& item : to->named_parameters()) item.value().copy_(src[item.key()]);
}

}  // namespace ddpm::native
