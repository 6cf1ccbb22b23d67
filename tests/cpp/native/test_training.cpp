// The LibTorch side end to end on a small real subset of the MNIST digits: the UNet's names,
// the loss falling, stop-and-resume equal to an uninterrupted run, and export round trips.
#include "native_test_util.hpp"  // first: LibTorch, then Catch (see there)

#include <cmath>

#include "torch/checkpoint.hpp"
#include "torch/trainer.hpp"
#include "torch/unet.hpp"
#include "torch/unet_weights.hpp"
#include "weights.hpp"

using namespace ddpm;
using namespace ddpm::native;
using ddpm::testing::scratch_dir;

namespace {

// A small network and a short CPU run: 512 digits, 8 channels at 28x28 and 16 at 14x14.
TrainOptions small_run(const std::string& out, int64_t steps) {
  TrainOptions o;
  o.data_dir = ddpm::testing::mnist_dir();
  o.out_dir = out;
  o.device = "cpu";
  o.threads = 1;  // one thread: deterministic and fast on a shared machine
  o.max_images = 512;
  o.model.base_channels = 8;
  o.model.channel_mult = {1, 2};
  o.model.attention_resolutions = {14};
  o.model.groups = 4;
  o.model.num_classes = 10;
  o.schedule.timesteps = 200;
  o.steps = steps;
  o.batch = 32;
  o.lr = 3e-3;
  o.warmup = 10;
  o.log_every = 10;
  o.checkpoint_every = 0;
  o.sample_every = 0;
  o.seed = 7;
  o.quiet = true;
  return o;
}

float max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<float>();
}

}  // namespace

TEST_CASE("the LibTorch UNet has exactly the parameters of docs/model.md", "[unet]") {
  ModelConfig c;
  c.channel_mult = {1, 2, 2, 2};
  c.height = c.width = 32;
  c.num_res_blocks = 2;
  c.attention_resolutions = {16, 8};
  for (int classes : {0, 10}) {
    c.num_classes = classes;
    UNet net(c);
    auto params = net->named_parameters();
    auto specs = parameter_specs(c);
    CHECK(params.size() == specs.size());
    int64_t count = 0;
    for (const auto& s : specs) {
      INFO(s.name);
      auto* p = params.find(s.name);
      REQUIRE(p != nullptr);
      CHECK(p->sizes().vec() == s.shape);
      count += p->numel();
    }
    CHECK(count == parameter_count(c));
    auto eps = net->forward(torch::randn({3, 1, 32, 32}), torch::tensor({1, 10, 999}));
    CHECK((eps.sizes().vec() == std::vector<int64_t>{3, 1, 32, 32}));
  }
}

TEST_CASE("training on real digits lowers the loss at least 3x in 80 CPU steps", "[train]") {
  // The output layers start at zero, so the first interval's loss is E[eps^2] ~= 1.
  auto result = train(small_run(scratch_dir("train_smoke"), 80));
  REQUIRE(result.loss_curve.size() == 8);
  const double first = result.loss_curve.front().second, last = result.loss_curve.back().second;
  INFO("loss of steps 1-10: " << first << ", steps 71-80: " << last);
  CHECK(first > 0.8);
  CHECK(last < first / 3);
  CHECK(std::isfinite(last));
}

TEST_CASE("a stopped and resumed run ends with the weights of an uninterrupted one",
          "[train][resume]") {
  const auto dir = scratch_dir("train_resume");
  auto whole = small_run(dir + "/whole", 24);
  train(whole);

  auto part = small_run(dir + "/part", 24);
  part.stop_at = 11;  // mid-epoch (16 batches per epoch) and mid-log-interval
  auto stopped = train(part);
  CHECK(stopped.interrupted);
  CHECK(stopped.step == 11);
  part.stop_at = 0;
  part.resume = dir + "/part/checkpoint.ckpt";
  auto resumed = train(part);
  CHECK(resumed.step == 24);

  // weights, EMA and optimizer state all continue: compare weights and EMA
  CheckpointReader a(dir + "/whole/checkpoint.ckpt", torch::kCPU);
  CheckpointReader b(dir + "/part/checkpoint.ckpt", torch::kCPU);
  CHECK(a.state().step == b.state().step);
  UNet wa(a.state().model), wb(b.state().model), ea(a.state().model), eb(b.state().model);
  a.load_model(wa);
  b.load_model(wb);
  a.load_ema(ea);
  b.load_ema(eb);
  auto pb = wb->named_parameters(), qb = eb->named_parameters();
  for (const auto& p : wa->named_parameters()) {
    INFO(p.key());
    CHECK(max_abs_diff(p.value(), pb[p.key()]) <= 1e-6f);
  }
  for (const auto& p : ea->named_parameters()) {
    INFO(p.key());
    CHECK(max_abs_diff(p.value(), qb[p.key()]) <= 1e-6f);
  }
}

TEST_CASE("export then import gives back the weights: exact in f32, f16-rounded in f16",
          "[export]") {
  const auto dir = scratch_dir("export_roundtrip");
  ModelConfig c;
  c.base_channels = 16;
  torch::manual_seed(3);
  UNet net(c);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : net->parameters()) p.normal_(0.0, 0.5);  // no zero-initialised layers
  }
  ScheduleConfig s;
  s.kind = ScheduleKind::cosine;
  s.timesteps = 500;
  save_weights(to_weights(net, s, {{"dataset", "test"}}), dir + "/f32.json", DType::f32);
  save_weights(to_weights(net, s, {{"dataset", "test"}}), dir + "/f16.json", DType::f16);

  // f32: every value bit for bit, and the same forward pass
  auto w32 = load_weights(dir + "/f32.json");
  CHECK(w32.schedule.kind == ScheduleKind::cosine);
  CHECK(w32.schedule.timesteps == 500);
  CHECK(w32.training["dataset"] == "test");
  UNet back(w32.model);
  load_weights_into(back, w32);
  auto orig = net->named_parameters();
  for (const auto& p : back->named_parameters()) {
    INFO(p.key());
    CHECK(torch::equal(p.value(), orig[p.key()]));
  }
  net->eval();
  back->eval();
  auto x = torch::randn({2, 1, 28, 28});
  auto t = torch::tensor({5, 400});
  auto y = torch::tensor({1, 10});
  CHECK(torch::equal(net->forward(x, t, y), back->forward(x, t, y)));

  // f16: each value within half a unit in the last place of binary16 (relative 2^-11 for
  // normal numbers, absolute 2^-25 below 2^-14)
  auto w16 = load_weights(dir + "/f16.json");
  for (const auto& [name, tensor] : w16.tensors) {
    INFO(name);
    auto ref = orig[name].contiguous();
    const float* a = ref.data_ptr<float>();
    int bad = 0;
    for (size_t i = 0; i < tensor.data.size(); ++i) {
      const double tol = std::max(std::abs(double(a[i])) * std::ldexp(1.0, -11),
                                  std::ldexp(1.0, -25));
      if (std::abs(double(tensor.data[i]) - a[i]) > tol) ++bad;
    }
    CHECK(bad == 0);
  }
}
