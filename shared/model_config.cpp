// The UNet's configuration: validation against the limits of docs/weights-format.md, the list
// of every parameter (name and shape, docs/model.md) and the cost model (FLOP per image).
#include "model_config.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace ddpm {

namespace {

// Limits of docs/weights-format.md.
constexpr int64_t kMaxParameters = 64LL * 1024 * 1024;
constexpr int kMaxChannels = 2048;
constexpr int kMaxImageSide = 256;
constexpr int kMaxLevels = 16;
constexpr int kMaxClasses = 1000;
constexpr int kMaxResBlocks = 64;

[[noreturn]] void fail(const std::string& field, const std::string& expected, int64_t got) {
  throw std::invalid_argument("model." + field + ": expected " + expected + ", got " +
                              std::to_string(got));
}

bool has_attention(const ModelConfig& c, int height) {
  const auto& r = c.attention_resolutions;
  return std::find(r.begin(), r.end(), height) != r.end();
}

// Walks the network of docs/model.md once, calling `conv`, `linear`, `norm` and `attn` for
// every layer with its name and size. parameter_specs and mflop_per_image share this walk, so
// the two can never disagree about the architecture.
struct Visitor {
  virtual ~Visitor() = default;
  virtual void conv(const std::string& name, int in, int out, int k, int hw_out) = 0;
  virtual void linear(const std::string& name, int in, int out) = 0;
  virtual void norm(const std::string& name, int channels) = 0;
  virtual void embedding(const std::string& name, int rows, int cols) = 0;
  virtual void attention_products(int channels, int hw) = 0;
};

void visit_res(Visitor& v, const std::string& p, int in, int out, int temb, int hw) {
  v.norm(p + ".norm1", in);
  v.conv(p + ".conv1", in, out, 3, hw);
  v.linear(p + ".temb", temb, out);
  v.norm(p + ".norm2", out);
  v.conv(p + ".conv2", out, out, 3, hw);
  if (in != out) v.conv(p + ".skip", in, out, 1, hw);
}

void visit_attn(Visitor& v, const std::string& p, int channels, int hw) {
  v.norm(p + ".norm", channels);
  v.conv(p + ".qkv", channels, 3 * channels, 1, hw);
  v.attention_products(channels, hw);
  v.conv(p + ".proj", channels, channels, 1, hw);
}

void visit(const ModelConfig& c, Visitor& v) {
  const int ch = c.base_channels, temb = c.temb_dim(), levels = c.levels();
  v.linear("time_embed.linear1", ch, temb);
  v.linear("time_embed.linear2", temb, temb);
  if (c.num_classes > 0) v.embedding("class_embed", c.num_classes + 1, temb);

  // input and down path; `skips` mirrors the skip stack's channel counts
  int h = c.height, w = c.width;
  v.conv("conv_in", c.in_channels, ch, 3, h * w);
  std::vector<int> skips{ch};
  int cur = ch;
  for (int i = 0; i < levels; ++i) {
    const int out = ch * c.channel_mult[i];
    const std::string p = "down." + std::to_string(i);
    for (int j = 0; j < c.num_res_blocks; ++j) {
      visit_res(v, p + ".res." + std::to_string(j), cur, out, temb, h * w);
      cur = out;
      if (has_attention(c, h)) visit_attn(v, p + ".attn." + std::to_string(j), cur, h * w);
      skips.push_back(cur);
    }
    if (i < levels - 1) {
      h /= 2, w /= 2;
      v.conv(p + ".downsample.conv", cur, cur, 3, h * w);
      skips.push_back(cur);
    }
  }

  // middle
  visit_res(v, "mid.res1", cur, cur, temb, h * w);
  visit_attn(v, "mid.attn", cur, h * w);
  visit_res(v, "mid.res2", cur, cur, temb, h * w);

  // up path: each residual block takes the concatenation with a popped skip
  for (int i = levels - 1; i >= 0; --i) {
    const int out = ch * c.channel_mult[i];
    const std::string p = "up." + std::to_string(i);
    for (int j = 0; j <= c.num_res_blocks; ++j) {
      const int in = cur + skips.back();
      skips.pop_back();
      visit_res(v, p + ".res." + std::to_string(j), in, out, temb, h * w);
      cur = out;
      if (has_attention(c, h)) visit_attn(v, p + ".attn." + std::to_string(j), cur, h * w);
    }
    if (i > 0) {
      h *= 2, w *= 2;
      v.conv(p + ".upsample.conv", cur, cur, 3, h * w);
    }
  }

  // output
  v.norm("norm_out", cur);
  v.conv("conv_out", cur, c.in_channels, 3, h * w);
}

struct SpecCollector : Visitor {
  std::vector<ParamSpec> specs;
  void add(const std::string& name, std::vector<int64_t> shape) {
    specs.push_back({name, std::move(shape)});
  }
  void conv(const std::string& n, int in, int out, int k, int) override {
    add(n + ".weight", {out, in, k, k});
    add(n + ".bias", {out});
  }
  void linear(const std::string& n, int in, int out) override {
    add(n + ".weight", {out, in});
    add(n + ".bias", {out});
  }
  void norm(const std::string& n, int channels) override {
    add(n + ".weight", {channels});
    add(n + ".bias", {channels});
  }
  void embedding(const std::string& n, int rows, int cols) override {
    add(n + ".weight", {rows, cols});
  }
  void attention_products(int, int) override {}
};

struct FlopCounter : Visitor {
  double flop = 0;  // 2 per multiply-add
  void conv(const std::string&, int in, int out, int k, int hw) override {
    flop += 2.0 * out * in * k * k * hw;
  }
  void linear(const std::string&, int in, int out) override { flop += 2.0 * in * out; }
  void norm(const std::string&, int) override {}
  void embedding(const std::string&, int, int) override {}
  // q^T k ([hw, C] x [C, hw]) and the weighted sum of v ([C, hw] x [hw, hw])
  void attention_products(int channels, int hw) override {
    flop += 2.0 * 2.0 * channels * static_cast<double>(hw) * hw;
  }
};

}  // namespace

