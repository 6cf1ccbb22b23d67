// LibTorch UNet <-> weights-file tensors: by name, as float32 on the host.
#include "torch/unet_weights.hpp"

#include <stdexcept>

namespace ddpm::native {

Weights to_weights(const UNet& net, const ScheduleConfig& schedule,
                   const nlohmann::json& training) {
  Weights w;
  w.model = net->config();
  w.schedule = schedule;
  w.training = training;
  for (const auto& item : net->named_parameters()) {
    auto value = item.value().detach().to(torch::kCPU, torch::kFloat32).contiguous();
    Tensor t;
    t.shape = value.sizes().vec();
    t.data.assign(value.data_ptr<float>(), value.data_ptr<float>() + value.numel());
    w.tensors.emplace(item.key(), std::move(t));
  }
  return w;
}

void load_weights_into(UNet& net, const Weights& weights) {
  torch::NoGradGuard no_grad;
  for (auto& item : net->named_parameters()) {
    auto found = weights.tensors.find(item.key());
    if (found == weights.tensors.end())
      throw std::invalid_argument("weights: tensor " + item.key() + " missing");
    const Tensor& t = found->second;
    if (t.shape != item.value().sizes().vec())
      throw std::invalid_argument("weights: tensor " + item.key() + " has the wrong shape");
    auto host = torch::from_blob(const_cast<float*>(t.data.data()), t.shape, torch::kFloat32);
    item.value().copy_(host);
  }
}

}  // namespace ddpm::native
