// Tests of the DDPM, DDIM and DPM-Solver++(2M) steps: parity with a double-precision Python
// implementation, the posterior mean, x_0 recovery with an oracle, clipping, guidance,
// cancelling, per-sample streams and option validation.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "analytic_models.hpp"
#include "sampler.hpp"

using namespace ddpm;
using ddpm::testing::gaussian_eps_model;
using ddpm::testing::oracle_eps_model;

namespace {

const Schedule& linear1000() {
  static const Schedule s(ScheduleConfig{});
  return s;
}

SamplerOptions options(SamplerKind kind, int steps, Spacing spacing, uint64_t seed = 0) {
  SamplerOptions o;
  o.kind = kind;
  o.steps = steps;
  o.spacing = spacing;
  o.seed = seed;
  return o;
}

double max_abs_diff(const float* a, const float* b, size_t n) {
  double worst = 0.0;
  for (size_t i = 0; i < n; ++i) worst = std::max(worst, std::fabs(double(a[i]) - b[i]));
  return worst;
}

}  // namespace

TEST_CASE("samplers match a double-precision Python implementation", "[sampler][parity]") {
  // run_sampler in tests/cpp/core/make_reference.py (python3, plain math): linear schedule,
  // T = 1000, Gaussian data N(0.3, 0.5^2), seed 5, one sample of 4 values, x_T and step noise
  // from its Philox stream 0. The Python code uses the posterior-mean form for DDPM.
  struct Case {
    const char* kind;
    const char* spacing;
    int steps;
    double eta;
    const char* variance;
    std::vector<double> x;
  };
  const std::vector<Case> cases = {
      {"ddpm",
       "leading",
       10,
       0.0,
       "beta",
       {0.394248281224, 0.209093420722, 1.15857252454, 0.353516683346}},
      {"ddpm",
       "trailing",
       10,
       0.0,
       "beta_tilde",
       {0.305778414354, 0.21074240095, 0.835011202591, 0.338388885638}},
      {"ddim",
       "linspace",
       10,
       0.0,
       "beta",
       {0.538436122166, 0.411297431046, 0.363282868781, 0.285317883806}},
      {"ddim",
       "trailing",
       10,
       0.5,
       "beta",
       {0.454789313149, 0.43876161265, 0.94560397192, 0.424825091108}},
      {"ddim",
       "leading",
       50,
       1.0,
       "beta",
       {0.812661388128, 0.661783776104, -0.367808161506, 0.811200135773}},
      {"dpm++2m",
       "linspace",
       10,
       0.0,
       "beta",
       {0.756729390713, 0.513192562469, 0.421219661847, 0.271876098626}},
      {"dpm++2m",
       "trailing",
       20,
       0.0,
       "beta",
       {0.615317994757, 0.447184421808, 0.383687937487, 0.280583749664}},
  };
  const Schedule& s = linear1000();
  const EpsModel model = gaussian_eps_model(s, 4, 0.3, 0.5);
  for (const Case& c : cases) {
    INFO(c.kind << " " << c.spacing << " " << c.steps << " eta " << c.eta << " " << c.variance);
    SamplerOptions o = options(parse_sampler_kind(c.kind), c.steps, parse_spacing(c.spacing), 5);
    o.eta = c.eta;
    o.variance = std::string(c.variance) == "beta" ? DdpmVariance::beta : DdpmVariance::beta_tilde;
    const std::vector<float> x = sample(s, o, model, 1, 4);
    // The state is float: about 1e-7 relative per step, amplified by 1/sqrt(ab) ~ 157 at t = T.
    for (size_t i = 0; i < 4; ++i) CHECK(x[i] == Approx(c.x[i]).margin(2e-5));
  }
}

