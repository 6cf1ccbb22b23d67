// The IDX reader on crafted good and bad files (raw and gzip) and on the real data sets.
#include "native_test_util.hpp"  // first: LibTorch, then Catch (see there)

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "torch/idx.hpp"

using namespace ddpm::native;
using ddpm::testing::idx_bytes;
using ddpm::testing::scratch_dir;
using ddpm::testing::write_bytes;

namespace {

void write_gzip(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), unsigned(bytes.size()));
  gzclose(f);
}

// Two 2x3 images and their labels.
const std::vector<uint8_t> kPixels{0, 51, 102, 153, 204, 255, 255, 0, 0, 0, 0, 127};
const std::vector<uint8_t> kLabels{7, 3};

// The message of the exception `f` throws (empty when none).
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a raw IDX image file reads with pixels scaled to [-1, 1]", "[idx]") {
  const auto dir = scratch_dir("idx_raw");
  write_bytes(dir + "/img", idx_bytes({2, 2, 3}, kPixels));
  write_bytes(dir + "/lab", idx_bytes({2}, kLabels));
  auto set = load_image_set(dir + "/img", dir + "/lab");
  CHECK(set.count == 2);
  CHECK(set.height == 2);
  CHECK(set.width == 3);
  REQUIRE(set.pixels.size() == 12);
  // by hand: b / 127.5 - 1 -> 0: -1, 51: -0.6, 102: -0.2, 153: 0.2, 204: 0.6, 255: 1
  const std::vector<float> expected{-1, -0.6f, -0.2f, 0.2f, 0.6f, 1, 1, -1, -1, -1, -1,
                                    127 / 127.5f - 1};
  for (size_t i = 0; i < expected.size(); ++i) CHECK(set.pixels[i] == Approx(expected[i]));
  CHECK((set.labels == std::vector<int>{7, 3}));
  CHECK(set.num_labels() == 8);
}

TEST_CASE("a gzip IDX file reads the same as the raw one", "[idx]") {
  const auto dir = scratch_dir("idx_gzip");
  write_bytes(dir + "/img", idx_bytes({2, 2, 3}, kPixels));
  write_gzip(dir + "/img.gz", idx_bytes({2, 2, 3}, kPixels));
  auto raw = read_idx(dir + "/img");
  auto gz = read_idx(dir + "/img.gz");
  CHECK((gz.dims == std::vector<int64_t>{2, 2, 3}));
  CHECK(gz.data == raw.data);
  CHECK(gz.data == kPixels);
}

TEST_CASE("labels are optional", "[idx]") {
  const auto dir = scratch_dir("idx_nolabels");
  write_bytes(dir + "/img", idx_bytes({2, 2, 3}, kPixels));
  auto set = load_image_set(dir + "/img", "");
  CHECK(set.labels.empty());
  CHECK(set.num_labels() == 0);
}

