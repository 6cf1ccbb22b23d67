// Atomic output files (temporary file + rename) and checks of output folders.
#include "cli/atomic_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace ddpm::cli {

void write_file_atomic(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + tmp + ": " + std::strerror(errno));
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) {
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot write " + tmp + " (disk full?)");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot rename " + tmp + " to " + path + ": " + why);
  }
}

void require_parent_folder(const std::string& flag, const std::string& path) {
  namespace fs = std::filesystem;
  if (path.empty()) throw std::invalid_argument(flag + ": expected a file path, got ''");
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw std::invalid_argument(flag + " " + path + ": folder " + dir.string() +
                                " does not exist");
  if (fs::is_directory(path, ec))
    throw std::invalid_argument(flag + " " + path + ": is a folder, expected a file path");
}

void require_folder(const std::string& flag, const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw std::invalid_argument(flag + " " + dir + ": not an existing folder");
}

}  // namespace ddpm::cli
