// The one reverse-process loop (Sampler::step) shared by DDPM ancestral sampling, DDIM and
// DPM-Solver++(2M), with x0 clipping and classifier-free guidance.
#include "sampler.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace ddpm {

SamplerKind parse_sampler_kind(const std::string& name) {
  if (name == "ddpm") return SamplerKind::ddpm;
  if (name == "ddim") return SamplerKind::ddim;
  if (name == "dpm++2m") return SamplerKind::dpmpp_2m;
  throw std::invalid_argument("unknown sampler '" + name + "', expected ddpm, ddim or dpm++2m");
}

const char* to_string(SamplerKind kind) {
  switch (kind) {
    case SamplerKind::ddpm:
      return "ddpm";
    case SamplerKind::ddim:
      return "ddim";
    case SamplerKind::dpmpp_2m:
      return "dpm++2m";
  }
  return "?";
}

void validate(const SamplerOptions& o, int T) {
  if (o.steps < 1 || o.steps > T)
    throw std::invalid_argument("steps (--steps) must be in 1.." + std::to_string(T) +
                                " (the schedule's T), got " + std::to_string(o.steps));
  if (!(o.eta >= 0.0 && o.eta <= 1.0))
    throw std::invalid_argument("eta (--eta) must be in [0, 1], got " + std::to_string(o.eta));
  if (!(o.guidance >= 0.0 && std::isfinite(o.guidance)))
    throw std::invalid_argument("guidance (--guidance) must be finite and >= 0, got " +
                                std::to_string(o.guidance));
  if (o.first_sample < 0)
    throw std::invalid_argument("first_sample must be >= 0, got " +
                                std::to_string(o.first_sample));
  if (o.null_label < -1)
    throw std::invalid_argument("null_label must be >= -1, got " + std::to_string(o.null_label));
}

struct Sampler::Impl {
  SamplerOptions opt;
  int n = 0, dim = 0;
  bool guided = false;
  std::vector<double> alpha_bar, one_minus_alpha_bar;  // t = 0..T, copied from the schedule
  std::vector<int> ts, labels;
  int k = 0;  // steps taken

  // Layout (N, dim) everywhere; the guided model input is (2N, dim).
  std::vector<float> x, x0, x0_prev, eps, model_x, model_eps;
  std::vector<int> model_labels;
  std::vector<NormalRng> rngs;  // one stream per sample

  void predict(const EpsModel& model, int t);
  void add_noise(double sigma);
};

// One network call; with guidance eps = eps_u + s (eps_c - eps_u) (Ho & Salimans 2021, Eq. 6).
void Sampler::Impl::predict(const EpsModel& model, int t) {
  const size_t nd = size_t(n) * size_t(dim);
  if (!guided) {
    model(x.data(), n, t, labels.empty() ? nullptr : labels.data(), eps.data());
    return;
  }
  std::copy(x.begin(), x.end(), model_x.begin());
  std::copy(x.begin(), x.end(), model_x.begin() + std::ptrdiff_t(nd));
  model(model_x.data(), 2 * n, t, model_labels.data(), model_eps.data());
  const double s = opt.guidance;
  for (size_t i = 0; i < nd; ++i) {
    const double c = model_eps[i], u = model_eps[nd + i];
    eps[i] = float(u + s * (c - u));
  }
}

void Sampler::Impl::add_noise(double sigma) {
  for (int i = 0; i < n; ++i) {
    float* xi = x.data() + size_t(i) * size_t(dim);
    NormalRng& rng = rngs[size_t(i)];
    for (int j = 0; j < dim; ++j) xi[j] = float(xi[j] + sigma * double(rng.normal()));
  }
}