TEST_CASE("bad IDX files are refused with a message naming the problem", "[idx]") {
  const auto dir = scratch_dir("idx_bad");
  auto good = idx_bytes({2, 2, 3}, kPixels);

  SECTION("missing file") {
    CHECK_THAT(error_of([&] { read_idx(dir + "/nope"); }),
               Catch::Contains("nope") && Catch::Contains("cannot open"));
  }
  SECTION("wrong magic") {
    auto b = good;
    b[1] = 0x42;
    write_bytes(dir + "/f", b);
    CHECK_THAT(error_of([&] { read_idx(dir + "/f"); }), Catch::Contains("not an IDX file"));
  }
  SECTION("type byte other than unsigned byte") {
    write_bytes(dir + "/f", idx_bytes({2, 2, 3}, kPixels, 0x0D));
    CHECK_THAT(error_of([&] { read_idx(dir + "/f"); }), Catch::Contains("type byte is 13"));
  }
  SECTION("truncated payload") {
    auto b = good;
    b.pop_back();
    write_bytes(dir + "/f", b);
    CHECK_THAT(error_of([&] { read_idx(dir + "/f"); }), Catch::Contains("truncated"));
  }
  SECTION("truncated header") {
    write_bytes(dir + "/f", std::vector<uint8_t>(good.begin(), good.begin() + 9));
    CHECK_THAT(error_of([&] { read_idx(dir + "/f"); }), Catch::Contains("truncated"));
  }
  SECTION("bytes after the payload") {
    auto b = good;
    b.push_back(1);
    write_bytes(dir + "/f", b);
    CHECK_THAT(error_of([&] { read_idx(dir + "/f"); }), Catch::Contains("longer than"));
  }
  SECTION("a truncated gzip stream") {
    write_gzip(dir + "/f.gz", good);
    auto gz = ddpm::testing::read_file(dir + "/f.gz");
    write_bytes(dir + "/cut.gz", std::vector<uint8_t>(gz.begin(), gz.begin() + gz.size() / 2));
    CHECK_THAT(error_of([&] { read_idx(dir + "/cut.gz"); }), Catch::Contains("cut.gz"));
  }
  SECTION("sizes beyond the limits, refused before allocating") {
    write_bytes(dir + "/f", idx_bytes({4000000000u, 28, 28}, {}));
    CHECK_THAT(error_of([&] { read_idx(dir + "/f"); }), Catch::Contains("dimension 0"));
    write_bytes(dir + "/g", idx_bytes({2, 300, 3}, {}));
    CHECK_THAT(error_of([&] { read_idx(dir + "/g"); }), Catch::Contains("dimension 1"));
    write_bytes(dir + "/h", idx_bytes({2, 0, 3}, {}));
    CHECK_THAT(error_of([&] { read_idx(dir + "/h"); }), Catch::Contains("dimension 1 is 0"));
  }
  SECTION("labels that do not match the images") {
    write_bytes(dir + "/img", good);
    write_bytes(dir + "/lab", idx_bytes({3}, {1, 2, 3}));
    CHECK_THAT(error_of([&] { load_image_set(dir + "/img", dir + "/lab"); }),
               Catch::Contains("has 3 labels") && Catch::Contains("has 2 images"));
  }
  SECTION("images with the wrong number of dimensions") {
    write_bytes(dir + "/img", idx_bytes({12}, kPixels));
    CHECK_THAT(error_of([&] { load_image_set(dir + "/img", ""); }),
               Catch::Contains("3 dimensions"));
  }
}

TEST_CASE("the data folders of scripts/data.sh read as MNIST-shaped IDX sets", "[idx][data]") {
  // Reference values from python3: gzip.open('.../train-labels-idx1-ubyte.gz').read()[8:18]
  // is [9, 0, 0, 3, 0, 2, 7, 2, 5, 5], 60,000 labels (Fashion-MNIST as Debian ships it).
  const auto mnist = ddpm::testing::mnist_dir();
  auto files = find_idx_files(mnist, "t10k");
  auto test = load_image_set(files.images, files.labels);
  CHECK(test.count == 1000);
  CHECK(test.num_labels() == 10);
  for (int d = 0; d < 10; ++d)
    CHECK(std::count(test.labels.begin(), test.labels.end(), d) == 100);
  CHECK(find_idx_files(mnist, "train").labels == mnist + "/train-labels-idx1-ubyte");

  const std::string fashion = std::string(DDPM_SOURCE_DIR) + "/data/fashion-mnist";
  INFO("Fashion-MNIST missing: run scripts/setup.sh, then scripts/data.sh");
  auto ff = find_idx_files(fashion, "train");
  auto labels = read_idx(ff.labels);
  REQUIRE(labels.dims == std::vector<int64_t>{60000});
  CHECK(std::vector<uint8_t>(labels.data.begin(), labels.data.begin() + 10) ==
        std::vector<uint8_t>{9, 0, 0, 3, 0, 2, 7, 2, 5, 5});
  auto images = read_idx(ff.images);
  CHECK((images.dims == std::vector<int64_t>{60000, 28, 28}));
}