void validate(const ModelConfig& c) {
  // image and levels
  if (c.in_channels < 1 || c.in_channels > kMaxChannels)
    fail("in_channels", "1.." + std::to_string(kMaxChannels), c.in_channels);
  if (c.height < 1 || c.height > kMaxImageSide)
    fail("image_size[0]", "1.." + std::to_string(kMaxImageSide), c.height);
  if (c.width < 1 || c.width > kMaxImageSide)
    fail("image_size[1]", "1.." + std::to_string(kMaxImageSide), c.width);
  const int levels = c.levels();
  if (levels < 1 || levels > kMaxLevels)
    fail("channel_mult", "1.." + std::to_string(kMaxLevels) + " levels", levels);
  const int64_t factor = int64_t{1} << (levels - 1);
  if (c.height % factor != 0)
    fail("image_size[0]", "a multiple of 2^(levels-1) = " + std::to_string(factor), c.height);
  if (c.width % factor != 0)
    fail("image_size[1]", "a multiple of 2^(levels-1) = " + std::to_string(factor), c.width);

  // channels and groups
  if (c.groups < 1 || c.groups > kMaxChannels)
    fail("groups", "1.." + std::to_string(kMaxChannels), c.groups);
  if (c.base_channels < 2 || c.base_channels > kMaxChannels)
    fail("base_channels", "2.." + std::to_string(kMaxChannels), c.base_channels);
  if (c.base_channels % 2 != 0)
    fail("base_channels", "an even number (sin/cos halves of the time embedding)",
         c.base_channels);
  if (c.base_channels % c.groups != 0)
    fail("base_channels", "a multiple of groups = " + std::to_string(c.groups), c.base_channels);
  for (int i = 0; i < levels; ++i) {
    const std::string field = "channel_mult[" + std::to_string(i) + "]";
    const int m = c.channel_mult[i];
    if (m < 1 || m > kMaxChannels / c.base_channels)
      fail(field,
           "1.." + std::to_string(kMaxChannels / c.base_channels) + " (at most " +
               std::to_string(kMaxChannels) + " channels per level)",
           m);
    if ((c.base_channels * m) % c.groups != 0)
      fail(field, "base_channels * mult divisible by groups = " + std::to_string(c.groups), m);
  }

  // blocks, attention, classes, dropout
  if (c.num_res_blocks < 1 || c.num_res_blocks > kMaxResBlocks)
    fail("num_res_blocks", "1.." + std::to_string(kMaxResBlocks), c.num_res_blocks);
  // each entry names a level by its feature-map height (H, H/2, ...); another value would
  // silently add no attention
  std::string heights;
  for (int i = 0; i < levels; ++i) heights += (i ? ", " : "") + std::to_string(c.height >> i);
  for (size_t i = 0; i < c.attention_resolutions.size(); ++i) {
    const int r = c.attention_resolutions[i];
    bool found = false;
    for (int l = 0; l < levels; ++l) found = found || r == (c.height >> l);
    if (!found)
      fail("attention_resolutions[" + std::to_string(i) + "]",
           "a feature-map height of this model (" + heights + ")", r);
    for (size_t j = 0; j < i; ++j)
      if (c.attention_resolutions[j] == r)
        fail("attention_resolutions[" + std::to_string(i) + "]",
             "a height not listed before (it repeats entry " + std::to_string(j) + ")", r);
  }
  if (c.num_classes < 0 || c.num_classes > kMaxClasses)
    fail("num_classes", "0.." + std::to_string(kMaxClasses), c.num_classes);
  if (!(c.dropout >= 0.0 && c.dropout < 1.0))
    throw std::invalid_argument("model.dropout: expected a value in [0, 1), got " +
                                std::to_string(c.dropout));

  // total size, now that every factor is bounded
  const int64_t count = parameter_count(c);
  if (count > kMaxParameters)
    fail("(parameter count)", "at most " + std::to_string(kMaxParameters), count);
}

std::vector<ParamSpec> parameter_specs(const ModelConfig& config) {
  SpecCollector collector;
  visit(config, collector);
  return std::move(collector.specs);
}

int64_t parameter_count(const ModelConfig& config) {
  int64_t total = 0;
  for (const auto& spec : parameter_specs(config)) {
    int64_t n = 1;
    for (int64_t d : spec.shape) n *= d;
    total += n;
  }
  return total;
}

double mflop_per_image(const ModelConfig& config) {
  FlopCounter counter;
  visit(config, counter);
  return counter.flop / 1e6;
}

}  // namespace ddpm
