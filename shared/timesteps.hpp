// The timestep lists samplers walk, from the first (largest) t down to the last one
// before t = 0. Timesteps are 1-based: t = T is pure noise, t = 0 is clean data.
#pragma once

#include <string>
#include <vector>

namespace ddpm {

enum class Spacing { leading, trailing, linspace };

Spacing parse_spacing(const std::string& name);  // throws std::invalid_argument
const char* to_string(Spacing spacing);

// Decreasing list of `steps` distinct timesteps in 1..T (diffusers' DDIMScheduler lists,
// shifted by one to our 1-based t). Throws std::invalid_argument unless 1 <= steps <= T.
std::vector<int> make_timesteps(int T, int steps, Spacing spacing);

}  // namespace ddpm
