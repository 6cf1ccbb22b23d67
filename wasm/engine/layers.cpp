// The engine's layers on the channel-major batch layout of layers.hpp: im2col + GEMM
// convolutions tiled over output positions, GroupNorm + SiLU, linear, up-sampling.
#include "engine/layers.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/eigen_config.hpp"
#include "engine/gemm.hpp"
#include "engine/parallel.hpp"

namespace ddpm::engine {

namespace {

// Element-wise work below this many floats runs on one thread.
constexpr long kMinParallelFloats = 1L << 16;

// The output positions of one tile cut into runs along output rows (fixed image and oy).
struct TileRuns {
  int count = 0;
  ImageRun* runs = nullptr;
};

TileRuns tile_runs(long p0, int cols, int wo, long hw_out, ImageRun* buffer) {
  TileRuns r{0, buffer};
  long p = p0;
  for (int t = 0; t < cols;) {
    const long img = p / hw_out, rem = p - img * hw_out;
    const int oy = int(rem / wo), ox0 = int(rem % wo);
    const int len = std::min(wo - ox0, cols - t);
    buffer[r.count++] = ImageRun{img, oy, ox0, len, t};
    t += len, p += len;
  }
  return r;
}

// Writes the im2col rows (c * 9 + ky * 3 + kx) of a 3x3, padding-1 convolution for the output
// positions [p0, p0 + cols): row r, column j holds x[c, i, oy * s + ky - 1, ox * s + kx - 1]
// (0 outside the image) for the position p0 + j = (i, oy, ox). Channel c of image i starts at
// x + c * P_in + i * h * w.
void im2col3x3(const float* x, long P_in, int in, int h, int w, int stride, TileRuns tile,
               int cols, float* col) {
  const long hw = long(h) * w;
  for (int c = 0; c < in; ++c) {
    const float* xc = x + c * P_in;
    for (int ky = 0; ky < 3; ++ky) {
      // the three rows kx = 0, 1, 2 of this (c, ky) read the same input row, shifted
      float* __restrict row0 = col + long(c * 9 + ky * 3) * cols;
      float* __restrict row1 = row0 + cols;
      float* __restrict row2 = row1 + cols;
      for (int r = 0; r < tile.count; ++r) {
        const ImageRun& run = tile.runs[r];
        const int iy = run.oy * stride + ky - 1, len = run.len, t = run.t;
        if (iy < 0 || iy >= h) {
          for (int j = 0; j < len; ++j) row0[t + j] = row1[t + j] = row2[t + j] = 0.0f;
          continue;
        }
        const float* src = xc + run.img * hw + long(iy) * w;
        if (stride == 1) {
          // column j reads src[ox0 + j + kx - 1]: only the first (kx = 0, ox0 = 0) and the
          // last (kx = 2, run ending at the row's end) can fall outside the row
          const float* __restrict s = src + run.ox0;
          const int first = run.ox0 == 0 ? 1 : 0;
          const int last = run.ox0 + len == w ? 1 : 0;
          if (first) row0[t] = 0.0f;
          for (int j = first; j < len; ++j) row0[t + j] = s[j - 1];
          for (int j = 0; j < len; ++j) row1[t + j] = s[j];
          for (int j = 0; j < len - last; ++j) row2[t + j] = s[j + 1];
          if (last) row2[t + len - 1] = 0.0f;
        } else {
          float* rows[3] = {row0, row1, row2};
          for (int kx = 0; kx < 3; ++kx)
            for (int j = 0; j < len; ++j) {
              const int ix = (run.ox0 + j) * stride + kx - 1;
              rows[kx][t + j] = (ix >= 0 && ix < w) ? src[ix] : 0.0f;
            }
        }
      }
    }
  }
}

}  // namespace

int conv_out_size(const Conv& conv, int size) {
  return (size + 2 * (conv.k / 2) - conv.k) / conv.stride + 1;
}

void conv2d(const Conv& conv, const float* x, int h, int w, float* out, const ConvEpilogue& epi,
            const Context& ctx) {
  // x [in, n, h, w] -> out [out, n, ho, wo]; GEMM [out, K] x [K, P] with K = in * k * k
  const int ho = conv_out_size(conv, h), wo = conv_out_size(conv, w);
  const long P_in = long(ctx.n) * h * w, P = long(ctx.n) * ho * wo, hw_out = long(ho) * wo;
  const long K = long(conv.in) * conv.k * conv.k;

  // tiles of output positions; at least one per thread when there is enough work
  long tiles = (P + ctx.tile_cols - 1) / ctx.tile_cols;
  if (ctx.threads > 1 && tiles < ctx.threads && P >= 64L * ctx.threads) tiles = ctx.threads;
  const long T = ((P + tiles - 1) / tiles + 15) / 16 * 16;
  tiles = (P + T - 1) / T;

  parallel_for(int(tiles), ctx.threads, [&](int tile, int thread) {
    const long p0 = tile * T;
    const int cols = int(std::min(T, P - p0));

    const TileRuns runs = tile_runs(p0, cols, wo, hw_out, ctx.run_buffers[thread]);

    // epilogue first: the GEMM accumulates onto bias (+ image bias) (+ residual)
    if (!epi.accumulate) {
      for (int o = 0; o < conv.out; ++o) {
        float* row = out + o * P + p0;
        std::fill(row, row + cols, conv.bias[o]);
        if (epi.image_bias) {
          for (int r = 0; r < runs.count; ++r) {
            const float b = epi.image_bias[o * ctx.n + runs.runs[r].img];
            float* seg = row + runs.runs[r].t;
            for (int j = 0; j < runs.runs[r].len; ++j) seg[j] += b;
          }
        }
        if (epi.residual) {
          const float* r = epi.residual + o * P + p0;
          for (int j = 0; j < cols; ++j) row[j] += r[j];
        }
      }
    } else {
      for (int o = 0; o < conv.out; ++o) {
        float* row = out + o * P + p0;
        for (int j = 0; j < cols; ++j) row[j] += conv.bias[o];
      }
    }

    // the GEMM: a 1x1 convolution reads x directly, a 3x3 one an im2col tile
    GemmOperands g;
    g.m = conv.out, g.n = cols, g.k = int(K);
    g.a = conv.weight, g.lda = K;
    g.c = out + p0, g.ldc = P;
    if (conv.k == 1) {
      g.b = x + p0, g.ldb = P_in;
    } else {
      float* col = ctx.col_tiles[thread];
      im2col3x3(x, P_in, conv.in, h, w, conv.stride, runs, cols, col);
      g.b = col, g.ldb = cols;
    }
    gemm(g);
  });
}

void group_norm(const Norm& norm, const float* x, int h, int w, float* out, bool silu,
                const Context& ctx) {
  const long hw = long(h) * w, P = long(ctx.n) * hw;
  const int cg = norm.channels / norm.groups;
  const double count = double(cg) * hw;

  // one work item per (image, group): statistics in two passes, then scale, shift, SiLU;
  // small maps stay on one thread (a parallel region costs more than they do)
  const int threads = P * norm.channels >= kMinParallelFloats ? ctx.threads : 1;
  parallel_for(ctx.n * norm.groups, threads, [&](int item, int) {
    const int img = item / norm.groups, g = item % norm.groups;
    auto segment = [&](const float* base, int c) {
      return Eigen::Map<const Eigen::ArrayXf>(base + c * P + img * hw, hw);
    };
    double sum = 0.0;
    for (int c = g * cg; c < (g + 1) * cg; ++c) sum += segment(x, c).sum();
    const double mean = sum / count;
    double sq = 0.0;
    for (int c = g * cg; c < (g + 1) * cg; ++c) sq += (segment(x, c) - float(mean)).square().sum();
    const double rstd = 1.0 / std::sqrt(sq / count + 1e-5);  // Wu & He 2018, Eq. 1

    for (int c = g * cg; c < (g + 1) * cg; ++c) {
      const float a = float(norm.weight[c] * rstd);
      const float b = float(norm.bias[c] - mean * norm.weight[c] * rstd);
      Eigen::Map<Eigen::ArrayXf> o(out + c * P + img * hw, hw);
      o = segment(x, c) * a + b;
      if (silu) o = o / (1.0f + (-o).exp());  // SiLU (Elfwing et al. 2018)
    }
  });
}

void linear(const Linear& layer, const float* x, float* out, int n) {
  Eigen::Map<const RowMatrix> W(layer.weight, layer.out, layer.in);
  Eigen::Map<const RowMatrix> X(x, layer.in, n);
  Eigen::Map<RowMatrix> O(out, layer.out, n);
  O.noalias() = W * X;
  O.colwise() += Eigen::Map<const Eigen::VectorXf>(layer.bias, layer.out);
}

void silu(float* x, long count) {
  Eigen::Map<Eigen::ArrayXf> a(x, count);
  a = a / (1.0f + (-a).exp());
}

void upsample_nearest2x(const float* x, int c, int h, int w, float* out, const Context& ctx) {
  const long hw = long(h) * w, P = ctx.n * hw, P2 = 4 * P;
  const int threads = P2 * c >= kMinParallelFloats ? ctx.threads : 1;
  parallel_for(c, threads, [&](int ch, int) {
    for (int img = 0; img < ctx.n; ++img) {
      const float* src = x + ch * P + img * hw;
      float* dst = out + ch * P2 + img * 4 * hw;
      for (int y = 0; y < h; ++y) {
        float* row = dst + long(2 * y) * 2 * w;
        for (int xx = 0; xx < w; ++xx) row[2 * xx] = row[2 * xx + 1] = src[y * w + xx];
        std::memcpy(row + 2 * w, row, sizeof(float) * 2 * w);
      }
    }
  });
}

}  // namespace ddpm::engine
