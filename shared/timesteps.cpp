// The timestep lists of diffusers' DDIMScheduler (leading, trailing, linspace spacing),
// reproduced with numpy's arithmetic and rounding and shifted to 1-based t.
#include "timesteps.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace ddpm {

Spacing parse_spacing(const std::string& name) {
  if (name == "leading") return Spacing::leading;
  if (name == "trailing") return Spacing::trailing;
  if (name == "linspace") return Spacing::linspace;
  throw std::invalid_argument("unknown spacing '" + name +
                              "', expected leading, trailing or linspace");
}

const char* to_string(Spacing spacing) {
  switch (spacing) {
    case Spacing::leading:
      return "leading";
    case Spacing::trailing:
      return "trailing";
    case Spacing::linspace:
      return "linspace";
  }
  return "?";
}

std::vector<int> make_timesteps(int T, int steps, Spacing spacing) {
  if (T < 1) throw std::invalid_argument("timesteps (--timesteps) must be >= 1");
  if (steps < 1 || steps > T)
    throw std::invalid_argument("steps (--steps) must be in 1.." + std::to_string(T) +
                                " (the schedule's T), got " + std::to_string(steps));
  std::vector<int> out(size_t(steps), 0);

  // numpy.round rounds half to even; std::nearbyint does the same in the default FP mode.
  switch (spacing) {
    case Spacing::leading: {
      // (arange(N) * (T // N))[::-1] + 1
      const int ratio = T / steps;
      for (int i = 0; i < steps; ++i) out[size_t(i)] = (steps - 1 - i) * ratio + 1;
      break;
    }
    case Spacing::trailing: {
      // round(arange(T, 0, -T / N)) - 1, + 1; numpy's arange fills start + i * delta with
      // delta = (start + step) - start.
      const double start = T, step = -double(T) / steps;
      const double delta = (start + step) - start;
      for (int i = 0; i < steps; ++i) {
        const double v = i == 1 ? start + step : start + i * delta;
        out[size_t(i)] = int(std::nearbyint(v));
      }
      break;
    }
    case Spacing::linspace: {
      // round(linspace(0, T - 1, N))[::-1] + 1; linspace gives i * ((T - 1) / (N - 1)) and
      // puts the endpoint exactly.
      for (int i = 0; i < steps; ++i) {
        double v = 0.0;
        if (steps > 1) v = i == steps - 1 ? double(T - 1) : i * (double(T - 1) / (steps - 1));
        out[size_t(steps - 1 - i)] = int(std::nearbyint(v)) + 1;
      }
      break;
    }
  }
  return out;
}

}  // namespace ddpm
