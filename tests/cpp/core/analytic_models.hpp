// Noise predictors with known answers for the sampler tests: the exact eps of a Gaussian data
// distribution, and an oracle that knows the clean image.
#pragma once

#include <cmath>
#include <vector>

#include "sampler.hpp"
#include "schedule.hpp"

namespace ddpm::testing {

// Data x_0 ~ N(mu, sd^2) in every dimension. Then x_t ~ N(a mu, a^2 sd^2 + sigma^2) and the
// exact prediction is E[eps | x_t] = sigma (x_t - a mu) / (a^2 sd^2 + sigma^2), with
// a = sqrt(ab_t), sigma = sqrt(1 - ab_t). Arithmetic in double.
inline EpsModel gaussian_eps_model(const Schedule& s, int dim, double mu, double sd) {
  return [&s, dim, mu, sd](const float* x, int n, int t, const int*, float* eps) {
    const double a = s.sqrt_alpha_bar[size_t(t)], sg = s.sqrt_one_minus_alpha_bar[size_t(t)];
    const double v = a * a * sd * sd + sg * sg;
    for (int i = 0; i < n * dim; ++i) eps[i] = float(sg * (x[i] - a * mu) / v);
  };
}

// The probability-flow ODE maps N(a_t mu, v_t) to N(a_u mu, v_u) by the one increasing affine
// map: x_u = a_u mu + sqrt(v_u / v_t) (x_t - a_t mu), v = a^2 sd^2 + sigma^2.
inline double gaussian_flow(const Schedule& s, double x, int t, int u, double mu, double sd) {
  auto v = [&](int k) {
    return s.alpha_bar[size_t(k)] * sd * sd + s.one_minus_alpha_bar[size_t(k)];
  };
  return s.sqrt_alpha_bar[size_t(u)] * mu +
         std::sqrt(v(u) / v(t)) * (x - s.sqrt_alpha_bar[size_t(t)] * mu);
}

// Knows the clean images x0 (n * dim floats): eps = (x_t - sqrt(ab) x_0) / sqrt(1 - ab), so the
// x_0 predicted from it is x0 whatever x_t is.
inline EpsModel oracle_eps_model(const Schedule& s, const std::vector<float>& x0) {
  return [&s, &x0](const float* x, int n, int t, const int*, float* eps) {
    const size_t count = size_t(n) * (x0.size() / size_t(n));
    const double a = s.sqrt_alpha_bar[size_t(t)], sg = s.sqrt_one_minus_alpha_bar[size_t(t)];
    for (size_t i = 0; i < count; ++i) eps[i] = float((x[i] - a * double(x0[i])) / sg);
  };
}

}  // namespace ddpm::testing
