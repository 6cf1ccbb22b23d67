// Building the engine: every layer of docs/model.md wired to its tensor (names and shapes
// checked), and the workspace planned from the largest activation of each kind.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "engine/eigen_config.hpp"
#include "engine/unet_plan.hpp"

namespace ddpm {

namespace {

constexpr int kMaxBatch = 4096;
constexpr int kMaxThreads = 256;
constexpr int kTileCols = 256;  // output positions per GEMM tile (a multiple of 16)

// Looks up parameters by name, checking the shape the configuration implies.
struct Wiring {
  const Weights& w;

  const float* param(const std::string& name, std::vector<int64_t> shape) const {
    auto it = w.tensors.find(name);
    if (it == w.tensors.end()) throw std::invalid_argument("engine: weights lack tensor " + name);
    int64_t count = 1;
    for (int64_t d : shape) count *= d;
    if (it->second.shape != shape || int64_t(it->second.data.size()) != count)
      throw std::invalid_argument("engine: tensor " + name + " has the wrong shape");
    return it->second.data.data();
  }
  engine::Conv conv(const std::string& n, int in, int out, int k, int stride = 1) const {
    engine::Conv c;
    c.weight = param(n + ".weight", {out, in, k, k});
    c.bias = param(n + ".bias", {out});
    c.in = in, c.out = out, c.k = k, c.stride = stride;
    return c;
  }
  engine::Norm norm(const std::string& n, int channels, int groups) const {
    return {param(n + ".weight", {channels}), param(n + ".bias", {channels}), channels, groups};
  }
  engine::Linear linear(const std::string& n, int in, int out) const {
    return {param(n + ".weight", {out, in}), param(n + ".bias", {out}), in, out};
  }
};

}  // namespace

UNetEngine::Impl::Impl(Weights w, const EngineOptions& o)
    : weights(std::move(w)), config(weights.model), options(o) {
  validate(config);
  if (o.max_batch < 1 || o.max_batch > kMaxBatch)
    throw std::invalid_argument("engine: max_batch must be in 1.." + std::to_string(kMaxBatch) +
                                ", got " + std::to_string(o.max_batch));
  if (o.threads < 1 || o.threads > kMaxThreads)
    throw std::invalid_argument("engine: threads must be in 1.." + std::to_string(kMaxThreads) +
                                ", got " + std::to_string(o.threads));
  const Wiring wire{weights};
  const int ch = config.base_channels, temb = config.temb_dim(), g = config.groups;
  const size_t B = size_t(o.max_batch);

  // sizes seen while wiring: largest activation, qkv, im2col depth, attention positions
  size_t act = 0, qkv_size = 0, k_max = 0, hw_max = 0, out_max = 0;
  std::vector<size_t> skip_sizes;
  auto note = [&](int c, int h, int wd) { act = std::max(act, size_t(c) * h * wd); };
  auto conv3 = [&](const std::string& n, int in, int out, int stride = 1) {
    k_max = std::max(k_max, size_t(in) * 9);
    return wire.conv(n, in, out, 3, stride);
  };
  auto res = [&](const std::string& p, int in, int out, int h, int wd) {
    note(in, h, wd), note(out, h, wd);
    out_max = std::max(out_max, size_t(out));
    engine::ResBlock r;
    r.norm1 = wire.norm(p + ".norm1", in, g);
    r.conv1 = conv3(p + ".conv1", in, out);
    r.temb = wire.linear(p + ".temb", temb, out);
    r.norm2 = wire.norm(p + ".norm2", out, g);
    r.conv2 = conv3(p + ".conv2", out, out);
    if (in != out) r.skip = wire.conv(p + ".skip", in, out, 1);
    return r;
  };
  auto attn = [&](const std::string& p, int c, int h, int wd) {
    qkv_size = std::max(qkv_size, size_t(3) * c * h * wd);
    hw_max = std::max(hw_max, size_t(h) * wd);
    return engine::AttnBlock{wire.norm(p + ".norm", c, g), wire.conv(p + ".qkv", c, 3 * c, 1),
                             wire.conv(p + ".proj", c, c, 1)};
  };
  auto has_attention = [&](int h) {
    const auto& r = config.attention_resolutions;
    return std::find(r.begin(), r.end(), h) != r.end();
  };

  // embeddings and input
  time1 = wire.linear("time_embed.linear1", ch, temb);
  time2 = wire.linear("time_embed.linear2", temb, temb);
  if (config.num_classes > 0)
    class_table = wire.param("class_embed.weight", {config.num_classes + 1, temb});
  int h = config.height, wd = config.width, cur = ch;
  note(config.in_channels, h, wd);
  conv_in = conv3("conv_in", config.in_channels, ch);
  std::vector<int> skip_channels{ch};
  skip_sizes.push_back(size_t(ch) * h * wd);

  // down path (docs/model.md step 4)
  const int levels = config.levels();
  down.resize(levels), up.resize(levels);
  for (int i = 0; i < levels; ++i) {
    const int out = ch * config.channel_mult[i];
    const std::string p = "down." + std::to_string(i);
    for (int j = 0; j < config.num_res_blocks; ++j) {
      down[i].res.push_back(res(p + ".res." + std::to_string(j), cur, out, h, wd));
      cur = out;
      if (has_attention(h))
        down[i].attn.push_back(attn(p + ".attn." + std::to_string(j), cur, h, wd));
      skip_channels.push_back(cur), skip_sizes.push_back(size_t(cur) * h * wd);
    }
    if (i < levels - 1) {
      down[i].resample = conv3(p + ".downsample.conv", cur, cur, 2);
      h /= 2, wd /= 2;
      skip_channels.push_back(cur), skip_sizes.push_back(size_t(cur) * h * wd);
    }
  }

  // middle (step 5)
  mid_res1 = res("mid.res1", cur, cur, h, wd);
  mid_attn = attn("mid.attn", cur, h, wd);
  mid_res2 = res("mid.res2", cur, cur, h, wd);

  // up path (step 6): inputs are concatenations with the popped skips
  for (int i = levels - 1; i >= 0; --i) {
    const int out = ch * config.channel_mult[i];
    const std::string p = "up." + std::to_string(i);
    for (int j = 0; j <= config.num_res_blocks; ++j) {
      const int in = cur + skip_channels.back();
      skip_channels.pop_back();
      up[i].res.push_back(res(p + ".res." + std::to_string(j), in, out, h, wd));
      cur = out;
      if (has_attention(h))
        up[i].attn.push_back(attn(p + ".attn." + std::to_string(j), cur, h, wd));
    }
    if (i > 0) {
      h *= 2, wd *= 2;
      note(cur, h, wd);
      up[i].resample = conv3(p + ".upsample.conv", cur, cur);
    }
  }
  norm_out = wire.norm("norm_out", cur, g);
  conv_out = conv3("conv_out", cur, config.in_channels);

  // the workspace: one arena, carved once
  const size_t image = size_t(config.image_dim());
  x_in = arena.reserve(B * image), out = arena.reserve(B * image);
  g0 = arena.reserve(B * act), g1 = arena.reserve(B * act);
  cat = arena.reserve(B * act), normed = arena.reserve(B * act);
  qkv = arena.reserve(B * qkv_size), tproj = arena.reserve(B * out_max);
  emb_e = arena.reserve(B * ch), emb_hidden = arena.reserve(B * temb);
  emb = arena.reserve(B * temb), silu_emb = arena.reserve(B * temb);
  for (size_t s : skip_sizes) skips.push_back(arena.reserve(B * s));
  const size_t tile = std::min<size_t>(kTileCols, (B * act + 15) / 16 * 16);
  for (int t = 0; t < o.threads; ++t) {
    col_tiles.push_back(arena.reserve(k_max * tile));
    scores.push_back(arena.reserve(hw_max * hw_max));
  }
  arena.allocate();

  // scratch pointers handed to the layers
  ctx.threads = o.threads;
  ctx.tile_cols = kTileCols;
  for (auto id : col_tiles) ctx.col_tiles.push_back(arena.get(id));
  run_storage.assign(size_t(o.threads), std::vector<engine::ImageRun>(kTileCols + 1));
  for (auto& runs : run_storage) ctx.run_buffers.push_back(runs.data());
  res_scratch = {arena.get(normed), arena.get(tproj)};
  attn_scratch.normed = arena.get(normed);
  attn_scratch.qkv = arena.get(qkv);
  for (auto id : scores) attn_scratch.scores.push_back(arena.get(id));
  Eigen::initParallel();
}

UNetEngine::UNetEngine(Weights weights, const EngineOptions& options)
    : impl_(std::make_unique<Impl>(std::move(weights), options)) {}
UNetEngine::~UNetEngine() = default;
UNetEngine::UNetEngine(UNetEngine&&) noexcept = default;
UNetEngine& UNetEngine::operator=(UNetEngine&&) noexcept = default;

const ModelConfig& UNetEngine::config() const {
  return impl_->config;
}
const ScheduleConfig& UNetEngine::schedule() const {
  return impl_->weights.schedule;
}
int UNetEngine::max_batch() const {
  return impl_->options.max_batch;
}
int UNetEngine::threads() const {
  return impl_->options.threads;
}
size_t UNetEngine::workspace_bytes() const {
  return impl_->arena.bytes();
}

void UNetEngine::forward(const float* x, int n, int t, const int* labels, float* eps) {
  impl_->forward(x, n, t, labels, eps);
}

}  // namespace ddpm
