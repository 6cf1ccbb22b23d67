// Training checkpoints: one LibTorch archive holding the weights, their EMA, the optimizer,
// the step, the data order and the RNG states, so that --resume continues exactly.
#pragma once

#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "model_config.hpp"
#include "schedule.hpp"
#include "torch/unet.hpp"

namespace ddpm::native {

// Everything but the modules and the optimizer.
struct CheckpointState {
  ModelConfig model;
  ScheduleConfig schedule;
  nlohmann::json training = nlohmann::json::object();  // options and metadata (free-form)
  int64_t step = 0;            // optimizer steps taken
  int64_t epoch = 0;           // passes over the data started
  int64_t cursor = 0;          // position in `order`
  torch::Tensor order;         // the current epoch's permutation of the images (int64)
  torch::Tensor rng_cpu;       // state of the default CPU generator
  torch::Tensor rng_cuda;      // state of the default CUDA generator, undefined on CPU runs
  double loss = 0.0;           // latest logged loss
  double train_seconds = 0.0;  // time spent in steps so far
};

// Serialises in memory, then write_file_atomic (a temporary file renamed over path): a crash
// never leaves a half-written file and an existing checkpoint survives a failed write.
void save_checkpoint(const std::string& path, const CheckpointState& state, UNet& model,
                     UNet& ema, torch::optim::Optimizer* optimizer);

// Opens a checkpoint; throws std::invalid_argument naming the file when it is missing, not a
// LibTorch archive, corrupt (torch/archive_check.hpp: zip structure and CRC-32 checked before
// LibTorch reads it), or not a ddpm checkpoint (foreign archive, other version).
class CheckpointReader {
 public:
  CheckpointReader(const std::string& path, torch::Device device);
  const CheckpointState& state() const { return state_; }
  void load_model(UNet& model);        // the trained weights
  void load_ema(UNet& ema);            // their EMA
  void load_optimizer(torch::optim::Optimizer& optimizer);

 private:
  void load_module(const char* key, UNet& net);
  std::string path_;
  torch::serialize::InputArchive archive_;
  CheckpointState state_;
};

}  // namespace ddpm::native
