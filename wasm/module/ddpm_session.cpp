// One sampling session of the browser module: a loaded model (Eigen UNet engine) and a sampler
// that the page advances one denoising step per call.
#include "ddpm_session.hpp"

#include <stdexcept>

#include "engine/unet_engine.hpp"

namespace ddpm {

DdpmSession::DdpmSession(const std::string& weights_json)
    : weights_(parse_weights(weights_json)), schedule_(weights_.schedule) {}

DdpmSession::~DdpmSession() = default;

void DdpmSession::configure(const SessionConfig& config) {
  // check everything before the current run is dropped
  if (config.batch < 1 || config.batch > kMaxSessionBatch) {
    throw std::invalid_argument("batch: expected 1.." + std::to_string(kMaxSessionBatch));
  }
  const int K = weights_.model.num_classes;
  if (config.label < -1 || config.label >= K) {
    throw std::invalid_argument("label: expected -1 (none) or 0.." + std::to_string(K - 1));
  }
  SamplerOptions options = config.sampler;
  options.null_label = K > 0 ? K : -1;
  validate(options, schedule_.T);

  // guidance evaluates the conditional and the unconditional prediction in one batch
  const bool guided = config.label >= 0 && options.guidance != 1.0;
  const int need = guided ? 2 * config.batch : config.batch;
  if (!engine_ || engine_batch_ < need) {
    sampler_.reset();
    engine_.reset();
    engine_ = std::make_unique<UNetEngine>(weights_, need);
    engine_batch_ = need;
  }

  std::vector<int> labels;
  if (config.label >= 0) labels.assign(config.batch, config.label);
  sampler_ = std::make_unique<Sampler>(schedule_, options, config.batch, dim(), labels);
}

bool DdpmSession::done() const { return !sampler_ || sampler_->done(); }
int DdpmSession::step_index() const { return sampler_ ? sampler_->step_index() : 0; }
int DdpmSession::num_steps() const { return sampler_ ? sampler_->num_steps() : 0; }
int DdpmSession::batch() const { return sampler_ ? sampler_->n() : 0; }
const float* DdpmSession::x() const { return sampler_ ? sampler_->x() : nullptr; }
const float* DdpmSession::x0() const { return sampler_ ? sampler_->x0() : nullptr; }

int DdpmSession::next_t() const {
  if (done()) return 0;
  return sampler_->timesteps()[static_cast<size_t>(sampler_->step_index())];
}

void DdpmSession::step() {
  if (!sampler_) throw std::logic_error("step: no run configured");
  if (sampler_->done()) throw std::logic_error("step: the run is finished");
  UNetEngine& engine = *engine_;
  sampler_->step([&engine](const float* x, int n, int t, const int* labels, float* eps) {
    engine.forward(x, n, t, labels, eps);
  });
}

std::string DdpmSession::info_json() const {
  nlohmann::json j;
  j["model"] = to_json(weights_.model);
  j["schedule"] = to_json(weights_.schedule);
  j["training"] = weights_.training;
  j["parameters"] = parameter_count(weights_.model);
  j["mflop_per_image"] = mflop_per_image(weights_.model);
  return j.dump();
}

}  // namespace ddpm
