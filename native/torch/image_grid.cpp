// Sample grids as PNG: tiles laid out row-major with black padding, through stb_image_write
// (compiled here with static linkage, so other users of stb in the program do not clash).
#include "torch/image_grid.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <stdexcept>

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#if __has_include(<stb_image_write.h>)
#include <stb_image_write.h>
#else
#include <stb/stb_image_write.h>
#endif

namespace ddpm::native {

void write_image_grid(const std::string& path, const std::vector<float>& images,
                      const GridOptions& o) {
  const int c = o.channels, h = o.height, w = o.width, p = o.padding;
  const size_t per_image = size_t(c) * h * w;
  if (images.size() != per_image * o.rows * o.columns)
    throw std::invalid_argument("image grid: expected rows * columns images");

  // canvas (H', W', C) with padding around every tile
  const int gh = o.rows * (h + p) + p, gw = o.columns * (w + p) + p;
  std::vector<uint8_t> canvas(size_t(gh) * gw * c, 0);
  for (int r = 0; r < o.rows; ++r)
    for (int q = 0; q < o.columns; ++q) {
      const float* img = images.data() + (size_t(r) * o.columns + q) * per_image;
      for (int ch = 0; ch < c; ++ch)
        for (int y = 0; y < h; ++y)
          for (int x = 0; x < w; ++x) {
            float v = std::clamp(img[(size_t(ch) * h + y) * w + x], -1.0f, 1.0f);
            size_t at = (size_t(p + r * (h + p) + y) * gw + (p + q * (w + p) + x)) * c + ch;
            canvas[at] = uint8_t(std::lround((v + 1.0f) * 127.5f));
          }
    }

  // temporary file, then rename
  const std::string tmp = path + ".tmp";
  if (!stbi_write_png(tmp.c_str(), gw, gh, c, canvas.data(), gw * c)) {
    std::remove(tmp.c_str());
    throw std::runtime_error(path + ": cannot write the PNG");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw std::runtime_error(path + ": cannot rename " + tmp + " into place");
  }
}

}  // namespace ddpm::native
