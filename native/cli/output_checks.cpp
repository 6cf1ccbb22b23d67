// Checks of output folders and files before long work starts.
#include "cli/output_checks.hpp"

#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace ddpm::cli {

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

void require_writable_parent(const std::string& flag, const std::string& path) {
  require_parent_folder(flag, path);
  const std::string probe = path + ".write-test.tmp";
  std::FILE* f = std::fopen(probe.c_str(), "wb");
  if (!f) throw std::invalid_argument(flag + " " + path + ": its folder is not writable");
  std::fclose(f);
  std::remove(probe.c_str());
}

void require_distinct(const std::string& flag, const std::string& path,
                      const std::string& input_flag, const std::string& input) {
  namespace fs = std::filesystem;
  std::error_code ec;
  // the same file through another spelling or a link, or (not yet there) the same path
  const bool same = fs::exists(path, ec) && fs::exists(input, ec)
                        ? fs::equivalent(path, input, ec)
                        : fs::absolute(path, ec).lexically_normal() ==
                              fs::absolute(input, ec).lexically_normal();
  if (same)
    throw std::invalid_argument(flag + " " + path + ": the same file as " + input_flag +
                                " (it would be overwritten)");
}

void require_folder(const std::string& flag, const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw std::invalid_argument(flag + " " + dir + ": not an existing folder");
}

}  // namespace ddpm::cli
