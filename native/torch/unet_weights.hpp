// Moving a LibTorch UNet's parameters to and from the weights file's tensors (shared/weights).
#pragma once

#include <nlohmann/json.hpp>

#include "torch/unet.hpp"
#include "weights.hpp"

namespace ddpm::native {

// Every named parameter as a float tensor on the host, with the configuration.
Weights to_weights(const UNet& net, const ScheduleConfig& schedule,
                   const nlohmann::json& training);

// Copies the tensors into `net` (whose configuration must equal weights.model); throws
// std::invalid_argument naming a missing tensor or a shape mismatch.
void load_weights_into(UNet& net, const Weights& weights);

}  // namespace ddpm::native
