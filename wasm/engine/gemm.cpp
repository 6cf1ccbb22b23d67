// C += A B: Eigen's blocked GEMM, or a 4 x 8 register tile of 4-lane vectors streaming rows of
// B (the im2col tile, contiguous rows) against broadcast entries of A (the weights).
#include "engine/gemm.hpp"

#include "engine/eigen_config.hpp"

namespace ddpm::engine {

void gemm_eigen(const GemmOperands& g) {
  MatrixView C(g.c, g.m, g.n, Strided(g.ldc));
  C.noalias() += ConstMatrixView(g.a, g.m, g.k, Strided(g.lda)) *
                 ConstMatrixView(g.b, g.k, g.n, Strided(g.ldb));
}

namespace {

typedef float f4 __attribute__((vector_size(16)));
typedef float f4u __attribute__((vector_size(16), aligned(4), may_alias));

inline f4 load(const float* p) {
  return *reinterpret_cast<const f4u*>(p);
}
inline void add_store(float* p, f4 v) {
  *reinterpret_cast<f4u*>(p) = load(p) + v;
}
inline f4 splat(float x) {
  return f4{x, x, x, x};
}

// Rows [i, i + R) and columns [j, j + 8) of C: R x 2 vector accumulators over all of k.
template <int R>
void tile(const GemmOperands& g, int i, int j) {
  f4 acc[R][2];
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = splat(0.0f);
  const float* a = g.a + long(i) * g.lda;
  const float* b = g.b + j;
  for (int kk = 0; kk < g.k; ++kk, b += g.ldb) {
    const f4 b0 = load(b), b1 = load(b + 4);
    for (int r = 0; r < R; ++r) {
      const f4 x = splat(a[r * g.lda + kk]);
      acc[r][0] += x * b0;
      acc[r][1] += x * b1;
    }
  }
  for (int r = 0; r < R; ++r) {
    float* c = g.c + long(i + r) * g.ldc + j;
    add_store(c, acc[r][0]);
    add_store(c + 4, acc[r][1]);
  }
}

}  // namespace

void gemm_simd128(const GemmOperands& g) {
  // 8-column panels of B, reused from cache by every 4-row block of A
  int j = 0;
  for (; j + 8 <= g.n; j += 8) {
    int i = 0;
    for (; i + 4 <= g.m; i += 4) tile<4>(g, i, j);
    for (; i < g.m; ++i) tile<1>(g, i, j);
  }

  // the last n % 8 columns, scalar
  for (int i = 0; i < g.m && j < g.n; ++i) {
    const float* a = g.a + long(i) * g.lda;
    float* c = g.c + long(i) * g.ldc;
    for (int jj = j; jj < g.n; ++jj) {
      float sum = 0.0f;
      for (int kk = 0; kk < g.k; ++kk) sum += a[kk] * g.b[long(kk) * g.ldb + jj];
      c[jj] += sum;
    }
  }
}

void gemm(const GemmOperands& g) {
#if defined(__wasm_simd128__)
  gemm_simd128(g);
#else
  gemm_eigen(g);
#endif
}

}  // namespace ddpm::engine