TEST_CASE("a full-schedule DDPM step lands on the posterior mean plus sigma z",
          "[sampler][ddpm]") {
  const Schedule& s = linear1000();
  const int dim = 16, T = s.T;
  // Any eps works for this check: a smooth function of x.
  const EpsModel model = [](const float* x, int n, int, const int*, float* eps) {
    for (int i = 0; i < n * dim; ++i) eps[i] = float(0.7 * std::tanh(x[i]) + 0.1);
  };
  for (DdpmVariance variance : {DdpmVariance::beta, DdpmVariance::beta_tilde}) {
    SamplerOptions o = options(SamplerKind::ddpm, T, Spacing::leading, 11);
    o.variance = variance;
    Sampler sampler(s, o, 1, dim);
    REQUIRE(sampler.t() == T);
    const std::vector<float> xT(sampler.x(), sampler.x() + dim);
    sampler.step(model);
    REQUIRE(sampler.t() == T - 1);

    // The step noise z is the stream's next dim normals after x_T's.
    NormalRng rng(11, 0);
    std::vector<float> z(2 * dim);
    rng.fill(z.data(), z.size());
    const double var = variance == DdpmVariance::beta ? s.beta[T] : s.posterior_variance[T];
    for (int j = 0; j < dim; ++j) {
      const double eps = 0.7 * std::tanh(xT[j]) + 0.1;
      const double x0 = (xT[j] - s.sqrt_one_minus_alpha_bar[T] * eps) / s.sqrt_alpha_bar[T];
      // Ho et al. 2020, Eq. 7: mean = coef1 x_0 + coef2 x_t
      const double mean = s.posterior_mean_coef1[T] * x0 + s.posterior_mean_coef2[T] * xT[j];
      CHECK(sampler.x0()[j] == Approx(x0).epsilon(1e-5));
      CHECK(sampler.x()[j] == Approx(mean + std::sqrt(var) * z[dim + j]).margin(1e-5));
    }
  }
}

TEST_CASE("a skipping DDPM step uses the step's own beta from the alpha_bar ratio",
          "[sampler][ddpm]") {
  const Schedule& s = linear1000();
  const int dim = 8;
  const EpsModel model = [](const float* x, int n, int, const int*, float* eps) {
    for (int i = 0; i < n * dim; ++i) eps[i] = float(0.5 * x[i]);
  };
  SamplerOptions o = options(SamplerKind::ddpm, 10, Spacing::leading, 3);
  o.variance = DdpmVariance::beta_tilde;
  Sampler sampler(s, o, 1, dim);
  sampler.step(model);  // 901 -> 801
  const std::vector<float> x801(sampler.x(), sampler.x() + dim);
  sampler.step(model);  // 801 -> 701
  REQUIRE(sampler.timesteps()[1] == 801);

  // Posterior q(x_701 | x_801, x_0) of the two-level chain with alpha = ab_701 / ab_801 ... as
  // in Ho et al. 2020, Eq. 6-7 with t - 1 replaced by the next listed timestep.
  NormalRng rng(3, 0);
  std::vector<float> z(3 * dim);
  rng.fill(z.data(), z.size());
  const double ab_t = s.alpha_bar[801], ab_u = s.alpha_bar[701];
  const double b = 1.0 - ab_t / ab_u;
  const double c1 = std::sqrt(ab_u) * b / (1 - ab_t);
  const double c2 = std::sqrt(1 - b) * (1 - ab_u) / (1 - ab_t);
  const double sigma = std::sqrt(b * (1 - ab_u) / (1 - ab_t));
  for (int j = 0; j < dim; ++j) {
    const double eps = 0.5 * x801[j];
    const double x0 = (x801[j] - std::sqrt(1 - ab_t) * eps) / std::sqrt(ab_t);
    CHECK(sampler.x()[j] == Approx(c1 * x0 + c2 * x801[j] + sigma * z[2 * dim + j]).margin(1e-5));
  }
}

