// The engine's matrix product C += A B for the convolutions: Eigen's GEMM natively, and a
// 128-bit SIMD register-tiled kernel in WebAssembly, where Eigen has no vector code.
#pragma once

namespace ddpm::engine {

// C[m, n] += A[m, k] B[k, n]; all three row-major with the given row strides (in floats).
struct GemmOperands {
  int m = 0, n = 0, k = 0;
  const float* a = nullptr;
  long lda = 0;
  const float* b = nullptr;
  long ldb = 0;
  float* c = nullptr;
  long ldc = 0;
};

// The build's choice: gemm_simd128 under __wasm_simd128__, gemm_eigen elsewhere.
void gemm(const GemmOperands& g);

void gemm_eigen(const GemmOperands& g);
// Portable 4-lane vector code (GCC/Clang vector extensions): wasm SIMD128 under Emscripten,
// SSE natively (where it is compiled for the tests that compare it with gemm_eigen).
void gemm_simd128(const GemmOperands& g);

}  // namespace ddpm::engine
