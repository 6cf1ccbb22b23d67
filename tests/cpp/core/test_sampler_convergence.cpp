// DPM-Solver++(2M) and DDIM on Gaussian data, whose probability-flow ODE has a closed-form
// solution: both converge to it as the step count grows, DPM-Solver++ at second order.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "analytic_models.hpp"
#include "sampler.hpp"

using namespace ddpm;

namespace {

constexpr double kMu = 0.3, kSd = 0.5;
constexpr int kN = 4, kDim = 64;

// Max |x_0 - exact| over a batch, where exact is the ODE solution from the sampler's own x_T at
// its first timestep to t = 0 (analytic_models.hpp, gaussian_flow).
double ode_error(const Schedule& s, SamplerKind kind, int steps,
                 Spacing spacing = Spacing::linspace) {
  SamplerOptions o;
  o.kind = kind;
  o.steps = steps;
  o.spacing = spacing;  // linspace starts at T and ends at t = 1
  o.seed = 21;
  Sampler sampler(s, o, kN, kDim);
  const std::vector<float> xT(sampler.x(), sampler.x() + kN * kDim);
  const int t0 = sampler.t();
  const EpsModel model = testing::gaussian_eps_model(s, kDim, kMu, kSd);
  while (!sampler.done()) sampler.step(model);
  double worst = 0.0;
  for (size_t i = 0; i < xT.size(); ++i) {
    const double exact = testing::gaussian_flow(s, xT[i], t0, 0, kMu, kSd);
    worst = std::max(worst, std::fabs(sampler.x()[i] - exact));
  }
  return worst;
}

}  // namespace

TEST_CASE("DPM-Solver++(2M) converges to the exact ODE solution at second order",
          "[sampler][dpm++][convergence]") {
  // Measured (linear / cosine): 50 steps 6.8e-2 / 2.0e-2, 100: 1.7e-2 / 4.7e-3,
  // 200: 3.8e-3 / 1.1e-3, 400: 7.8e-4 / 2.0e-4. Fewer steps are outside the asymptotic
  // regime: the linspace list ends with one long step in lambda from t ~ T/N to t = 1.
  for (ScheduleKind kind : {ScheduleKind::linear, ScheduleKind::cosine}) {
    ScheduleConfig c;
    c.kind = kind;
    const Schedule s(c);
    std::vector<double> err;
    for (int steps : {50, 100, 200, 400})
      err.push_back(ode_error(s, SamplerKind::dpmpp_2m, steps));
    INFO(to_string(kind) << ": " << err[0] << " " << err[1] << " " << err[2] << " " << err[3]);
    for (size_t i = 1; i < err.size(); ++i) CHECK(err[i - 1] / err[i] > 3.0);  // ~4 = 2^2
    CHECK(err.back() < 1e-3);
  }
}

TEST_CASE("DDIM converges at first order and DPM-Solver++ beats it", "[sampler][convergence]") {
  const Schedule s(ScheduleConfig{});
  std::vector<double> ddim;
  for (int steps : {50, 100, 200, 400}) ddim.push_back(ode_error(s, SamplerKind::ddim, steps));
  INFO(ddim[0] << " " << ddim[1] << " " << ddim[2] << " " << ddim[3]);
  for (size_t i = 1; i < ddim.size(); ++i) {
    CHECK(ddim[i - 1] / ddim[i] > 1.7);  // ~2
    CHECK(ddim[i - 1] / ddim[i] < 2.5);
  }
  for (int steps : {100, 200, 400})
    CHECK(ode_error(s, SamplerKind::dpmpp_2m, steps) <
          0.6 * ode_error(s, SamplerKind::ddim, steps));
  // All 1000 steps: both walk every timestep and agree with the exact solution closely.
  CHECK(ode_error(s, SamplerKind::dpmpp_2m, 1000) < 2e-4);
}

TEST_CASE("with few steps DPM-Solver++ does better on trailing lists", "[sampler][dpm++]") {
  // Measured at 10 steps (linear / cosine): trailing 0.28 / 0.07, linspace 0.57 / 0.43; the
  // linspace list's step from t = 112 to t = 1 is long in lambda (sampler.hpp).
  for (ScheduleKind kind : {ScheduleKind::linear, ScheduleKind::cosine}) {
    ScheduleConfig c;
    c.kind = kind;
    const Schedule s(c);
    const double trailing = ode_error(s, SamplerKind::dpmpp_2m, 10, Spacing::trailing);
    const double linspace = ode_error(s, SamplerKind::dpmpp_2m, 10, Spacing::linspace);
    INFO(to_string(kind) << ": trailing " << trailing << ", linspace " << linspace);
    CHECK(trailing < 0.7 * linspace);
    CHECK(trailing < ode_error(s, SamplerKind::ddim, 10, Spacing::trailing));
  }
}