TEST_CASE("the last step adds no noise and returns the x_0 prediction", "[sampler]") {
  const Schedule& s = linear1000();
  const int dim = 8;
  const EpsModel model = [](const float* x, int n, int t, const int*, float* eps) {
    for (int i = 0; i < n * dim; ++i) eps[i] = float(0.3 * x[i] + 1e-3 * t);
  };
  for (SamplerKind kind : {SamplerKind::ddpm, SamplerKind::ddim, SamplerKind::dpmpp_2m}) {
    for (Spacing sp : {Spacing::leading, Spacing::trailing}) {
      SamplerOptions o = options(kind, 10, sp, 9);
      o.eta = 1.0;
      Sampler sampler(s, o, 2, dim);
      while (sampler.step_index() < sampler.num_steps() - 1) sampler.step(model);
      const int t = sampler.t();
      const std::vector<float> x(sampler.x(), sampler.x() + 2 * dim);
      sampler.step(model);
      REQUIRE(sampler.done());
      REQUIRE(sampler.t() == 0);
      for (int j = 0; j < 2 * dim; ++j) {
        const double eps = 0.3 * x[j] + 1e-3 * t;
        const double x0 = (x[j] - s.sqrt_one_minus_alpha_bar[t] * eps) / s.sqrt_alpha_bar[t];
        CHECK(sampler.x()[j] == Approx(x0).epsilon(1e-6));
        CHECK(sampler.x()[j] == sampler.x0()[j]);
      }
      CHECK_THROWS_AS(sampler.step(model), std::logic_error);
    }
  }
}

TEST_CASE("an exact-eps oracle takes every sampler from x_T to x_0", "[sampler][oracle]") {
  const Schedule& s = linear1000();
  const int n = 3, dim = 50;
  std::vector<float> x0(n * dim);
  for (size_t i = 0; i < x0.size(); ++i) x0[i] = float(std::sin(0.37 * double(i)));
  const EpsModel model = oracle_eps_model(s, x0);
  for (SamplerKind kind : {SamplerKind::ddim, SamplerKind::dpmpp_2m, SamplerKind::ddpm}) {
    for (Spacing sp : {Spacing::leading, Spacing::trailing, Spacing::linspace}) {
      for (int steps : {1, 10, 50}) {
        INFO(to_string(kind) << " " << to_string(sp) << " " << steps << " steps");
        const std::vector<float> x = sample(s, options(kind, steps, sp, 1), model, n, dim);
        // x0-hat at t is x_0 up to float rounding amplified by 1 / sqrt(ab_t), 157 at t = T.
        CHECK(max_abs_diff(x.data(), x0.data(), x.size()) < 2e-5);
      }
    }
  }
}

TEST_CASE("clipping bounds x0-hat and re-derives eps from it", "[sampler][clip]") {
  const Schedule& s = linear1000();
  const int dim = 4;
  // eps = -2 x predicts x_0 far outside [-1, 1] at t = 501.
  const EpsModel model = [](const float* x, int n, int, const int*, float* eps) {
    for (int i = 0; i < n * dim; ++i) eps[i] = -2.0f * x[i];
  };
  SamplerOptions o = options(SamplerKind::ddim, 2, Spacing::leading, 4);
  o.clip_x0 = true;
  Sampler sampler(s, o, 1, dim);
  REQUIRE(sampler.t() == 501);
  const std::vector<float> xt(sampler.x(), sampler.x() + dim);
  sampler.step(model);  // 501 -> 1
  const double a = s.sqrt_alpha_bar[501], sg = s.sqrt_one_minus_alpha_bar[501];
  for (int j = 0; j < dim; ++j) {
    const double raw = (xt[j] + sg * 2.0 * xt[j]) / a;
    const double x0 = std::min(1.0, std::max(-1.0, raw));
    REQUIRE(std::fabs(raw) > 1.0);
    CHECK(sampler.x0()[j] == float(x0));
    // DDIM (Song et al. 2021, Eq. 12) with eps re-derived from the clipped x_0
    const double eps = (xt[j] - a * x0) / sg;
    const double x1 = s.sqrt_alpha_bar[1] * x0 + s.sqrt_one_minus_alpha_bar[1] * eps;
    CHECK(sampler.x()[j] == Approx(x1).epsilon(1e-5));
  }
  sampler.step(model);
  for (int j = 0; j < dim; ++j) CHECK(std::fabs(sampler.x()[j]) <= 1.0f);
}

