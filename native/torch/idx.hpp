// Reading IDX files (the format of MNIST, Fashion-MNIST, KMNIST, EMNIST), raw or gzip, with
// validation of magic, type, dimensions and length before anything large is allocated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ddpm::native {

// Limits checked on the header, before allocating (docs/limits.md).
struct IdxLimits {
  int64_t max_items = 10'000'000;          // first dimension
  int64_t max_side = 256;                  // every other dimension
  int64_t max_bytes = int64_t(1) << 30;    // payload after decompression: 1 GiB
};

// An unsigned-byte IDX array: dims as in the header, data row-major.
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

// Reads `path`, gzip (detected by its magic 1f 8b) or raw. Throws std::invalid_argument naming
// the file and what is wrong: missing, wrong magic, type not 0x08, dimensions out of the
// limits, truncated, or trailing bytes.
IdxArray read_idx(const std::string& path, const IdxLimits& limits = {});

// Grayscale images with optional labels, pixels scaled to [-1, 1].
struct ImageSet {
  int64_t count = 0;
  int channels = 1, height = 0, width = 0;
  std::vector<float> pixels;  // count * channels * height * width, N, C, H, W
  std::vector<int> labels;    // empty, or one per image
  int num_labels() const;     // 1 + the largest label, 0 without labels
};

// images: an IDX file of 3 dimensions [N, H, W]; labels: "" or an IDX file of 1 dimension
// [N] with the same N.
ImageSet load_image_set(const std::string& images_path, const std::string& labels_path,
                        const IdxLimits& limits = {});

// The files of one split ("train" or "t10k") in a folder: `<split>-images-idx3-ubyte` or
// `<split>-images.idx3-ubyte`, each optionally `.gz`; labels likewise (may be absent).
struct IdxFiles {
  std::string images, labels;  // labels "" when absent
};
IdxFiles find_idx_files(const std::string& dir, const std::string& split);

}  // namespace ddpm::native
