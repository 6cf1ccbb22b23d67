// IDX reading: one zlib gzFile path serves raw and gzip files alike (zlib reads raw files
// transparently); the header is validated before the payload is allocated.
#include "torch/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace ddpm::native {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::invalid_argument(path + ": " + what);
}

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};

// Reads exactly n bytes; false when the file ends first.
bool read_exact(gzFile f, uint8_t* out, int64_t n) {
  while (n > 0) {
    const unsigned chunk = unsigned(std::min<int64_t>(n, 1 << 30));
    const int got = gzread(f, out, chunk);
    if (got <= 0) return false;
    out += got;
    n -= got;
  }
  return true;
}

// A readable regular file (not a folder, nor a FIFO, whose open would block).
bool file_exists(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    std::fclose(f);
    return true;
  }
  return false;
}

}  // namespace

IdxArray read_idx(const std::string& path, const IdxLimits& limits) {
  if (!file_exists(path)) fail(path, "cannot open (missing, unreadable or not a file)");
  std::unique_ptr<gzFile_s, GzCloser> file(gzopen(path.c_str(), "rb"));
  if (!file) fail(path, "cannot open (missing, unreadable or not a file)");

  // magic: 0x00 0x00, type 0x08 (unsigned byte), number of dimensions
  uint8_t magic[4];
  if (!read_exact(file.get(), magic, 4)) fail(path, "truncated: no 4-byte IDX magic");
  if (magic[0] != 0 || magic[1] != 0)
    fail(path, "not an IDX file (magic must start with two zero bytes)");
  if (magic[2] != 0x08)
    fail(path, "IDX type byte is " + std::to_string(magic[2]) + ", expected 8 (unsigned byte)");
  const int ndims = magic[3];
  if (ndims < 1 || ndims > 4)
    fail(path, "IDX has " + std::to_string(ndims) + " dimensions, expected 1 to 4");

  // sizes, big-endian uint32, checked against the limits before allocating
  IdxArray array;
  int64_t total = 1;
  for (int i = 0; i < ndims; ++i) {
    uint8_t b[4];
    if (!read_exact(file.get(), b, 4)) fail(path, "truncated inside the IDX header");
    const int64_t n = (int64_t(b[0]) << 24) | (int64_t(b[1]) << 16) | (int64_t(b[2]) << 8) | b[3];
    const int64_t limit = i == 0 ? limits.max_items : limits.max_side;
    if (n < 1 || n > limit)
      fail(path, "dimension " + std::to_string(i) + " is " + std::to_string(n) +
                     ", expected 1 to " + std::to_string(limit) + " (docs/limits.md)");
    array.dims.push_back(n);
    total *= n;
    if (total > limits.max_bytes)
      fail(path, "payload over " + std::to_string(limits.max_bytes) + " bytes (docs/limits.md)");
  }

  // payload: exactly `total` bytes, nothing after; read in chunks of 16 MiB, so that a header
  // claiming more than the file holds fails having allocated about what the file holds
  constexpr int64_t kChunk = int64_t(1) << 24;
  while (int64_t(array.data.size()) < total) {
    const size_t at = array.data.size();
    const int64_t n = std::min(kChunk, total - int64_t(at));
    array.data.resize(at + size_t(n));
    if (!read_exact(file.get(), array.data.data() + at, n))
      fail(path, "truncated: the header announces " + std::to_string(total) + " data bytes");
  }
  uint8_t extra;
  if (gzread(file.get(), &extra, 1) != 0)
    fail(path, "longer than its header announces (" + std::to_string(total) + " data bytes)");
  int err = 0;
  gzerror(file.get(), &err);
  if (err != Z_OK && err != Z_BUF_ERROR) fail(path, "corrupt gzip stream");
  return array;
}

int ImageSet::num_labels() const {
  return labels.empty() ? 0 : 1 + *std::max_element(labels.begin(), labels.end());
}

ImageSet load_image_set(const std::string& images_path, const std::string& labels_path,
                        const IdxLimits& limits) {
  // images [N, H, W] -> N, 1, H, W in [-1, 1]
  IdxArray images = read_idx(images_path, limits);
  if (images.dims.size() != 3)
    fail(images_path, "images need 3 dimensions [N, H, W], found " +
                          std::to_string(images.dims.size()));
  ImageSet set;
  set.count = images.dims[0];
  set.height = int(images.dims[1]);
  set.width = int(images.dims[2]);
  set.pixels.resize(images.data.size());
  std::transform(images.data.begin(), images.data.end(), set.pixels.begin(),
                 [](uint8_t b) { return float(b) / 127.5f - 1.0f; });

  // labels [N], optional
  if (!labels_path.empty()) {
    IdxArray labels = read_idx(labels_path, limits);
    if (labels.dims.size() != 1)
      fail(labels_path, "labels need 1 dimension [N], found " +
                            std::to_string(labels.dims.size()));
    if (labels.dims[0] != set.count)
      fail(labels_path, "has " + std::to_string(labels.dims[0]) + " labels but " +
                            images_path + " has " + std::to_string(set.count) + " images");
    set.labels.assign(labels.data.begin(), labels.data.end());
  }
  return set;
}

IdxFiles find_idx_files(const std::string& dir, const std::string& split) {
  auto find = [&](const std::string& kind, const std::string& dims) -> std::string {
    for (const char* sep : {"-", "."})
      for (const char* ext : {"", ".gz"}) {
        std::string p = dir + "/" + split + "-" + kind + sep + dims + "-ubyte" + ext;
        if (file_exists(p)) return p;
      }
    return "";
  };
  IdxFiles files{find("images", "idx3"), find("labels", "idx1")};
  if (files.images.empty())
    throw std::invalid_argument(dir + ": no " + split + "-images-idx3-ubyte[.gz] (IDX images);" +
                                " run scripts/data.sh or give a folder of IDX files");
  return files;
}

}  // namespace ddpm::native
