// `ddpm sample --engine torch`: the trainer's LibTorch UNet loaded from a weights file, for
// comparisons with the Eigen engine.
#include "cli/sample_torch.hpp"

#include "torch/eps_model.hpp"
#include "torch/unet.hpp"
#include "torch/unet_weights.hpp"

namespace ddpm::cli {

EpsModel make_torch_eps_model(const Weights& weights) {
  native::UNet net(weights.model);
  native::load_weights_into(net, weights);
  return native::make_eps_model(net, torch::kCPU);
}

}  // namespace ddpm::cli
