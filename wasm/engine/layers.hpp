// The engine's layers: convolutions (3x3 with stride 1 or 2, 1x1) as tiled im2col + GEMM,
// GroupNorm with fused SiLU, linear layers, nearest up-sampling.
//
// Activation layout, for a batch of n images of c channels and h x w pixels: channel-major,
// then image, then pixel, i.e. element (c, i, y, x) at data[c * P + i * h * w + y * w + x]
// with P = n * h * w. A convolution is then one GEMM [out, in * k * k] x [in * k * k, P] over
// the whole batch, and a concatenation along channels is a concatenation of rows.
#pragma once

#include <vector>

namespace ddpm::engine {

// Parameters point into the engine's copy of the weights (row-major, as in the file).
struct Conv {
  const float* weight = nullptr;  // [out, in, k, k]
  const float* bias = nullptr;    // [out]
  int in = 0, out = 0, k = 3, stride = 1;
};
struct Norm {
  const float* weight = nullptr;  // [channels]
  const float* bias = nullptr;
  int channels = 0, groups = 1;
};
struct Linear {
  const float* weight = nullptr;  // [out, in]
  const float* bias = nullptr;    // [out]
  int in = 0, out = 0;
};

// A run of output positions along one output row: image img, row oy, columns ox0 ..
// ox0 + len - 1, at column t of a GEMM tile.
struct ImageRun {
  long img;
  int oy, ox0, len, t;
};

// The batch size of the current call, the thread count and per-thread scratch.
struct Context {
  int n = 1;
  int threads = 1;
  int tile_cols = 512;                 // output positions per GEMM tile
  std::vector<float*> col_tiles;       // per thread: im2col tile, max K * tile_cols floats
  std::vector<ImageRun*> run_buffers;  // per thread: tile_cols + 1 runs
};

// What a convolution adds to W * x: the bias always, optionally a per-image bias (the time
// embedding of a residual block), a residual input, or the output's previous contents.
struct ConvEpilogue {
  const float* image_bias = nullptr;  // [out, n]
  const float* residual = nullptr;    // [out, P], same layout as the output
  bool accumulate = false;            // out += conv(x) instead of out = conv(x)
};

int conv_out_size(const Conv& conv, int size);  // h -> h_out (padding k / 2)

// out = conv(x) (+ epilogue); x is [in, n, h, w], out [out, n, h_out, w_out]; out != x.
void conv2d(const Conv& conv, const float* x, int h, int w, float* out,
            const ConvEpilogue& epilogue, const Context& ctx);

// out = GroupNorm(x), then SiLU when `silu` (eps 1e-5, affine); out may equal x.
void group_norm(const Norm& norm, const float* x, int h, int w, float* out, bool silu,
                const Context& ctx);

// out [out, n] = W x + b for x [in, n] (features by images).
void linear(const Linear& layer, const float* x, float* out, int n);

// SiLU(x) = x * sigmoid(x), in place.
void silu(float* x, long count);

// Nearest-neighbour 2x up-sampling: [c, n, h, w] -> [c, n, 2h, 2w].
void upsample_nearest2x(const float* x, int c, int h, int w, float* out, const Context& ctx);

}  // namespace ddpm::engine
