// The engine's GEMM kernels (Eigen natively, the 4-lane SIMD kernel of the wasm build) against
// a double-precision triple loop, on shapes with every kind of remainder and strided rows.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "engine/gemm.hpp"
#include "rng.hpp"

namespace {

using ddpm::engine::GemmOperands;

// C (m x n, row stride n + 3) starts as c0; returns max |C - (c0 + A B)| over the matrix and
// checks that the padding columns are untouched.
double kernel_error(void (*kernel)(const GemmOperands&), int m, int n, int k) {
  ddpm::NormalRng rng(uint64_t(m * 10007 + n * 101 + k), 0);
  const long lda = k + 1, ldb = n + 2, ldc = n + 3;
  std::vector<float> a(size_t(m) * lda), b(size_t(k) * ldb), c(size_t(m) * ldc);
  rng.fill(a.data(), a.size());
  rng.fill(b.data(), b.size());
  rng.fill(c.data(), c.size());
  const std::vector<float> c0 = c;
  GemmOperands g;
  g.m = m, g.n = n, g.k = k;
  g.a = a.data(), g.lda = lda, g.b = b.data(), g.ldb = ldb, g.c = c.data(), g.ldc = ldc;
  kernel(g);

  double err = 0.0;
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      double ref = c0[i * ldc + j];
      for (int kk = 0; kk < k; ++kk) ref += double(a[i * lda + kk]) * b[kk * ldb + j];
      err = std::max(err, std::fabs(ref - c[i * ldc + j]) / std::sqrt(double(k) + 1));
    }
    for (long j = n; j < ldc; ++j)
      if (c[i * ldc + j] != c0[i * ldc + j]) return 1e9;  // wrote outside the matrix
  }
  return err;
}

}  // namespace

TEST_CASE("both GEMM kernels compute C += A B for every remainder of the tiles", "[gemm]") {
  for (int m : {1, 3, 4, 5, 32, 35})
    for (int n : {1, 7, 8, 9, 17, 64, 100})
      for (int k : {1, 9, 288}) {
        INFO("m " << m << ", n " << n << ", k " << k);
        // float sums of k products of N(0,1) values: error ~ 1e-7 sqrt(k) per entry
        CHECK(kernel_error(ddpm::engine::gemm_simd128, m, n, k) < 1e-5);
        CHECK(kernel_error(ddpm::engine::gemm_eigen, m, n, k) < 1e-5);
      }
}
