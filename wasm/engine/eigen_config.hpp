// How the engine configures Eigen: included before any Eigen header in wasm/engine/, so every
// engine translation unit instantiates Eigen's kernels with the same settings.
#pragma once

// The engine splits work across threads itself (parallel.hpp); Eigen's own GEMM threading
// would allocate per call.
#define EIGEN_DONT_PARALLELIZE
// GEMM packing buffers of the engine's column tiles (at most about 1 MiB) go on the stack,
// so a forward pass makes no heap allocation.
#define EIGEN_STACK_ALLOCATION_LIMIT (2 * 1024 * 1024)

// GCC 12 reports false "may be used uninitialized" warnings inside its AVX-512 intrinsics
// when Eigen's packet code is compiled with -march=native.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <Eigen/Core>

namespace ddpm::engine {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Strided = Eigen::OuterStride<Eigen::Dynamic>;
// A row-major matrix view whose rows are `stride` floats apart (a block of an activation).
using MatrixView = Eigen::Map<RowMatrix, Eigen::Unaligned, Strided>;
using ConstMatrixView = Eigen::Map<const RowMatrix, Eigen::Unaligned, Strided>;

}  // namespace ddpm::engine
