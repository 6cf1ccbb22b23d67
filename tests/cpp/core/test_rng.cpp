// Tests of the Philox4x32-10 generator (Random123's known-answer vectors), the documented
// normal sequence, state save/restore, stream independence and the normals' moments.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "rng.hpp"

using namespace ddpm;
using U4 = std::array<uint32_t, 4>;

TEST_CASE("Philox4x32-10 reproduces Random123's known-answer vectors", "[rng]") {
  // Random123 kat_vectors, "philox4x32 10" lines: counter[4] key[2] -> output[4].
  CHECK(philox4x32({0, 0, 0, 0}, {0, 0}) == U4{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  CHECK(philox4x32({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}) ==
        U4{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
  CHECK(philox4x32({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}) ==
        U4{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST_CASE("seed 42 gives the normals documented in rng.hpp", "[rng][golden]") {
  // python3 tests/cpp/core/make_reference.py (its own Philox and Box-Muller, rounded to float
  // with struct.pack): the exact float values.
  const std::vector<float> expected = {
      -0.9701898097991943f,  0.19401895999908447f, -1.2356207370758057f, 1.9239267110824585f,
      -0.07318150997161865f, 0.13913749158382416f, -1.106665015220642f,  0.3266829550266266f};
  NormalRng rng(42, 0);
  for (float e : expected) CHECK(rng.normal() == e);
}

TEST_CASE("seed and stream use all 64 bits", "[rng][golden]") {
  // Seed 2^40 + 5, stream 2^33 + 7 (reference script): block 0's raw outputs, normals 0..5 and
  // 1000..1002.
  const uint64_t seed = (uint64_t(1) << 40) + 5, stream = (uint64_t(1) << 33) + 7;
  NormalRng raw(seed, stream);
  CHECK(raw.next_u32() == 0x8c7a05d9u);
  CHECK(raw.next_u32() == 0x565d56c9u);
  CHECK(raw.next_u32() == 0x3199ab9du);
  CHECK(raw.next_u32() == 0xc463986eu);

  NormalRng rng(seed, stream);
  std::vector<float> v(1003);
  rng.fill(v.data(), v.size());
  CHECK(v[0] == -0.5716217160224915f);
  CHECK(v[1] == 0.9346234202384949f);
  CHECK(v[2] == 0.19478830695152283f);
  CHECK(v[3] == -1.8012272119522095f);
  CHECK(v[4] == -0.7946519255638123f);
  CHECK(v[5] == 0.7662962079048157f);
  CHECK(v[1000] == -1.4713432788848877f);
  CHECK(v[1001] == 0.4251568019390106f);
  CHECK(v[1002] == -0.32901328802108765f);
}

TEST_CASE("a saved state resumes the exact sequence", "[rng][state]") {
  for (int skip : {0, 1, 3, 4, 5, 11}) {
    INFO("skip = " << skip);
    NormalRng rng(123, 9);
    for (int i = 0; i < skip; ++i) rng.normal();
    const NormalRng::State saved = rng.state();
    std::vector<float> first(10), again(10);
    rng.fill(first.data(), first.size());

    NormalRng other(0, 0);
    other.set_state(saved);
    other.fill(again.data(), again.size());
    CHECK(first == again);
    CHECK(other.state().seed == 123);
    CHECK(other.state().stream == 9);
  }
  NormalRng rng(1, 1);
  CHECK_THROWS_AS(rng.set_state({1, 1, 0, 5}), std::invalid_argument);
}

TEST_CASE("normals have the moments of N(0, 1) and streams are uncorrelated", "[rng][moments]") {
  // 2^20 samples: standard errors of mean, variance, skewness and excess kurtosis are
  // 1.0e-3, 1.4e-3, 2.4e-3 and 4.8e-3; the tolerances are about 5 standard errors.
  const size_t n = size_t(1) << 20;
  std::vector<float> a(n), b(n);
  NormalRng(2024, 0).fill(a.data(), n);
  NormalRng(2024, 1).fill(b.data(), n);
  double m1 = 0, m2 = 0, m3 = 0, m4 = 0, ab = 0, max_abs = 0;
  for (size_t i = 0; i < n; ++i) {
    const double x = a[i];
    m1 += x;
    m2 += x * x;
    m3 += x * x * x;
    m4 += x * x * x * x;
    ab += x * b[i];
    max_abs = std::max(max_abs, std::fabs(x));
  }
  m1 /= n, m2 /= n, m3 /= n, m4 /= n, ab /= n;
  const double var = m2 - m1 * m1;
  CHECK(std::fabs(m1) < 5e-3);
  CHECK(std::fabs(var - 1.0) < 7e-3);
  CHECK(std::fabs(m3) < 1.2e-2);
  CHECK(std::fabs(m4 - 3.0) < 2.5e-2);
  CHECK(std::fabs(ab) < 5e-3);
  CHECK(max_abs < 6.77);  // Box-Muller on 32-bit uniforms: |z| <= sqrt(2 * 33 ln 2)

  // Tail mass beyond 2 sigma: 0.0455003 for N(0, 1); binomial standard error 2.0e-4.
  size_t tail = 0;
  for (float x : a) tail += std::fabs(x) > 2.0f;
  CHECK(std::fabs(double(tail) / n - 0.0455003) < 1e-3);
}
