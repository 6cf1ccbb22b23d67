// Reverse-process samplers over any noise-prediction network: DDPM ancestral (Ho et al. 2020),
// DDIM (Song et al. 2021) and DPM-Solver++(2M) (Lu et al. 2022), with x0 clipping and
// classifier-free guidance (Ho & Salimans 2021). One loop (Sampler::step) serves them all.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "rng.hpp"
#include "schedule.hpp"
#include "timesteps.hpp"

namespace ddpm {

// The network: predicts eps for a batch of n images at one timestep t (1..T).
// x and eps hold n * dim floats (N, C, H, W); labels is null (unconditional call) or n labels,
// where the value `null_label` asks for the unconditional prediction.
using EpsModel = std::function<void(const float* x, int n, int t, const int* labels, float* eps)>;

enum class SamplerKind { ddpm, ddim, dpmpp_2m };
enum class DdpmVariance { beta, beta_tilde };  // sigma_t^2 of the ancestral step

SamplerKind parse_sampler_kind(const std::string& name);  // "ddpm", "ddim", "dpm++2m"
const char* to_string(SamplerKind kind);

struct SamplerOptions {
  SamplerKind kind = SamplerKind::ddim;
  int steps = 50;  // 1..T
  Spacing spacing = Spacing::leading;
  double eta = 0.0;  // DDIM only, in [0, 1]
  DdpmVariance variance = DdpmVariance::beta;
  bool clip_x0 = false;   // clip x0-hat to [-1, 1]
  double guidance = 1.0;  // s in eps_u + s (eps_c - eps_u); needs labels
  int null_label = -1;    // the model's null class (num_classes); -1 = none
  uint64_t seed = 0;
  int first_sample = 0;  // global index of sample 0 of this batch (its stream)
};

// Throws std::invalid_argument naming the option (and its CLI flag) when it is out of range
// for schedule T: steps in 1..T, eta in [0, 1], guidance finite and >= 0, first_sample >= 0.
void validate(const SamplerOptions& options, int T);

// What the per-step callback sees. Returning false cancels the run.
struct StepInfo {
  int step;  // 0-based index of the step just taken
  int num_steps;
  int t;            // timestep the step started from
  int t_next;       // timestep it landed on (0 after the last step)
  const float* x;   // x_{t_next}, n * dim floats
  const float* x0;  // the x0 prediction made at t
};
using StepCallback = std::function<bool(const StepInfo&)>;

// DPM-Solver++(2M) takes the first step at first order and the last one (into t = 0, where
// lambda = +inf) as x0-hat, its first-order limit. With few steps, prefer trailing spacing
// for it: leading and linspace lists end at t = 1, so their second-to-last step is one long
// step in lambda whose 2M extrapolation overshoots (tests/cpp/core/test_sampler_convergence).
//
// Sample i of a batch (global index first_sample + i) draws x_T and then its step noise from
// NormalRng(seed, first_sample + i), so it equals the same sample generated alone.
// Guidance (labels given and guidance != 1) calls the model once with 2n images: the n
// conditional ones first, then the same n images with null_label. Otherwise one n-image call
// (labels null when there are none). The Sampler copies the tables it needs: the Schedule may
// go away. step() allocates nothing. Copies of a Sampler share one state.
class Sampler {
 public:
  // labels: empty (unconditional) or one per sample. Draws x_T from each sample's stream.
  // Throws std::invalid_argument on bad options, n < 1, dim < 1, a label count other than n,
  // or guidance != 1 without labels or without a null_label.
  Sampler(const Schedule& schedule, const SamplerOptions& options, int n, int dim,
          std::vector<int> labels = {});

  bool done() const;
  int step_index() const;  // steps taken so far
  int num_steps() const;
  const std::vector<int>& timesteps() const;  // decreasing, excludes the final t = 0
  int t() const;                              // timestep the next step starts from; 0 when done
  // One denoising step (one batched network call) from t() to the next timestep, the last one
  // landing on t = 0. Throws std::logic_error when done.
  void step(const EpsModel& model);

  const float* x() const;   // current x_t
  const float* x0() const;  // latest x0 prediction (x_T before the first step)
  int n() const;
  int dim() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Runs a Sampler to the end; returns x_0 (n * dim floats). Stops early and returns the
// current x when the callback returns false.
std::vector<float> sample(const Schedule& schedule, const SamplerOptions& options,
                          const EpsModel& model, int n, int dim,
                          const std::vector<int>& labels = {},
                          const StepCallback& on_step = nullptr);

}  // namespace ddpm
