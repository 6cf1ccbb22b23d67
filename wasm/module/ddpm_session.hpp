// One sampling session of the browser module: a loaded model (Eigen UNet engine) and a sampler
// that the page advances one denoising step per call, reading x_t and x0-hat in place.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "labels.hpp"
#include "sampler.hpp"
#include "schedule.hpp"
#include "weights.hpp"

namespace ddpm {

class UNetEngine;

// What the page chooses for one run (one worker's share of the grid).
struct SessionConfig {
  SamplerOptions sampler;  // kind, steps, eta, guidance, seed, first_sample, ...
  int batch = 1;           // samples in this session (1..kMaxSessionBatch)
  LabelChoice label;       // none, one class, each class in turn or random (labels.hpp)
};

constexpr int kMaxSessionBatch = 64;
// The engine's batch: larger model calls (64 samples, or 2n with guidance) run in chunks of
// this size, so the workspace stays the same whatever the page asks for.
constexpr int kEngineBatch = 16;

class DdpmSession {
 public:
  // Parses and validates the weights JSON; throws std::runtime_error naming the field.
  explicit DdpmSession(const std::string& weights_json);
  ~DdpmSession();

  // Starts a new run: draws x_T from each sample's stream. Throws std::invalid_argument
  // naming the option when it is out of range for this model.
  void configure(const SessionConfig& config);

  bool configured() const { return sampler_ != nullptr; }
  bool done() const;
  int step_index() const;
  int num_steps() const;
  int next_t() const;                         // timestep the next step starts from (0 when done)
  const std::vector<int>& timesteps() const;  // the run's list, largest first
  void step();  // one denoising step (one batched network call, two with guidance)

  const float* x() const;   // current x_t, batch * dim floats (N, C, H, W)
  const float* x0() const;  // latest x0 prediction
  int batch() const;
  int dim() const { return model_.image_dim(); }

  const ModelConfig& model() const { return model_; }
  const Schedule& schedule() const { return schedule_; }
  std::string info_json() const;  // model, schedule, training metadata, size and cost

 private:
  explicit DdpmSession(Weights&& weights);

  ModelConfig model_;
  ScheduleConfig schedule_config_;
  nlohmann::json training_;
  Schedule schedule_;
  std::unique_ptr<UNetEngine> engine_;  // holds the tensors (moved in, not copied)
  EpsModel eps_model_;
  std::unique_ptr<Sampler> sampler_;
};

}  // namespace ddpm
