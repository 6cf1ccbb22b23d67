// Linear (Ho et al. 2020) and cosine (Nichol & Dhariwal 2021) noise schedules and the tables
// the forward process, the samplers and the trainer read, all in double precision.
#include "schedule.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

namespace ddpm {

namespace {

constexpr double kPi = 3.14159265358979323846;

std::string str(double v) {
  std::ostringstream out;
  out.precision(12);
  out << v;
  return out.str();
}

[[noreturn]] void fail(const std::string& what, double got) {
  throw std::invalid_argument(what + ", got " + str(got));
}

// beta_1..beta_T spaced linearly (Ho et al. 2020, Sec. 4); numpy.linspace's rule for T = 1.
void linear_betas(const ScheduleConfig& c, std::vector<double>& beta) {
  const int T = c.timesteps;
  for (int t = 1; t <= T; ++t) {
    const double frac = T == 1 ? 0.0 : double(t - 1) / double(T - 1);
    beta[t] = c.beta_start + (c.beta_end - c.beta_start) * frac;
  }
  beta[T] = T == 1 ? c.beta_start : c.beta_end;
}

// beta_t = min(1 - f(t) / f(t - 1), 0.999), f(t) = cos^2(((t/T) + s)/(1 + s) pi/2)
// (Nichol & Dhariwal 2021, Eq. 17 and the clipping below it).
void cosine_betas(const ScheduleConfig& c, std::vector<double>& beta) {
  const int T = c.timesteps;
  auto f = [&](int t) {
    const double v = std::cos((double(t) / T + c.cosine_s) / (1.0 + c.cosine_s) * kPi / 2);
    return v * v;
  };
  for (int t = 1; t <= T; ++t) beta[t] = std::min(1.0 - f(t) / f(t - 1), kCosineMaxBeta);
}

}  // namespace

void validate(const ScheduleConfig& c) {
  if (c.timesteps < 1 || c.timesteps > kMaxTimesteps)
    fail("timesteps (--timesteps) must be in 1.." + std::to_string(kMaxTimesteps), c.timesteps);
  if (c.kind == ScheduleKind::linear) {
    if (!(c.beta_start > 0.0 && c.beta_start < 1.0))
      fail("beta_start (--beta-start) must be in (0, 1)", c.beta_start);
    if (!(c.beta_end > 0.0 && c.beta_end < 1.0))
      fail("beta_end (--beta-end) must be in (0, 1)", c.beta_end);
    if (c.beta_start > c.beta_end)
      fail("beta_start (--beta-start) must not exceed beta_end (--beta-end) = " + str(c.beta_end),
           c.beta_start);
  } else if (!(c.cosine_s >= 0.0 && c.cosine_s < 1.0)) {
    fail("cosine_s must be in [0, 1)", c.cosine_s);
  }
}

ScheduleKind parse_schedule_kind(const std::string& name) {
  if (name == "linear") return ScheduleKind::linear;
  if (name == "cosine") return ScheduleKind::cosine;
  throw std::invalid_argument("unknown schedule '" + name + "', expected linear or cosine");
}

const char* to_string(ScheduleKind kind) {
  return kind == ScheduleKind::linear ? "linear" : "cosine";
}

Schedule::Schedule(const ScheduleConfig& c) : config(c), T(c.timesteps) {
  validate(c);
  const size_t n = size_t(T) + 1;
  for (auto* v :
       {&beta, &alpha, &alpha_bar, &one_minus_alpha_bar, &sqrt_alpha_bar,
        &sqrt_one_minus_alpha_bar, &sqrt_recip_alpha, &eps_coef, &posterior_variance,
        &posterior_log_variance_clipped, &posterior_mean_coef1, &posterior_mean_coef2, &log_snr})
    v->assign(n, 0.0);

  // beta, then alpha_bar as the cumulative product of (1 - beta) (Ho et al. 2020, Sec. 2).
  // 1 - alpha_bar goes through log1p/expm1 so that it keeps full precision near t = 0.
  if (c.kind == ScheduleKind::linear)
    linear_betas(c, beta);
  else
    cosine_betas(c, beta);
  alpha[0] = alpha_bar[0] = 1.0;
  double log_alpha_bar = 0.0;
  for (int t = 1; t <= T; ++t) {
    alpha[t] = 1.0 - beta[t];
    alpha_bar[t] = alpha_bar[t - 1] * alpha[t];
    log_alpha_bar += std::log1p(-beta[t]);
    one_minus_alpha_bar[t] = -std::expm1(log_alpha_bar);
  }

  // Forward-process and epsilon-form coefficients (Ho et al. 2020, Eq. 4 and Eq. 11).
  for (int t = 0; t <= T; ++t) {
    sqrt_alpha_bar[t] = std::sqrt(alpha_bar[t]);
    sqrt_one_minus_alpha_bar[t] = std::sqrt(one_minus_alpha_bar[t]);
    sqrt_recip_alpha[t] = 1.0 / std::sqrt(alpha[t]);
    eps_coef[t] = t == 0 ? 0.0 : beta[t] / sqrt_one_minus_alpha_bar[t];
    log_snr[t] = t == 0 ? std::numeric_limits<double>::infinity()
                        : std::log(alpha_bar[t]) - std::log(one_minus_alpha_bar[t]);
  }

  // Posterior q(x_{t-1} | x_t, x_0): variance beta_tilde and mean coefficients
  // (Ho et al. 2020, Eq. 6 and Eq. 7).
  posterior_mean_coef1[0] = 1.0;
  for (int t = 1; t <= T; ++t) {
    const double prev = one_minus_alpha_bar[t - 1];
    posterior_variance[t] = beta[t] * prev / one_minus_alpha_bar[t];
    posterior_mean_coef1[t] = beta[t] * sqrt_alpha_bar[t - 1] / one_minus_alpha_bar[t];
    posterior_mean_coef2[t] = std::sqrt(alpha[t]) * prev / one_minus_alpha_bar[t];
  }

  // log beta_tilde, with t = 1 (where beta_tilde = 0) taking the t = 2 value as in Ho et al.'s
  // code; t = 0 repeats it.
  for (int t = 2; t <= T; ++t) posterior_log_variance_clipped[t] = std::log(posterior_variance[t]);
  posterior_log_variance_clipped[1] =
      T >= 2 ? posterior_log_variance_clipped[2] : std::log(beta[1]);
  posterior_log_variance_clipped[0] = posterior_log_variance_clipped[1];
}

namespace {
void check_t(const Schedule& s, int t, int lowest) {
  if (t < lowest || t > s.T)
    throw std::out_of_range("timestep t must be in " + std::to_string(lowest) + ".." +
                            std::to_string(s.T) + ", got " + std::to_string(t));
}
}  // namespace

void add_noise(const Schedule& s, int t, const float* x0, const float* eps, float* x_t,
               size_t count) {
  check_t(s, t, 0);
  const double a = s.sqrt_alpha_bar[size_t(t)], b = s.sqrt_one_minus_alpha_bar[size_t(t)];
  for (size_t i = 0; i < count; ++i) x_t[i] = float(a * x0[i] + b * eps[i]);  // Ho, Eq. 4
}

void predict_x0(const Schedule& s, int t, const float* x_t, const float* eps, float* x0,
                size_t count) {
  check_t(s, t, 0);
  const double a = s.sqrt_alpha_bar[size_t(t)], b = s.sqrt_one_minus_alpha_bar[size_t(t)];
  for (size_t i = 0; i < count; ++i) x0[i] = float((x_t[i] - b * eps[i]) / a);
}

void predict_eps(const Schedule& s, int t, const float* x_t, const float* x0, float* eps,
                 size_t count) {
  check_t(s, t, 1);
  const double a = s.sqrt_alpha_bar[size_t(t)], b = s.sqrt_one_minus_alpha_bar[size_t(t)];
  for (size_t i = 0; i < count; ++i) eps[i] = float((x_t[i] - a * x0[i]) / b);
}

}  // namespace ddpm