Sampler::Sampler(const Schedule& schedule, const SamplerOptions& options, int n, int dim,
                 std::vector<int> labels)
    : impl_(std::make_shared<Impl>()) {
  validate(options, schedule.T);
  if (n < 1) throw std::invalid_argument("sampler: n (batch size) must be >= 1");
  if (dim < 1) throw std::invalid_argument("sampler: dim (floats per image) must be >= 1");
  if (!labels.empty() && labels.size() != size_t(n))
    throw std::invalid_argument("sampler: labels must be empty or one per sample (" +
                                std::to_string(n) + "), got " + std::to_string(labels.size()));
  const bool guided = options.guidance != 1.0;
  if (guided && labels.empty())
    throw std::invalid_argument("guidance (--guidance) != 1 needs class labels");
  if (guided && options.null_label < 0)
    throw std::invalid_argument("guidance (--guidance) != 1 needs the model's null_label");

  Impl& m = *impl_;
  m.opt = options;
  m.n = n;
  m.dim = dim;
  m.guided = guided;
  m.alpha_bar = schedule.alpha_bar;
  m.one_minus_alpha_bar = schedule.one_minus_alpha_bar;
  m.ts = make_timesteps(schedule.T, options.steps, options.spacing);
  m.labels = std::move(labels);

  // Every buffer step() touches, allocated once.
  const size_t nd = size_t(n) * size_t(dim);
  m.x.resize(nd);
  m.x0.resize(nd);
  m.eps.resize(nd);
  if (options.kind == SamplerKind::dpmpp_2m) m.x0_prev.resize(nd);
  if (guided) {
    m.model_x.resize(2 * nd);
    m.model_eps.resize(2 * nd);
    m.model_labels.resize(2 * size_t(n));
    std::copy(m.labels.begin(), m.labels.end(), m.model_labels.begin());
    std::fill(m.model_labels.begin() + n, m.model_labels.end(), options.null_label);
  }

  // x_T ~ N(0, I) from each sample's own stream (Ho et al. 2020, Algorithm 2, line 1).
  m.rngs.reserve(size_t(n));
  for (int i = 0; i < n; ++i) {
    m.rngs.emplace_back(options.seed, uint64_t(options.first_sample) + uint64_t(i));
    m.rngs.back().fill(m.x.data() + size_t(i) * size_t(dim), size_t(dim));
  }
  m.x0 = m.x;
}

