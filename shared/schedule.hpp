// Noise schedules and every table derived from them, in double precision.
// Tables are indexed t = 0..T; t = 0 is clean data (alpha_bar[0] = 1, beta[0] = 0).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ddpm {

enum class ScheduleKind { linear, cosine };

struct ScheduleConfig {
  ScheduleKind kind = ScheduleKind::linear;
  int timesteps = 1000;      // T, 1..kMaxTimesteps
  double beta_start = 1e-4;  // beta_1 (linear), in (0, 1)
  double beta_end = 0.02;    // beta_T (linear), in [beta_start, 1)
  double cosine_s = 0.008;   // offset s (cosine), in [0, 1)
};

constexpr int kMaxTimesteps = 100000;
constexpr double kCosineMaxBeta = 0.999;  // Nichol & Dhariwal 2021, Sec. 3.2

// Throws std::invalid_argument naming the field and its CLI flag, e.g.
// "timesteps (--timesteps) must be in 1..100000, got 0". beta_start and beta_end are checked
// for the linear schedule only (the cosine schedule ignores them).
void validate(const ScheduleConfig& config);

ScheduleKind parse_schedule_kind(const std::string& name);  // throws std::invalid_argument
const char* to_string(ScheduleKind kind);

// All tables have T + 1 entries. Values at t = 0 where the formula is 0/0 or infinite:
//   eps_coef 0, posterior_variance 0, posterior_log_variance_clipped = its t = 1 value,
//   posterior_mean_coef1 1 and coef2 0 (q(x_0 | x_0, x_0) is a point at x_0),
//   log_snr +infinity (written as null in JSON, "inf" in CSV).
// posterior_log_variance_clipped[1] = log(beta_tilde[2]) as in Ho et al.'s code (beta_tilde[1]
// is 0); for T = 1 it is log(beta[1]).
struct Schedule {
  explicit Schedule(const ScheduleConfig& config);  // validates

  ScheduleConfig config;
  int T = 0;
  std::vector<double> beta, alpha, alpha_bar;
  std::vector<double> one_minus_alpha_bar;  // 1 - alpha_bar, without cancellation
  std::vector<double> sqrt_alpha_bar, sqrt_one_minus_alpha_bar, sqrt_recip_alpha;
  std::vector<double> eps_coef;            // beta / sqrt(1 - alpha_bar)
  std::vector<double> posterior_variance;  // beta_tilde
  std::vector<double> posterior_log_variance_clipped;
  std::vector<double> posterior_mean_coef1;  // multiplies x_0
  std::vector<double> posterior_mean_coef2;  // multiplies x_t
  std::vector<double> log_snr;               // log(alpha_bar / (1 - alpha_bar))
};

// The forward process and its inversions at one t in 0..T over `count` floats, arithmetic in
// double (t out of range throws std::out_of_range):
//   x_t = sqrt(ab_t) x_0 + sqrt(1 - ab_t) eps             (add_noise; Ho et al. 2020, Eq. 4)
//   x_0 = (x_t - sqrt(1 - ab_t) eps) / sqrt(ab_t)         (predict_x0)
//   eps = (x_t - sqrt(ab_t) x_0) / sqrt(1 - ab_t), t >= 1 (predict_eps)
void add_noise(const Schedule& s, int t, const float* x0, const float* eps, float* x_t,
               size_t count);
void predict_x0(const Schedule& s, int t, const float* x_t, const float* eps, float* x0,
                size_t count);
void predict_eps(const Schedule& s, int t, const float* x_t, const float* x0, float* eps,
                 size_t count);

}  // namespace ddpm
