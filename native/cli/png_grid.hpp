// A batch of images in [-1, 1] as one PNG grid (stb_image_write), written atomically.
#pragma once

#include <string>

namespace ddpm::cli {

struct GridLayout {
  int n = 1;                                  // images
  int channels = 1, height = 28, width = 28;  // each image, N, C, H, W; 1 or 3 channels
  int columns = 8;                            // images per grid row
  int padding = 2;                            // black pixels around every tile
};

// The PNG file's bytes for n images (N, C, H, W floats, clamped to [-1, 1]).
std::string encode_png_grid(const float* images, const GridLayout& layout);

// encode_png_grid, then write_file_atomic.
void write_png_grid(const std::string& path, const float* images, const GridLayout& layout);

}  // namespace ddpm::cli
