// Tests of the linear and cosine schedules, their derived tables, validation and the
// forward-process helpers, against 40-digit decimal references.
#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "rng.hpp"
#include "schedule.hpp"

using namespace ddpm;

namespace {

// One row of `python3 tests/cpp/core/make_reference.py` (40-digit decimal arithmetic; the
// cosine f(t) through a decimal Taylor series of cos).
struct Row {
  int t;
  double beta, alpha_bar, beta_tilde, coef1, coef2, log_snr;
};

const std::vector<Row> kLinear = {
    {1, 1.00000000000000000e-4, 9.99900000000000000e-1, 0.0, 1.0, 0.0, 9.21024036697584938e+0},
    {2, 1.19919919919919920e-4, 9.99780092072072072e-1, 5.45318766130260539e-5,
     5.45291499510271484e-1, 4.54708498990564672e-1, 8.42208167651870857e+0},
    {10, 2.79279279279279279e-4, 9.98105204785834619e-1, 2.38182027823447351e-4,
     1.47273717430860840e-1, 8.52726226102357588e-1, 6.26674792008139465e+0},
    {100, 2.07207207207207207e-3, 8.97018145674960364e-1, 2.03459625949078604e-3,
     1.90763453173118679e-2, 9.80896021316456854e-1, 2.16452329003818787e+0},
    {250, 5.06006006006006006e-3, 5.24085373825360501e-1, 5.03172086791729459e-3,
     7.71665718227180751e-3, 9.91880384505261120e-1, 9.64161168283879303e-2},
    {500, 1.00400400400400400e-2, 7.85872428817782373e-2, 1.00313554146136882e-2,
     3.07007111426497691e-3, 9.94106670210166592e-1, -2.46169871581047204e+0},
    {750, 1.50200200200200200e-2, 3.35055043893678007e-3, 1.50192500260066800e-2,
     8.78966774273620949e-4, 9.92410698012848301e-1, -5.69527446040959065e+0},
    {999, 1.99800800800800801e-2, 4.11819363813845236e-5, 1.99800633042431991e-2,
     1.29524236229576437e-4, 9.89958723491067583e-1, -1.00974696523112038e+1},
    {1000, 2.00000000000000000e-2, 4.03582976537568331e-5, 1.99999835265606075e-2,
     1.28351487172246941e-4, 9.89948678267517260e-1, -1.01176731833010321e+1},
};

const std::vector<Row> kCosine = {
    {1, 4.12842248217778024e-5, 9.99958715775178222e-1, 0.0, 1.0, 0.0, 1.00949888114620668e+1},
    {2, 4.61417527366945084e-5, 9.99912575927368021e-1, 2.17894961456620406e-5,
     5.27781409336211949e-1, 4.72218590425661830e-1, 9.34465245476064366e+0},
    {10, 8.50111793416443708e-5, 9.99368718401658480e-1, 7.35694511899480518e-5,
     1.34627644575906856e-1, 8.65372349616879897e-1, 7.36712704090838954e+0},
    {100, 5.26904808856636485e-4, 9.72092737113969174e-1, 5.17229080402820783e-4,
     1.86201516633459936e-2, 9.81378018404475337e-1, 3.55056423501673081e+0},
    {250, 1.32149663662915085e-3, 8.47012161326904734e-1, 1.31181521444157591e-3,
     7.95501723717884886e-3, 9.92017771257937905e-1, 1.71135662023160036e+0},
    {500, 3.14588623047819635e-3, 4.93843590440637713e-1, 3.13619990405793828e-3,
     4.37458822614571383e-3, 9.95351619472171060e-1, -2.46268828115145447e-2},
    {750, 7.54570774204455988e-3, 1.44272102385735711e-1, 7.53603530044995237e-3,
     3.36201938081054543e-3, 9.94943000478843480e-1, -1.78025133256054846e+0},
    {999, 7.49999392901162028e-1, 2.42876690703446836e-6, 7.49993928184466143e-1,
     2.33767618981750987e-3, 4.99996963946632982e-1, -1.29281244463009123e+1},
    {1000, 9.99000000000000000e-1, 2.42876690703446836e-9, 9.98997576088192126e-1,
     1.55689171549004655e-3, 3.16226998741346416e-2, -1.98358821516241389e+1},
};

// Relative tolerance: double arithmetic over 1000 products, and cos near pi/2 for the cosine
// schedule's last steps, stay well inside 1e-11.
void check_rows(const Schedule& s, const std::vector<Row>& rows) {
  const double rel = 1e-11;
  for (const Row& r : rows) {
    INFO("t = " << r.t);
    const size_t t = size_t(r.t);
    CHECK(s.beta[t] == Approx(r.beta).epsilon(rel));
    CHECK(s.alpha_bar[t] == Approx(r.alpha_bar).epsilon(rel));
    CHECK(s.one_minus_alpha_bar[t] == Approx(1.0 - r.alpha_bar).epsilon(1e-9));
    CHECK(s.posterior_variance[t] == Approx(r.beta_tilde).epsilon(rel).margin(1e-300));
    CHECK(s.posterior_mean_coef1[t] == Approx(r.coef1).epsilon(rel));
    CHECK(s.posterior_mean_coef2[t] == Approx(r.coef2).epsilon(rel).margin(1e-300));
    CHECK(s.log_snr[t] == Approx(r.log_snr).epsilon(rel));
  }
}

}  // namespace

