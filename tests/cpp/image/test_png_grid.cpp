// PNG grids (native/image/png_grid): the pixels a decoder reads back are the images mapped from
// [-1, 1] to 0..255 at their tiles, with black padding; bad layouts are refused.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <vector>

#include "atomic_file.hpp"
#include "image/png_grid.hpp"

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>

namespace {

struct Decoded {
  int w = 0, h = 0, c = 0;
  std::vector<unsigned char> pixels;
};

Decoded decode(const std::string& png) {
  Decoded d;
  unsigned char* p = stbi_load_from_memory(reinterpret_cast<const unsigned char*>(png.data()),
                                           int(png.size()), &d.w, &d.h, &d.c, 0);
  REQUIRE(p != nullptr);
  d.pixels.assign(p, p + size_t(d.w) * d.h * d.c);
  stbi_image_free(p);
  return d;
}

}  // namespace

TEST_CASE("a PNG grid decodes to the images at their tiles, padding black", "[png]") {
  // three 2x3 gray images in a grid of 2 columns, padding 1: 2 rows, 7 x 7 pixels
  ddpm::GridLayout g;
  g.n = 3, g.channels = 1, g.height = 2, g.width = 3, g.columns = 2, g.padding = 1;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> images = {
      -1,  0,  1,  0.5f, -0.5f, 2,     // image 0: 2 is clamped to 1
      1,   1,  1,  1,    1,     1,     // image 1: white
      nan, -3, -1, -1,   -1,    0.01f  // image 2: NaN -> 0 (mid grey), -3 -> -1
  };
  const Decoded d = decode(ddpm::encode_png_grid(images.data(), g));
  REQUIRE(d.w == 2 * (3 + 1) + 1);
  REQUIRE(d.h == 2 * (2 + 1) + 1);
  REQUIRE(d.c == 1);
  auto px = [&](int x, int y) { return int(d.pixels[size_t(y) * d.w + x]); };

  // round((v + 1) * 127.5): -1 -> 0, 0 -> 128, 1 -> 255, 0.5 -> 191, -0.5 -> 64
  CHECK(px(1, 1) == 0);
  CHECK(px(2, 1) == 128);
  CHECK(px(3, 1) == 255);
  CHECK(px(1, 2) == 191);
  CHECK(px(2, 2) == 64);
  CHECK(px(3, 2) == 255);
  for (int y = 1; y <= 2; ++y)
    for (int x = 5; x <= 7; ++x) CHECK(px(x, y) == 255);  // image 1, top right
  CHECK(px(1, 4) == 128);                                 // image 2, bottom left
  CHECK(px(2, 4) == 0);
  CHECK(px(3, 5) == 129);  // (1 + 0.01) * 127.5 = 128.8
  // padding and the empty fourth tile are black
  for (int x = 0; x < d.w; ++x) CHECK(px(x, 0) == 0);
  for (int y = 0; y < d.h; ++y) CHECK(px(4, y) == 0);
  for (int y = 4; y <= 5; ++y)
    for (int x = 5; x <= 7; ++x) CHECK(px(x, y) == 0);
}

TEST_CASE("an RGB grid keeps the channels apart", "[png]") {
  ddpm::GridLayout g;
  g.n = 1, g.channels = 3, g.height = 1, g.width = 1, g.columns = 1, g.padding = 0;
  const std::vector<float> images = {1, -1, 0};  // planes R, G, B
  const Decoded d = decode(ddpm::encode_png_grid(images.data(), g));
  REQUIRE(d.c == 3);
  CHECK(int(d.pixels[0]) == 255);
  CHECK(int(d.pixels[1]) == 0);
  CHECK(int(d.pixels[2]) == 128);
}

TEST_CASE("bad layouts are refused, and a written grid leaves no temporary file", "[png]") {
  const std::vector<float> images(16, 0.0f);
  ddpm::GridLayout g;
  g.n = 1, g.height = g.width = 4;
  g.channels = 2;
  CHECK_THROWS_AS(ddpm::encode_png_grid(images.data(), g), std::invalid_argument);
  g.channels = 1, g.columns = 0;
  CHECK_THROWS_AS(ddpm::encode_png_grid(images.data(), g), std::invalid_argument);
  g.columns = 1, g.n = 0;
  CHECK_THROWS_AS(ddpm::encode_png_grid(images.data(), g), std::invalid_argument);

  g.n = 1;
  const auto dir = std::filesystem::path(DDPM_BINARY_DIR) / "test_png_grid";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "grid.png").string();
  ddpm::write_png_grid(path, images.data(), g);
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  CHECK(decode(bytes.str()).w == 4 + 2 * 2);
  CHECK_FALSE(std::filesystem::exists(ddpm::temp_path_for(path)));
  CHECK_THROWS_AS(ddpm::write_png_grid((dir / "no/such/dir/x.png").string(), images.data(), g),
                  std::runtime_error);
}
