// Tests of the timestep lists against diffusers' DDIMScheduler rules, emulated in plain Python
// (numpy's arange, linspace and round-half-to-even) by tests/cpp/core/make_reference.py.
#include <catch2/catch.hpp>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "timesteps.hpp"

using namespace ddpm;
using V = std::vector<int>;

// Lists printed by `python3 tests/cpp/core/make_reference.py` (numpy is not installed on the
// machine that made them; the script reproduces numpy's arithmetic, see its comments).
TEST_CASE("leading spacing matches diffusers at 10 and 50 steps", "[timesteps]") {
  CHECK(make_timesteps(1000, 10, Spacing::leading) ==
        V{901, 801, 701, 601, 501, 401, 301, 201, 101, 1});
  CHECK(make_timesteps(1000, 50, Spacing::leading) ==
        V{981, 961, 941, 921, 901, 881, 861, 841, 821, 801, 781, 761, 741, 721, 701, 681, 661,
          641, 621, 601, 581, 561, 541, 521, 501, 481, 461, 441, 421, 401, 381, 361, 341, 321,
          301, 281, 261, 241, 221, 201, 181, 161, 141, 121, 101, 81,  61,  41,  21,  1});
}

TEST_CASE("trailing spacing matches diffusers at 10 and 50 steps", "[timesteps]") {
  CHECK(make_timesteps(1000, 10, Spacing::trailing) ==
        V{1000, 900, 800, 700, 600, 500, 400, 300, 200, 100});
  CHECK(make_timesteps(1000, 50, Spacing::trailing) ==
        V{1000, 980, 960, 940, 920, 900, 880, 860, 840, 820, 800, 780, 760, 740, 720, 700, 680,
          660,  640, 620, 600, 580, 560, 540, 520, 500, 480, 460, 440, 420, 400, 380, 360, 340,
          320,  300, 280, 260, 240, 220, 200, 180, 160, 140, 120, 100, 80,  60,  40,  20});
}

TEST_CASE("linspace spacing matches diffusers at 10 and 50 steps", "[timesteps]") {
  CHECK(make_timesteps(1000, 10, Spacing::linspace) ==
        V{1000, 889, 778, 667, 556, 445, 334, 223, 112, 1});
  CHECK(make_timesteps(1000, 50, Spacing::linspace) ==
        V{1000, 980, 959, 939, 918, 898, 878, 857, 837, 817, 796, 776, 755, 735, 715, 694, 674,
          653,  633, 613, 592, 572, 551, 531, 511, 490, 470, 450, 429, 409, 388, 368, 348, 327,
          307,  286, 266, 246, 225, 205, 184, 164, 144, 123, 103, 83,  62,  42,  21,  1});
}

TEST_CASE("rounding is numpy's half to even", "[timesteps]") {
  // T / N = 62.5: 937.5 -> 938, 812.5 -> 812, 687.5 -> 688, 62.5 -> 62 (reference script).
  CHECK(make_timesteps(1000, 16, Spacing::trailing) ==
        V{1000, 938, 875, 812, 750, 688, 625, 562, 500, 438, 375, 312, 250, 188, 125, 62});
  CHECK(make_timesteps(1000, 16, Spacing::linspace) ==
        V{1000, 933, 867, 800, 734, 667, 600, 534, 467, 401, 334, 267, 201, 134, 68, 1});
  CHECK(make_timesteps(1000, 3, Spacing::trailing) == V{1000, 667, 333});
  CHECK(make_timesteps(1000, 3, Spacing::linspace) == V{1000, 501, 1});
  CHECK(make_timesteps(10, 7, Spacing::trailing) == V{10, 9, 7, 6, 4, 3, 1});
  CHECK(make_timesteps(10, 7, Spacing::linspace) == V{10, 9, 7, 5, 4, 3, 1});
  CHECK(make_timesteps(10, 4, Spacing::trailing) == V{10, 8, 5, 2});
  CHECK(make_timesteps(10, 4, Spacing::linspace) == V{10, 7, 4, 1});
  CHECK(make_timesteps(20, 8, Spacing::trailing) == V{20, 18, 15, 12, 10, 8, 5, 2});
  CHECK(make_timesteps(20, 8, Spacing::linspace) == V{20, 17, 15, 12, 9, 6, 4, 1});
}

TEST_CASE("every list has N distinct decreasing timesteps in 1..T", "[timesteps]") {
  // For N = 61 (and 61 other N at T = 1000) numpy's arange(T, 0, -T/N) has N + 1 elements, the
  // last one rounding to t = 0 (diffusers' -1); we keep the first N (reference script,
  // check_lists).
  CHECK(make_timesteps(1000, 61, Spacing::trailing).back() == 16);
  for (int T : {1, 2, 7, 999, 1000}) {
    for (int n = 1; n <= T; ++n) {
      for (Spacing sp : {Spacing::leading, Spacing::trailing, Spacing::linspace}) {
        const V ts = make_timesteps(T, n, sp);
        INFO("T = " << T << ", N = " << n << ", " << to_string(sp));
        REQUIRE(ts.size() == size_t(n));
        REQUIRE(ts.front() <= T);
        REQUIRE(ts.back() >= 1);
        for (size_t i = 1; i < ts.size(); ++i) REQUIRE(ts[i] < ts[i - 1]);
      }
    }
  }
  // All T steps give T..1 whatever the spacing.
  for (Spacing sp : {Spacing::leading, Spacing::trailing, Spacing::linspace}) {
    const V ts = make_timesteps(1000, 1000, sp);
    CHECK(ts.front() == 1000);
    CHECK(ts.back() == 1);
  }
}

TEST_CASE("bad step counts and names are rejected", "[timesteps][validation]") {
  CHECK_THROWS_WITH(make_timesteps(1000, 0, Spacing::leading), Catch::Contains("--steps"));
  CHECK_THROWS_WITH(make_timesteps(1000, 1001, Spacing::trailing), Catch::Contains("--steps"));
  CHECK_THROWS_AS(make_timesteps(0, 1, Spacing::linspace), std::invalid_argument);
  CHECK_THROWS_AS(parse_spacing("uniform"), std::invalid_argument);
  CHECK(parse_spacing("trailing") == Spacing::trailing);
  CHECK(std::string(to_string(Spacing::linspace)) == "linspace");
}