TEST_CASE("the linear schedule matches the decimal reference", "[schedule]") {
  const Schedule s(ScheduleConfig{});
  REQUIRE(s.T == 1000);
  REQUIRE(s.beta.size() == 1001);
  check_rows(s, kLinear);
  // Ho et al.'s clipped log variance: t = 1 takes log beta_tilde[2] (reference script).
  CHECK(s.posterior_log_variance_clipped[1] == Approx(-9.81672513529559399e+0).epsilon(1e-11));
  CHECK(s.posterior_log_variance_clipped[2] == Approx(-9.81672513529559399e+0).epsilon(1e-11));
  CHECK(s.posterior_log_variance_clipped[500] == Approx(std::log(1.00313554146136882e-2)));
}

TEST_CASE("the cosine schedule matches the decimal reference", "[schedule]") {
  ScheduleConfig c;
  c.kind = ScheduleKind::cosine;
  const Schedule s(c);
  check_rows(s, kCosine);
  CHECK(s.posterior_log_variance_clipped[1] == Approx(-1.07340825324663692e+1).epsilon(1e-11));
  // The clip at 0.999 is active at t = T only (beta[999] = 0.75 in the reference).
  CHECK(s.beta[1000] == 0.999);
  CHECK(s.beta[999] < 0.999);
}

TEST_CASE("t = 0 is clean data in every table", "[schedule]") {
  for (ScheduleKind kind : {ScheduleKind::linear, ScheduleKind::cosine}) {
    ScheduleConfig c;
    c.kind = kind;
    const Schedule s(c);
    CHECK(s.beta[0] == 0.0);
    CHECK(s.alpha[0] == 1.0);
    CHECK(s.alpha_bar[0] == 1.0);
    CHECK(s.one_minus_alpha_bar[0] == 0.0);
    CHECK(s.sqrt_alpha_bar[0] == 1.0);
    CHECK(s.sqrt_one_minus_alpha_bar[0] == 0.0);
    CHECK(s.sqrt_recip_alpha[0] == 1.0);
    CHECK(s.eps_coef[0] == 0.0);
    CHECK(s.posterior_variance[0] == 0.0);
    CHECK(s.posterior_mean_coef1[0] == 1.0);
    CHECK(s.posterior_mean_coef2[0] == 0.0);
    CHECK(s.posterior_log_variance_clipped[0] == s.posterior_log_variance_clipped[1]);
    CHECK(std::isinf(s.log_snr[0]));
    CHECK(s.log_snr[0] > 0);
  }
}

TEST_CASE("derived tables agree with their definitions at every t", "[schedule]") {
  for (ScheduleKind kind : {ScheduleKind::linear, ScheduleKind::cosine}) {
    ScheduleConfig c;
    c.kind = kind;
    const Schedule s(c);
    for (int t = 1; t <= s.T; ++t) {
      const size_t i = size_t(t);
      INFO("t = " << t);
      REQUIRE(s.alpha_bar[i] < s.alpha_bar[i - 1]);  // strictly decreasing
      REQUIRE(s.alpha[i] == 1.0 - s.beta[i]);
      REQUIRE(s.alpha_bar[i] == Approx(s.alpha_bar[i - 1] * s.alpha[i]).epsilon(1e-15));
      REQUIRE(s.sqrt_recip_alpha[i] == Approx(1.0 / std::sqrt(s.alpha[i])).epsilon(1e-15));
      REQUIRE(s.eps_coef[i] == Approx(s.beta[i] / std::sqrt(1.0 - s.alpha_bar[i])).epsilon(1e-9));
      // The posterior is consistent with the marginals: with noise-free x_t = sqrt(ab_t) x_0
      // its mean is sqrt(ab_{t-1}) x_0, and with x_0 = 0, x_t ~ N(0, 1 - ab_t) it gives
      // Var x_{t-1} = coef2^2 (1 - ab_t) + beta_tilde = 1 - ab_{t-1}.
      REQUIRE(s.posterior_mean_coef1[i] + s.posterior_mean_coef2[i] * s.sqrt_alpha_bar[i] ==
              Approx(s.sqrt_alpha_bar[i - 1]).epsilon(1e-12));
      const double var =
          s.posterior_mean_coef2[i] * s.posterior_mean_coef2[i] * s.one_minus_alpha_bar[i] +
          s.posterior_variance[i];
      REQUIRE(var == Approx(s.one_minus_alpha_bar[i - 1]).epsilon(1e-12).margin(1e-18));
    }
  }
}

