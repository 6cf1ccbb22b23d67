// A LibTorch UNet as the core samplers' noise-prediction callback (ddpm::EpsModel).
#pragma once

#include "sampler.hpp"
#include "torch/unet.hpp"

namespace ddpm::native {

// Runs `net` in eval mode without autograd on `device`; host buffers in and out. The
// callback keeps a reference to the module (its weights may change between calls).
EpsModel make_eps_model(UNet net, torch::Device device);

}  // namespace ddpm::native
