// Helpers of the native tests: a fresh scratch folder per test, writing bytes, reading files,
// and the MNIST subset that scripts/data.sh makes.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

// LibTorch's glog defines CHECK too: include it first and drop its CHECK, so that every CHECK
// below is Catch's (counted and reported).
#include <torch/torch.h>
#undef CHECK
#include <catch2/catch.hpp>

namespace ddpm::testing {

// An empty folder under the build tree, named after the test.
inline std::string scratch_dir(const std::string& name) {
  auto dir = std::filesystem::path(DDPM_BINARY_DIR) / "native-test-scratch" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// IDX bytes: magic 0 0 type ndims, big-endian sizes, payload.
inline std::vector<uint8_t> idx_bytes(const std::vector<uint32_t>& dims,
                                      const std::vector<uint8_t>& payload, uint8_t type = 8) {
  std::vector<uint8_t> b{0, 0, type, uint8_t(dims.size())};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(d >> s));
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

// The MNIST digits of scripts/data.sh; runs the script when they are missing, and fails the
// test (not skips it) when they still are.
inline std::string mnist_dir() {
  const std::string dir = std::string(DDPM_SOURCE_DIR) + "/data/mnist";
  const std::string images = dir + "/train-images-idx3-ubyte";
  if (!std::filesystem::exists(images)) {
    const std::string cmd = "bash '" + std::string(DDPM_SOURCE_DIR) + "/scripts/data.sh'";
    (void)std::system(cmd.c_str());
  }
  INFO("the MNIST digits are missing: run scripts/setup.sh, then scripts/data.sh");
  REQUIRE(std::filesystem::exists(images));
  return dir;
}

}  // namespace ddpm::testing
