// A grid of images in [-1, 1] written as one PNG (stb_image_write), atomically.
#pragma once

#include <string>
#include <vector>

namespace ddpm::native {

struct GridOptions {
  int rows = 1, columns = 1;
  int channels = 1, height = 28, width = 28;  // each image; 1 (gray) or 3 (RGB) channels
  int padding = 2;                            // pixels between tiles (black)
};

// images: rows * columns images, N, C, H, W, values in [-1, 1] (clamped). Writes path + ".tmp"
// and renames; throws std::runtime_error naming the file when it cannot be written.
void write_image_grid(const std::string& path, const std::vector<float>& images,
                      const GridOptions& options);

}  // namespace ddpm::native