TEST_CASE("guidance makes one batched call of 2n with the null labels second",
          "[sampler][guidance]") {
  const Schedule& s = linear1000();
  const int n = 3, dim = 5, null_label = 10;
  const std::vector<int> labels{2, 7, 0};
  int calls = 0;
  std::vector<int> seen_n, seen_labels;
  bool halves_equal = true;
  // eps depends on the label only: 0.05 (label + 1); the null label gives 0.55.
  const EpsModel model = [&](const float* x, int batch, int, const int* lab, float* eps) {
    ++calls;
    seen_n.push_back(batch);
    if (lab)
      seen_labels.assign(lab, lab + batch);
    else
      seen_labels.clear();
    if (batch == 2 * n)
      for (int i = 0; i < n * dim; ++i) halves_equal = halves_equal && x[i] == x[n * dim + i];
    for (int b = 0; b < batch; ++b)
      for (int j = 0; j < dim; ++j) eps[b * dim + j] = 0.05f * float((lab ? lab[b] : -1) + 1);
  };

  SamplerOptions o = options(SamplerKind::ddim, 4, Spacing::trailing, 8);
  o.guidance = 3.0;
  o.null_label = null_label;
  Sampler sampler(s, o, n, dim, labels);
  const std::vector<float> xT(sampler.x(), sampler.x() + n * dim);
  sampler.step(model);
  CHECK(calls == 1);
  CHECK(seen_n == std::vector<int>{2 * n});
  CHECK(seen_labels == std::vector<int>{2, 7, 0, 10, 10, 10});
  CHECK(halves_equal);
  // eps-hat = eps_u + s (eps_c - eps_u) (Ho & Salimans 2021, Eq. 6), read back via x0-hat.
  const double a = s.sqrt_alpha_bar[1000], sg = s.sqrt_one_minus_alpha_bar[1000];
  for (int b = 0; b < n; ++b) {
    const double ec = 0.05 * (labels[size_t(b)] + 1), eu = 0.05 * (null_label + 1);
    const double eps = eu + 3.0 * (ec - eu);
    CHECK(sampler.x0()[b * dim] == Approx((xT[size_t(b * dim)] - sg * eps) / a).epsilon(1e-5));
  }

  // Scale 1: one n-image call with the labels; no labels: labels pointer null.
  calls = 0;
  o.guidance = 1.0;
  sample(s, o, model, n, dim, labels);
  CHECK(calls == 4);
  CHECK(seen_n.back() == n);
  CHECK(seen_labels == labels);
  sample(s, o, model, n, dim);
  CHECK(seen_labels.empty());
}

TEST_CASE("the step callback sees every step and can cancel", "[sampler][callback]") {
  const Schedule& s = linear1000();
  const int dim = 6;
  int calls = 0;
  const EpsModel model = [&](const float* x, int n, int, const int*, float* eps) {
    ++calls;
    for (int i = 0; i < n * dim; ++i) eps[i] = 0.2f * x[i];
  };
  const SamplerOptions o = options(SamplerKind::ddim, 10, Spacing::trailing, 2);

  std::vector<int> ts, t_next;
  std::vector<float> last_x;
  const std::vector<float> full = sample(s, o, model, 2, dim, {}, [&](const StepInfo& info) {
    CHECK(info.step == int(ts.size()));
    CHECK(info.num_steps == 10);
    ts.push_back(info.t);
    t_next.push_back(info.t_next);
    last_x.assign(info.x, info.x + 2 * dim);
    return true;
  });
  CHECK(ts == std::vector<int>{1000, 900, 800, 700, 600, 500, 400, 300, 200, 100});
  CHECK(t_next == std::vector<int>{900, 800, 700, 600, 500, 400, 300, 200, 100, 0});
  CHECK(last_x == full);

  // Cancel after the third step: three network calls, the result is x after three steps.
  calls = 0;
  const std::vector<float> cut =
      sample(s, o, model, 2, dim, {}, [](const StepInfo& info) { return info.step < 2; });
  CHECK(calls == 3);
  Sampler manual(s, o, 2, dim);
  for (int k = 0; k < 3; ++k) manual.step(model);
  CHECK(cut == std::vector<float>(manual.x(), manual.x() + 2 * dim));
  CHECK(manual.t() == 700);
}

