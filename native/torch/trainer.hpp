// The DDPM training loop (Ho et al. 2020, Algorithm 1) on LibTorch: data on the device,
// AdamW with warm-up, gradient clipping, EMA, class dropout, checkpoints, sample grids.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model_config.hpp"
#include "schedule.hpp"
#include "weights.hpp"

namespace ddpm::native {

struct TrainOptions {
  ModelConfig model;            // height, width, in_channels come from the data
  ScheduleConfig schedule;
  std::string data_dir;         // folder of IDX files (train-images-idx3-ubyte[.gz], ...)
  std::string dataset_name;     // metadata; "" = the folder's name
  int64_t max_images = 0;       // use only the first N training images (0 = all)
  std::string out_dir;          // checkpoint.ckpt, train.log, samples-*.png, model.json
  std::string resume;           // checkpoint to continue from ("" = start fresh)
  std::string device = "auto";  // auto | cpu | cuda
  bool bf16 = true;             // bf16 autocast on CUDA (when LibTorch has it)
  int threads = 0;              // CPU threads for LibTorch (0 = its default)

  // the recipe of the page's default model (web/models/mnist-base12.md)
  int64_t steps = 6000;         // total optimizer steps (the run ends at this step)
  int batch = 64;
  double lr = 1e-3;             // peak learning rate
  int64_t warmup = 200;         // linear warm-up steps, then cosine decay to lr / 10
  double weight_decay = 0.01;
  double grad_clip = 1.0;       // max global L2 norm of the gradients (0 = off)
  double ema_decay = 0.999;
  double class_dropout = 0.1;   // probability of the null label (classifier-free guidance)
  uint64_t seed = 0;

  int64_t log_every = 50;
  int64_t checkpoint_every = 1000;  // 0 = only at the end and on a stop
  int64_t sample_every = 1000;      // 0 = never
  int sample_steps = 0;             // DDIM steps of the sample grid, 1..T (0 = min(50, T))
  int grid_columns = 8;
  DType export_dtype = DType::f32;  // of out/model.json at the end
  int64_t stop_at = 0;              // stop (checkpoint, return) at this step, as on SIGINT
  bool quiet = false;               // no progress line on stderr
};

struct TrainResult {
  int64_t step = 0;
  bool interrupted = false;       // stopped by a signal or stop_at before `steps`
  double loss = 0.0;              // mean loss over the last log interval
  double images_per_second = 0.0; // excluding the first steps of this run
  std::vector<std::pair<int64_t, double>> loss_curve;  // (step, mean loss of the interval)
  std::string checkpoint, weights;  // files written
  std::string device;
};

// Throws std::invalid_argument for bad options or data (exit 2), std::runtime_error for
// failures while running (exit 1).
TrainResult train(const TrainOptions& options);

// SIGINT / SIGTERM set a flag; the loop finishes its step, saves and returns interrupted.
void install_stop_handlers();

// Resolves "auto" | "cpu" | "cuda"; "cuda" without CUDA throws std::invalid_argument.
std::string resolve_device(const std::string& device);

}  // namespace ddpm::native
