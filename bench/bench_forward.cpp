// Milliseconds per UNet forward pass of the default model (docs/model.md) or of the weights
// file DDPM_BENCH_MODEL: the Eigen engine and the LibTorch UNet on the CPU, batch 1, 4, 16
// and 64, one and two threads, with the model's MFLOP per forward and GFLOP/s as counters.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "engine/unet_engine.hpp"
#include "model_config.hpp"
#include "rng.hpp"
#include "weights.hpp"

#ifdef DDPM_WITH_TORCH
#include <torch/torch.h>

#include "torch/unet.hpp"
#include "torch/unet_weights.hpp"
#endif

namespace {

// The weights file DDPM_BENCH_MODEL when set (e.g. web/models/mnist-base16.json), else the
// default model with seeded random weights (N(0, 1/fan_in), norm scales near 1).
const ddpm::Weights& bench_weights() {
  static const ddpm::Weights weights = [] {
    if (const char* path = std::getenv("DDPM_BENCH_MODEL")) return ddpm::load_weights(path);
    ddpm::Weights w;
    ddpm::NormalRng rng(1, 0);
    for (const auto& spec : ddpm::parameter_specs(w.model)) {
      int64_t n = 1;
      for (int64_t d : spec.shape) n *= d;
      const double fan_in = spec.shape.size() >= 2 ? double(n / spec.shape[0]) : 1.0;
      const bool gain = spec.name.find("norm") != std::string::npos &&
                        spec.name.compare(spec.name.size() - 7, 7, ".weight") == 0;
      ddpm::Tensor t{spec.shape, std::vector<float>(size_t(n))};
      for (auto& v : t.data) {
        const float z = rng.normal();
        v = spec.shape.size() >= 2 ? float(z / std::sqrt(fan_in)) : (gain ? 1 : 0) + 0.1f * z;
      }
      w.tensors[spec.name] = std::move(t);
    }
    return w;
  }();
  return weights;
}

// proc_cpu_ms: CPU time of the whole process (all threads) per forward, which stays
// meaningful on a loaded machine where wall time includes waiting for a core.
void set_counters(benchmark::State& state, int batch, std::clock_t cpu_start) {
  const double cpu_ms = 1e3 * double(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  state.counters["proc_cpu_ms"] = cpu_ms / double(state.iterations());
  const double mflop = ddpm::mflop_per_image(bench_weights().model) * batch;
  state.counters["MFLOP"] = mflop;
  state.counters["GFLOP/s"] =
      benchmark::Counter(mflop * 1e-3 * double(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_EigenForward(benchmark::State& state) {
  const int batch = int(state.range(0)), threads = int(state.range(1));
  ddpm::UNetEngine engine(bench_weights(), ddpm::EngineOptions{batch, threads});
  const size_t dim = size_t(engine.config().image_dim());
  std::vector<float> x(batch * dim), eps(batch * dim);
  ddpm::NormalRng(2, 0).fill(x.data(), x.size());
  std::vector<int> labels(batch, 3);
  const std::clock_t cpu_start = std::clock();
  for (auto _ : state) {
    engine.forward(x.data(), batch, 500, labels.data(), eps.data());
    benchmark::DoNotOptimize(eps.data());
  }
  set_counters(state, batch, cpu_start);
}

#ifdef DDPM_WITH_TORCH
void BM_TorchForward(benchmark::State& state) {
  const int batch = int(state.range(0)), threads = int(state.range(1));
  torch::set_num_threads(threads);
  ddpm::native::UNet net(bench_weights().model);
  ddpm::native::load_weights_into(net, bench_weights());
  net->eval();
  torch::NoGradGuard no_grad;
  const auto& c = bench_weights().model;
  torch::manual_seed(2);
  auto x = torch::randn({batch, c.in_channels, c.height, c.width});
  auto t = torch::full({batch}, int64_t(500), torch::kLong);
  auto y = torch::full({batch}, int64_t(3), torch::kLong);
  const std::clock_t cpu_start = std::clock();
  for (auto _ : state) {
    auto eps = net->forward(x, t, y);
    benchmark::DoNotOptimize(eps.data_ptr<float>());
  }
  set_counters(state, batch, cpu_start);
}
#endif

void arguments(benchmark::internal::Benchmark* b) {
  for (int batch : {1, 4, 16, 64})
    for (int threads : {1, 2}) b->Args({batch, threads});
  b->ArgNames({"batch", "threads"})->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_EigenForward)->Apply(arguments);
#ifdef DDPM_WITH_TORCH
BENCHMARK(BM_TorchForward)->Apply(arguments);
#endif

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const char* model = std::getenv("DDPM_BENCH_MODEL");
  const auto& cfg = bench_weights().model;
  benchmark::AddCustomContext("model", model ? model : "default configuration, random weights");
  benchmark::AddCustomContext("model_base_channels", std::to_string(cfg.base_channels));
  benchmark::AddCustomContext("model_mflop_per_image",
                              std::to_string(ddpm::mflop_per_image(cfg)));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
