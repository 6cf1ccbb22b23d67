// PNG grids through stb_image_write (compiled here with static linkage, so that other users of
// stb in the program do not clash), encoded to memory and then written atomically.
#include "image/png_grid.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>

#include "atomic_file.hpp"

namespace ddpm {

std::string encode_png_grid(const float* images, const GridLayout& g) {
  if (g.n < 1 || g.columns < 1 || (g.channels != 1 && g.channels != 3))
    throw std::invalid_argument("png grid: expected n, columns >= 1 and 1 or 3 channels");
  const int rows = (g.n + g.columns - 1) / g.columns, cols = std::min(g.n, g.columns);
  const int H = rows * (g.height + g.padding) + g.padding;
  const int W = cols * (g.width + g.padding) + g.padding;
  const int C = g.channels;

  // canvas [H, W, C] bytes; pixel v in [-1, 1] -> round((v + 1) * 127.5)
  std::vector<uint8_t> canvas(size_t(H) * W * C, 0);
  const size_t plane = size_t(g.height) * g.width;
  for (int i = 0; i < g.n; ++i) {
    const int y0 = g.padding + (i / g.columns) * (g.height + g.padding);
    const int x0 = g.padding + (i % g.columns) * (g.width + g.padding);
    for (int c = 0; c < C; ++c)
      for (int y = 0; y < g.height; ++y)
        for (int x = 0; x < g.width; ++x) {
          const float v = images[(size_t(i) * C + c) * plane + size_t(y) * g.width + x];
          const float u = std::clamp(std::isfinite(v) ? v : 0.0f, -1.0f, 1.0f);
          canvas[(size_t(y0 + y) * W + x0 + x) * C + c] = uint8_t(std::lround((u + 1) * 127.5f));
        }
  }

  std::string bytes;
  auto append = [](void* ctx, void* data, int size) {
    static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), size_t(size));
  };
  if (!stbi_write_png_to_func(append, &bytes, W, H, C, canvas.data(), W * C))
    throw std::runtime_error("png grid: encoding failed");
  return bytes;
}

void write_png_grid(const std::string& path, const float* images, const GridLayout& layout) {
  write_file_atomic(path, encode_png_grid(images, layout));
}

}  // namespace ddpm
