// Philox4x32-10 counter-based generator (Salmon et al. 2011, Random123) and Box-Muller normals
// computed in double and rounded to float, so that every platform gives the same numbers.
#include "rng.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace ddpm {

namespace {

// Random123's multipliers and Weyl key increments for Philox4x32.
constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
constexpr double kTwoPi = 6.28318530717958647692;
constexpr double kInv2Pow32 = 1.0 / 4294967296.0;

inline void mulhilo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  const uint64_t p = uint64_t(a) * uint64_t(b);
  hi = uint32_t(p >> 32);
  lo = uint32_t(p);
}

}  // namespace

std::array<uint32_t, 4> philox4x32(std::array<uint32_t, 4> c, std::array<uint32_t, 2> k) {
  // Ten rounds of the Philox S-P network, bumping the key between rounds (Salmon et al. 2011,
  // Sec. 3.3).
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k[0] += kW0;
      k[1] += kW1;
    }
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo(kM0, c[0], hi0, lo0);
    mulhilo(kM1, c[2], hi1, lo1);
    c = {hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0};
  }
  return c;
}

NormalRng::NormalRng(uint64_t seed, uint64_t stream) : seed_(seed), stream_(stream) {
  load_block();
}

void NormalRng::load_block() {
  raw_ = philox4x32(
      {uint32_t(block_), uint32_t(block_ >> 32), uint32_t(stream_), uint32_t(stream_ >> 32)},
      {uint32_t(seed_), uint32_t(seed_ >> 32)});

  // Box-Muller on uniforms in (0, 1), never 0 (Box & Muller 1958).
  for (int pair = 0; pair < 2; ++pair) {
    const double v0 = (double(raw_[2 * pair]) + 0.5) * kInv2Pow32;
    const double v1 = (double(raw_[2 * pair + 1]) + 0.5) * kInv2Pow32;
    const double r = std::sqrt(-2.0 * std::log(v0));
    const double th = kTwoPi * v1;
    normal_[2 * pair] = float(r * std::cos(th));
    normal_[2 * pair + 1] = float(r * std::sin(th));
  }
}

float NormalRng::normal() {
  if (index_ == 4) {
    ++block_;
    load_block();
    index_ = 0;
  }
  return normal_[index_++];
}

uint32_t NormalRng::next_u32() {
  if (index_ == 4) {
    ++block_;
    load_block();
    index_ = 0;
  }
  return raw_[index_++];
}

void NormalRng::fill(float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = normal();
}

NormalRng::State NormalRng::state() const {
  return {seed_, stream_, block_, index_};
}

void NormalRng::set_state(const State& s) {
  if (s.index > 4)
    throw std::invalid_argument("rng state: index must be in 0..4, got " +
                                std::to_string(s.index));
  seed_ = s.seed;
  stream_ = s.stream;
  block_ = s.block;
  index_ = s.index;
  load_block();
}

}  // namespace ddpm
