// Parity of the Eigen engine with the LibTorch UNet (the trainer's model): same weights, same
// inputs, eps within 1e-4, for random weights of several configurations and a trained model.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <torch/torch.h>
// LibTorch defines a glog-style CHECK; Catch's must win.
#undef CHECK
#include <catch2/catch.hpp>

#include "engine/unet_engine.hpp"
#include "torch/unet.hpp"
#include "torch/unet_weights.hpp"
#include "weights.hpp"

namespace {

using ddpm::ModelConfig;

// Every parameter random, including the ones the trainer zero-initialises (conv2, proj,
// conv_out), scaled like a trained network: weights ~ N(0, 1/fan_in), norm scales near 1.
void randomize(ddpm::native::UNet& net, uint64_t seed) {
  torch::manual_seed(seed);
  torch::NoGradGuard no_grad;
  for (auto& item : net->named_parameters()) {
    auto& p = item.value();
    const std::string& name = item.key();
    const bool norm = name.find("norm") != std::string::npos;
    if (p.dim() >= 2) {
      const double fan_in = double(p.numel() / p.size(0));
      p.normal_(0.0,
                name.find("class_embed") != std::string::npos ? 1.0 : 1.0 / std::sqrt(fan_in));
    } else if (norm && name.size() > 7 && name.substr(name.size() - 7) == ".weight") {
      p.normal_(1.0, 0.1);
    } else {
      p.normal_(0.0, 0.1);
    }
  }
}

struct Case {
  int n;
  int t;
  bool labels;
};

// Runs both implementations on the same random input; returns max |eps_torch - eps_eigen| and
// checks that eps is not trivially small.
double max_diff(ddpm::native::UNet& net, ddpm::UNetEngine& engine, const Case& c, uint64_t seed,
                double* eps_scale = nullptr) {
  const ModelConfig& cfg = engine.config();
  torch::manual_seed(seed);
  auto x = torch::randn({c.n, cfg.in_channels, cfg.height, cfg.width});
  auto t = torch::full({c.n}, int64_t(c.t), torch::kLong);
  torch::Tensor y;
  std::vector<int> labels;
  if (c.labels) {
    // every class and the null label K appear
    y = torch::arange(c.n, torch::kLong).remainder(cfg.num_classes + 1);
    for (int i = 0; i < c.n; ++i) labels.push_back(int(y[i].item<int64_t>()));
  }
  torch::Tensor expected;
  {
    torch::NoGradGuard no_grad;
    net->eval();
    expected = net->forward(x, t, y).contiguous();
  }
  std::vector<float> eps(size_t(c.n) * cfg.image_dim());
  engine.forward(x.data_ptr<float>(), c.n, c.t, c.labels ? labels.data() : nullptr, eps.data());
  const float* ref = expected.data_ptr<float>();
  double diff = 0.0, scale = 0.0;
  for (size_t i = 0; i < eps.size(); ++i) {
    diff = std::max(diff, double(std::fabs(ref[i] - eps[i])));
    scale = std::max(scale, double(std::fabs(ref[i])));
  }
  if (eps_scale) *eps_scale = scale;
  return diff;
}

void check_parity(const ModelConfig& cfg, uint64_t seed, int threads) {
  ddpm::native::UNet net(cfg);
  randomize(net, seed);
  ddpm::UNetEngine engine(ddpm::native::to_weights(net, ddpm::ScheduleConfig{}, {}),
                          ddpm::EngineOptions{16, threads});
  const bool conditional = cfg.num_classes > 0;
  for (Case c : {Case{1, 1, false}, Case{1, 500, conditional}, Case{16, 999, false},
                 Case{16, 250, conditional}, Case{3, 1000, conditional}}) {
    double scale = 0.0;
    const double diff = max_diff(net, engine, c, seed + c.t, &scale);
    INFO("n " << c.n << ", t " << c.t << ", labels " << c.labels << ", max |eps| " << scale);
    CHECK(scale > 0.1);
    CHECK(diff <= 1e-4);
  }
}

}  // namespace

