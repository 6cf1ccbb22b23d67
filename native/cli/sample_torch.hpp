// The LibTorch model for `ddpm sample --engine torch` (defined in cli/torch/sample_torch.cpp,
// built only with DDPM_WITH_TORCH).
#pragma once

#include "sampler.hpp"
#include "weights.hpp"

namespace ddpm::cli {

// The trainer's UNet with the file's weights, on the CPU, as a sampler callback.
EpsModel make_torch_eps_model(const Weights& weights);

}  // namespace ddpm::cli
