// Noise schedules and every table derived from them, in double precision.
// Tables are indexed t = 0..T; t = 0 is clean data (alpha_bar[0] = 1, beta[0] = 0).
#pragma once

#include <string>
#include <vector>

namespace ddpm {

enum class ScheduleKind { linear, cosine };

struct ScheduleConfig {
  ScheduleKind kind = ScheduleKind::linear;
  int timesteps = 1000;      // T
  double beta_start = 1e-4;  // beta_1 (linear)
  double beta_end = 0.02;    // beta_T (linear)
  double cosine_s = 0.008;   // offset s (cosine)
};

// Throws std::invalid_argument naming the field when the configuration is unusable.
void validate(const ScheduleConfig& config);

ScheduleKind parse_schedule_kind(const std::string& name);  // throws std::invalid_argument
const char* to_string(ScheduleKind kind);

struct Schedule {
  explicit Schedule(const ScheduleConfig& config);

  ScheduleConfig config;
  int T = 0;
  std::vector<double> beta, alpha, alpha_bar;
  std::vector<double> sqrt_alpha_bar, sqrt_one_minus_alpha_bar, sqrt_recip_alpha;
  std::vector<double> eps_coef;                       // beta / sqrt(1 - alpha_bar)
  std::vector<double> posterior_variance;             // beta_tilde
  std::vector<double> posterior_log_variance_clipped;
  std::vector<double> posterior_mean_coef1;           // multiplies x_0
  std::vector<double> posterior_mean_coef2;           // multiplies x_t
  std::vector<double> log_snr;                        // log(alpha_bar / (1 - alpha_bar))
};

}  // namespace ddpm