TEST_CASE("the Eigen engine matches the LibTorch UNet: default model, random weights",
          "[parity]") {
  check_parity(ModelConfig{}, 1, 1);
}

TEST_CASE("the Eigen engine matches the LibTorch UNet on two threads", "[parity]") {
  check_parity(ModelConfig{}, 2, 2);
}

TEST_CASE(
    "the Eigen engine matches the LibTorch UNet: unconditional RGB, 2 blocks, 3 levels "
    "with attention in the down and up paths",
    "[parity]") {
  ModelConfig cfg;
  cfg.in_channels = 3;
  cfg.height = 16, cfg.width = 12;
  cfg.base_channels = 16;
  cfg.channel_mult = {1, 2, 3};
  cfg.num_res_blocks = 2;
  cfg.attention_resolutions = {8, 4};
  cfg.groups = 4;
  cfg.num_classes = 0;
  check_parity(cfg, 3, 1);
}

TEST_CASE("the engine as an EpsModel splits batches larger than max_batch", "[parity]") {
  ModelConfig cfg;
  cfg.height = cfg.width = 8;
  cfg.base_channels = 8;
  cfg.channel_mult = {1, 2};
  cfg.attention_resolutions = {4};
  cfg.groups = 4;
  cfg.num_classes = 3;
  ddpm::native::UNet net(cfg);
  randomize(net, 4);
  ddpm::UNetEngine engine(ddpm::native::to_weights(net, ddpm::ScheduleConfig{}, {}),
                          ddpm::EngineOptions{4, 1});
  const int n = 10, dim = cfg.image_dim();
  torch::manual_seed(5);
  auto x = torch::randn({n, 1, 8, 8});
  std::vector<int> labels{0, 1, 2, 3, 0, 1, 2, 3, 3, 3};
  std::vector<float> eps(size_t(n) * dim);
  ddpm::make_eps_model(engine)(x.data_ptr<float>(), n, 77, labels.data(), eps.data());
  torch::NoGradGuard no_grad;
  net->eval();
  auto ref = net->forward(x, torch::full({n}, int64_t(77), torch::kLong),
                          torch::tensor(std::vector<int64_t>(labels.begin(), labels.end())));
  double diff = 0.0;
  for (int i = 0; i < n * dim; ++i)
    diff = std::max(diff, double(std::fabs(ref.data_ptr<float>()[i] - eps[i])));
  CHECK(diff <= 1e-4);

  // bad batch sizes and labels are refused, naming the problem
  CHECK_THROWS_WITH(engine.forward(eps.data(), 5, 1, nullptr, eps.data()),
                    Catch::Contains("batch of 5"));
  int bad = 4;
  CHECK_THROWS_WITH(engine.forward(x.data_ptr<float>(), 1, 1, &bad, eps.data()),
                    Catch::Contains("labels[0] = 4"));
}

TEST_CASE("the Eigen engine matches the LibTorch UNet on the trained MNIST model",
          "[parity][trained]") {
  const std::string path = std::string(DDPM_SOURCE_DIR) + "/web/models/mnist-base12.json";
  if (!std::ifstream(path).good()) {
    WARN("no trained model at web/models/mnist-base12.json; the trained-model parity is skipped");
    return;
  }
  ddpm::Weights weights = ddpm::load_weights(path);
  ddpm::native::UNet net(weights.model);
  ddpm::native::load_weights_into(net, weights);
  ddpm::UNetEngine engine(weights, ddpm::EngineOptions{16, 1});
  const bool conditional = weights.model.num_classes > 0;
  for (Case c : {Case{1, 1, conditional}, Case{1, 400, false}, Case{16, 999, conditional},
                 Case{16, 100, false}}) {
    INFO("n " << c.n << ", t " << c.t << ", labels " << c.labels);
    CHECK(max_diff(net, engine, c, 10 + c.t) <= 1e-4);
  }
}
