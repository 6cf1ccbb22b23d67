// The engine as the samplers' model callback (ddpm::EpsModel), splitting large batches.
#include <algorithm>

#include "engine/unet_engine.hpp"

namespace ddpm {

EpsModel make_eps_model(UNetEngine& engine) {
  return [&engine](const float* x, int n, int t, const int* labels, float* eps) {
    const long dim = engine.config().image_dim();
    for (int start = 0; start < n; start += engine.max_batch()) {
      const int count = std::min(engine.max_batch(), n - start);
      engine.forward(x + start * dim, count, t, labels ? labels + start : nullptr,
                     eps + start * dim);
    }
  };
}

}  // namespace ddpm