TEST_CASE("a one-step schedule is usable", "[schedule]") {
  ScheduleConfig c;
  c.timesteps = 1;
  const Schedule s(c);
  CHECK(s.beta[1] == 1e-4);  // numpy.linspace(b0, b1, 1) = [b0]
  CHECK(s.posterior_variance[1] == 0.0);
  CHECK(s.posterior_log_variance_clipped[1] == Approx(std::log(1e-4)));
}

TEST_CASE("bad schedule configurations name the field and flag", "[schedule][validation]") {
  auto message = [](ScheduleConfig c) -> std::string {
    try {
      validate(c);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  ScheduleConfig c;
  c.timesteps = 0;
  CHECK_THAT(message(c), Catch::Contains("--timesteps"));
  c.timesteps = kMaxTimesteps + 1;
  CHECK_THAT(message(c), Catch::Contains("--timesteps"));
  c = {};
  c.beta_start = 0.0;
  CHECK_THAT(message(c), Catch::Contains("--beta-start"));
  c.beta_start = std::nan("");
  CHECK_THAT(message(c), Catch::Contains("--beta-start"));
  c = {};
  c.beta_end = 1.0;
  CHECK_THAT(message(c), Catch::Contains("--beta-end"));
  c = {};
  c.beta_start = 0.03;
  CHECK_THAT(message(c), Catch::Contains("--beta-start") && Catch::Contains("--beta-end"));
  c = {};
  c.kind = ScheduleKind::cosine;
  c.beta_start = 5;  // ignored by the cosine schedule
  CHECK(message(c).empty());
  c.cosine_s = -0.1;
  CHECK_THAT(message(c), Catch::Contains("cosine_s"));
  CHECK_THROWS_AS(Schedule(ScheduleConfig{ScheduleKind::linear, -3}), std::invalid_argument);
  CHECK_THROWS_AS(parse_schedule_kind("quadratic"), std::invalid_argument);
  CHECK(parse_schedule_kind("cosine") == ScheduleKind::cosine);
  CHECK(std::string(to_string(ScheduleKind::linear)) == "linear");
}

TEST_CASE("x_t built from x_0 and eps gives back eps and x_0", "[schedule][forward]") {
  const Schedule s(ScheduleConfig{});
  const size_t n = 4096;
  std::vector<float> x0(n), eps(n), xt(n), back(n);
  NormalRng rng(7, 0);
  for (size_t i = 0; i < n; ++i) x0[i] = std::tanh(rng.normal());
  rng.fill(eps.data(), n);

  for (int t : {1, 2, 10, 100, 500, 999, 1000}) {
    INFO("t = " << t);
    add_noise(s, t, x0.data(), eps.data(), xt.data(), n);
    // x_t = sqrt(ab) x_0 + sqrt(1 - ab) eps, checked against the reference alpha_bar row
    const double ab = t == 1 ? 9.999e-1 : s.alpha_bar[size_t(t)];
    CHECK(xt[3] == Approx(std::sqrt(ab) * x0[3] + std::sqrt(1 - ab) * eps[3]).epsilon(1e-6));

    // x_t is a float: its rounding (2^-24 relative) is amplified by 1 / sqrt(1 - ab) when
    // eps is recovered and by 1 / sqrt(ab) when x_0 is.
    predict_eps(s, t, xt.data(), x0.data(), back.data(), n);
    double worst = 0.0;
    for (size_t i = 0; i < n; ++i) {
      const double bound = 2.0 * std::ldexp(std::fabs(xt[i]) + std::fabs(x0[i]) + 1e-3, -24) /
                               s.sqrt_one_minus_alpha_bar[size_t(t)] +
                           1e-7 * std::fabs(eps[i]);
      worst = std::max(worst, std::fabs(back[i] - eps[i]) / bound);
    }
    CHECK(worst <= 1.0);
    predict_x0(s, t, xt.data(), eps.data(), back.data(), n);
    worst = 0.0;
    for (size_t i = 0; i < n; ++i) {
      const double bound = 2.0 * std::ldexp(std::fabs(xt[i]) + std::fabs(eps[i]), -24) /
                               s.sqrt_alpha_bar[size_t(t)] +
                           1e-7;
      worst = std::max(worst, std::fabs(back[i] - x0[i]) / bound);
    }
    CHECK(worst <= 1.0);
  }
  CHECK_THROWS_AS(predict_eps(s, 0, xt.data(), x0.data(), back.data(), n), std::out_of_range);
  CHECK_THROWS_AS(add_noise(s, 1001, x0.data(), eps.data(), xt.data(), n), std::out_of_range);
}
