// The Eigen UNet engine: the forward pass of docs/model.md for a batch, with every buffer
// allocated when the engine is built. Used by the wasm module and by `ddpm sample`.
#pragma once

#include <cstddef>
#include <memory>

#include "sampler.hpp"
#include "weights.hpp"

namespace ddpm {

struct EngineOptions {
  int max_batch = 16;  // largest n that forward() accepts; sizes the workspace
  int threads = 1;     // worker threads (native builds with OpenMP; 1 elsewhere)
};

class UNetEngine {
 public:
  // Takes the weights (validated by parse_weights) and sizes the workspace for
  // options.max_batch. Throws std::invalid_argument on a bad option or inconsistent weights.
  UNetEngine(Weights weights, const EngineOptions& options);
  ~UNetEngine();
  UNetEngine(UNetEngine&&) noexcept;
  UNetEngine& operator=(UNetEngine&&) noexcept;

  // eps = UNet(x, t, labels) for n images (1 <= n <= max_batch); x and eps hold
  // n * config().image_dim() floats (N, C, H, W). labels: null, or n values in
  // 0..num_classes (num_classes is the null label); null means every label is the null label
  // on a conditional model. No allocation. Throws std::invalid_argument on bad n or labels.
  void forward(const float* x, int n, int t, const int* labels, float* eps);

  const ModelConfig& config() const;
  const ScheduleConfig& schedule() const;
  int max_batch() const;
  int threads() const;
  size_t workspace_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The engine as the core samplers' model callback. Batches larger than max_batch (as the
// 2n batch of classifier-free guidance may be) run in max_batch chunks. The callback keeps a
// reference: the engine must outlive it.
EpsModel make_eps_model(UNetEngine& engine);

}  // namespace ddpm
