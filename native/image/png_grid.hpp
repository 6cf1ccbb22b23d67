// A batch of images in [-1, 1] as one PNG grid (stb_image_write), written atomically: the
// sample grids of `ddpm sample` and `ddpm train`.
#pragma once

#include <string>

namespace ddpm {

struct GridLayout {
  int n = 1;                                  // images
  int channels = 1, height = 28, width = 28;  // each image, N, C, H, W; 1 or 3 channels
  int columns = 8;                            // images per grid row
  int padding = 2;                            // black pixels around every tile
};

// The PNG file's bytes for n images (N, C, H, W floats, clamped to [-1, 1], NaN as 0). Throws
// std::invalid_argument for a bad layout.
std::string encode_png_grid(const float* images, const GridLayout& layout);

// encode_png_grid, then write_file_atomic.
void write_png_grid(const std::string& path, const float* images, const GridLayout& layout);

}  // namespace ddpm