void Sampler::step(const EpsModel& model) {
  Impl& m = *impl_;
  if (done()) throw std::logic_error("sampler: step() called after the last step");
  const size_t nd = m.x.size();
  const int t = m.ts[size_t(m.k)];
  const int s = m.k + 1 < num_steps() ? m.ts[size_t(m.k) + 1] : 0;  // next t, 0 at the end
  const double ab_t = m.alpha_bar[size_t(t)], ab_s = m.alpha_bar[size_t(s)];
  const double sig2_t = m.one_minus_alpha_bar[size_t(t)];
  const double sig2_s = m.one_minus_alpha_bar[size_t(s)];
  const double a_t = std::sqrt(ab_t), sig_t = std::sqrt(sig2_t);
  const SamplerKind kind = m.opt.kind;

  // eps-hat from the network, then x0-hat = (x_t - sqrt(1 - ab) eps) / sqrt(ab)
  // (Ho et al. 2020, Eq. 4 solved for x_0; Song et al. 2021, Eq. 12 "predicted x_0").
  m.predict(model, t);
  for (size_t i = 0; i < nd; ++i) m.x0[i] = float((m.x[i] - sig_t * double(m.eps[i])) / a_t);

  // Clipping x0-hat to the data range; eps is re-derived from it for the eps-form updates.
  if (m.opt.clip_x0) {
    for (size_t i = 0; i < nd; ++i) m.x0[i] = std::min(1.0f, std::max(-1.0f, m.x0[i]));
    if (kind != SamplerKind::dpmpp_2m)
      for (size_t i = 0; i < nd; ++i) m.eps[i] = float((m.x[i] - a_t * double(m.x0[i])) / sig_t);
  }

  // The step's own beta from the two alpha_bar values, 1 - ab_t / ab_s, so that skipped
  // timesteps are accounted for (it equals beta_t when s = t - 1).
  const double beta = (sig2_t - sig2_s) / ab_s;

  if (kind == SamplerKind::ddpm) {
    // x_s = 1/sqrt(alpha) (x_t - beta / sqrt(1 - ab_t) eps) + sigma z, z = 0 on the last step
    // (Ho et al. 2020, Eq. 11 and Algorithm 2); sigma^2 = beta or beta_tilde (Eq. 7).
    const double c_x = std::sqrt(ab_s / ab_t), c_eps = c_x * beta / sig_t;
    for (size_t i = 0; i < nd; ++i) m.x[i] = float(c_x * m.x[i] - c_eps * m.eps[i]);
    const double var = m.opt.variance == DdpmVariance::beta ? beta : beta * sig2_s / sig2_t;
    if (s > 0) m.add_noise(std::sqrt(var));
  } else if (kind == SamplerKind::ddim) {
    // sigma = eta sqrt((1 - ab_s) / (1 - ab_t)) sqrt(1 - ab_t / ab_s) (Song et al. 2021,
    // Eq. 16); x_s = sqrt(ab_s) x0 + sqrt(1 - ab_s - sigma^2) eps + sigma z (Eq. 12).
    const double sigma = m.opt.eta * std::sqrt(sig2_s / sig2_t * beta);
    const double c_x0 = std::sqrt(ab_s);
    const double c_eps = std::sqrt(std::max(0.0, sig2_s - sigma * sigma));
    for (size_t i = 0; i < nd; ++i) m.x[i] = float(c_x0 * m.x0[i] + c_eps * m.eps[i]);
    if (sigma > 0.0) m.add_noise(sigma);
  } else if (s == 0) {
    // DPM-Solver++ into t = 0: lambda = +inf, so h = inf and the first-order update
    // (sigma_s / sigma_t) x - alpha_s (e^-h - 1) x0 is exactly x0-hat (Lu et al. 2022, Eq. 9).
    std::copy(m.x0.begin(), m.x0.end(), m.x.begin());
  } else {
    // DPM-Solver++(2M) in lambda = log(alpha / sigma) (Lu et al. 2022, Algorithm 2):
    // x_s = (sigma_s / sigma_t) x_t - alpha_s (e^-h - 1) D, D = x0 on the first step, else
    // D = (1 + 1/(2r)) x0 - 1/(2r) x0_prev with r = h_prev / h.
    auto lambda = [&](int u) {
      return 0.5 * (std::log(m.alpha_bar[size_t(u)]) - std::log(m.one_minus_alpha_bar[size_t(u)]));
    };
    const double h = lambda(s) - lambda(t);
    const double c_x = std::sqrt(sig2_s / sig2_t), c_d = -std::sqrt(ab_s) * std::expm1(-h);
    if (m.k == 0) {
      for (size_t i = 0; i < nd; ++i) m.x[i] = float(c_x * m.x[i] + c_d * m.x0[i]);
    } else {
      const double r = (lambda(t) - lambda(m.ts[size_t(m.k) - 1])) / h;
      const double w_prev = -0.5 / r, w = 1.0 - w_prev;
      for (size_t i = 0; i < nd; ++i)
        m.x[i] = float(c_x * m.x[i] + c_d * (w * m.x0[i] + w_prev * m.x0_prev[i]));
    }
    std::copy(m.x0.begin(), m.x0.end(), m.x0_prev.begin());
  }
  ++m.k;
}

bool Sampler::done() const {
  return impl_->k >= num_steps();
}
int Sampler::step_index() const {
  return impl_->k;
}
int Sampler::num_steps() const {
  return int(impl_->ts.size());
}
const std::vector<int>& Sampler::timesteps() const {
  return impl_->ts;
}
int Sampler::t() const {
  return done() ? 0 : impl_->ts[size_t(impl_->k)];
}
const float* Sampler::x() const {
  return impl_->x.data();
}
const float* Sampler::x0() const {
  return impl_->x0.data();
}
int Sampler::n() const {
  return impl_->n;
}
int Sampler::dim() const {
  return impl_->dim;
}

std::vector<float> sample(const Schedule& schedule, const SamplerOptions& options,
                          const EpsModel& model, int n, int dim, const std::vector<int>& labels,
                          const StepCallback& on_step) {
  Sampler sampler(schedule, options, n, dim, labels);
  while (!sampler.done()) {
    const int k = sampler.step_index(), t = sampler.t();
    sampler.step(model);
    if (on_step) {
      const StepInfo info{k, sampler.num_steps(), t, sampler.t(), sampler.x(), sampler.x0()};
      if (!on_step(info)) break;
    }
  }
  const float* x = sampler.x();
  return std::vector<float>(x, x + size_t(n) * size_t(dim));
}

}  // namespace ddpm
