// The EpsModel adapter: host floats -> device tensors -> UNet -> host floats.
#include "torch/eps_model.hpp"

#include <vector>

namespace ddpm::native {

EpsModel make_eps_model(UNet net, torch::Device device) {
  return [net, device](const float* x, int n, int t, const int* labels, float* eps) mutable {
    torch::NoGradGuard no_grad;
    net->eval();
    const auto& c = net->config();
    auto xs = torch::from_blob(const_cast<float*>(x), {n, c.in_channels, c.height, c.width},
                               torch::kFloat32)
                  .to(device);
    auto ts = torch::full({n}, int64_t(t), torch::TensorOptions().dtype(torch::kLong))
                  .to(device);
    torch::Tensor ys;
    if (labels)
      ys = torch::from_blob(const_cast<int*>(labels), {n}, torch::kInt32)
               .to(device, torch::kLong);
    auto out = net->forward(xs, ts, ys).to(torch::kCPU, torch::kFloat32).contiguous();
    std::copy(out.data_ptr<float>(), out.data_ptr<float>() + out.numel(), eps);
  };
}

}  // namespace ddpm::native