TEST_CASE("sample i of a batch equals sample i generated alone", "[sampler][rng]") {
  const Schedule& s = linear1000();
  const int n = 4, dim = 12;
  // A per-image model (each image's eps depends on that image and its label only).
  const EpsModel model = [](const float* x, int batch, int t, const int* lab, float* eps) {
    for (int b = 0; b < batch; ++b)
      for (int j = 0; j < dim; ++j) {
        const int i = b * dim + j;
        eps[i] = float(0.6 * std::tanh(x[i]) + 1e-4 * t + (lab ? 0.01 * lab[b] : 0.0));
      }
  };
  const std::vector<int> labels{3, 1, 4, 1};
  for (SamplerKind kind : {SamplerKind::ddpm, SamplerKind::ddim, SamplerKind::dpmpp_2m}) {
    for (double guidance : {1.0, 2.5}) {
      INFO(to_string(kind) << ", guidance " << guidance);
      SamplerOptions o = options(kind, 20, Spacing::trailing, 77);
      o.eta = 0.7;
      o.guidance = guidance;
      o.null_label = 10;
      o.first_sample = 5;
      const std::vector<float> batch = sample(s, o, model, n, dim, labels);
      for (int i = 0; i < n; ++i) {
        SamplerOptions alone = o;
        alone.first_sample = 5 + i;
        const std::vector<float> one = sample(s, alone, model, 1, dim, {labels[size_t(i)]});
        CHECK(std::equal(one.begin(), one.end(), batch.begin() + i * dim));
      }
    }
  }
}

TEST_CASE("bad sampler options name the option", "[sampler][validation]") {
  const Schedule& s = linear1000();
  SamplerOptions o;
  o.steps = 0;
  CHECK_THROWS_WITH(validate(o, 1000), Catch::Contains("--steps"));
  o.steps = 1001;
  CHECK_THROWS_WITH(validate(o, 1000), Catch::Contains("--steps"));
  o = {};
  o.eta = -0.1;
  CHECK_THROWS_WITH(validate(o, 1000), Catch::Contains("--eta"));
  o.eta = 1.5;
  CHECK_THROWS_WITH(validate(o, 1000), Catch::Contains("--eta"));
  o.eta = std::nan("");
  CHECK_THROWS_WITH(validate(o, 1000), Catch::Contains("--eta"));
  o = {};
  o.guidance = -1;
  CHECK_THROWS_WITH(validate(o, 1000), Catch::Contains("--guidance"));
  o = {};
  CHECK_NOTHROW(validate(o, 1000));
  CHECK_THROWS_AS(Sampler(s, o, 0, 4), std::invalid_argument);
  CHECK_THROWS_AS(Sampler(s, o, 2, 0), std::invalid_argument);
  CHECK_THROWS_AS(Sampler(s, o, 2, 4, {1}), std::invalid_argument);
  o.guidance = 2.0;
  CHECK_THROWS_WITH(Sampler(s, o, 2, 4), Catch::Contains("labels"));
  CHECK_THROWS_WITH(Sampler(s, o, 2, 4, {1, 2}), Catch::Contains("null_label"));
  CHECK_THROWS_AS(parse_sampler_kind("euler"), std::invalid_argument);
  CHECK(parse_sampler_kind("dpm++2m") == SamplerKind::dpmpp_2m);
  CHECK(std::string(to_string(SamplerKind::ddpm)) == "ddpm");
}
