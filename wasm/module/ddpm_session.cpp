// One sampling session of the browser module: a loaded model (Eigen UNet engine) and a sampler
// that the page advances one denoising step per call.
#include "ddpm_session.hpp"

#include <stdexcept>

#include "engine/unet_engine.hpp"

namespace ddpm {

namespace {

// The engine over the file's tensors, moved in.
std::unique_ptr<UNetEngine> build_engine(Weights weights) {
  EngineOptions options;
  options.max_batch = kEngineBatch;
  options.threads = 1;  // one worker per core instead (no pthreads in the module)
  return std::make_unique<UNetEngine>(std::move(weights), options);
}

}  // namespace

DdpmSession::DdpmSession(const std::string& weights_json)
    : DdpmSession(parse_weights(weights_json)) {}

DdpmSession::DdpmSession(Weights&& weights)
    : model_(weights.model),
      schedule_config_(weights.schedule),
      training_(weights.training),
      schedule_(weights.schedule),
      engine_(build_engine(std::move(weights))),
      eps_model_(make_eps_model(*engine_)) {}

DdpmSession::~DdpmSession() = default;

void DdpmSession::configure(const SessionConfig& config) {
  // check everything before the current run is dropped
  if (config.batch < 1 || config.batch > kMaxSessionBatch) {
    throw std::invalid_argument("batch: expected 1.." + std::to_string(kMaxSessionBatch));
  }
  const int K = model_.num_classes;
  const LabelChoice& label = config.label;
  if (label.mode != LabelMode::none && K == 0) {
    throw std::invalid_argument("label: the model is unconditional; expected none (-1)");
  }
  if (label.mode == LabelMode::fixed && (label.label < 0 || label.label >= K)) {
    throw std::invalid_argument("label: expected -1 (none) or 0.." + std::to_string(K - 1));
  }
  SamplerOptions options = config.sampler;
  options.null_label = K > 0 ? K : -1;
  validate(options, schedule_.T);

  const std::vector<int> labels =
      make_labels(label, K, options.seed, options.first_sample, config.batch);
  sampler_.reset();
  sampler_ = std::make_unique<Sampler>(schedule_, options, config.batch, dim(), labels);
}

bool DdpmSession::done() const {
  return !sampler_ || sampler_->done();
}
int DdpmSession::step_index() const {
  return sampler_ ? sampler_->step_index() : 0;
}
int DdpmSession::num_steps() const {
  return sampler_ ? sampler_->num_steps() : 0;
}
int DdpmSession::batch() const {
  return sampler_ ? sampler_->n() : 0;
}
const float* DdpmSession::x() const {
  return sampler_ ? sampler_->x() : nullptr;
}
const float* DdpmSession::x0() const {
  return sampler_ ? sampler_->x0() : nullptr;
}

const std::vector<int>& DdpmSession::timesteps() const {
  if (!sampler_) throw std::logic_error("timesteps: no run configured");
  return sampler_->timesteps();
}

int DdpmSession::next_t() const {
  if (done()) return 0;
  return sampler_->timesteps()[static_cast<size_t>(sampler_->step_index())];
}

void DdpmSession::step() {
  if (!sampler_) throw std::logic_error("step: no run configured");
  if (sampler_->done()) throw std::logic_error("step: the run is finished");
  sampler_->step(eps_model_);
}

std::string DdpmSession::info_json() const {
  nlohmann::json j;
  j["model"] = to_json(model_);
  j["schedule"] = to_json(schedule_config_);
  j["training"] = training_;
  j["parameters"] = parameter_count(model_);
  j["mflop_per_image"] = mflop_per_image(model_);
  j["engine_batch"] = kEngineBatch;
  j["workspace_bytes"] = engine_->workspace_bytes();
  return j.dump();
}

}  // namespace ddpm
