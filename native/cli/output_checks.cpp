// Checks of output folders and files before long work starts.
#include "cli/output_checks.hpp"

#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "atomic_file.hpp"

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
  try {
    output_target(path);  // a device, FIFO or dangling link is refused, not replaced
  } catch (const std::runtime_error& e) {
    throw std::invalid_argument(flag + " " + e.what());
  }
}

void require_writable_parent(const std::string& flag, const std::string& path) {
  require_parent_folder(flag, path);
  const std::string dir = std::filesystem::path(output_target(path)).parent_path().string();
  if (!can_create_file_in(dir.empty() ? "." : dir))
    throw std::invalid_argument(flag + " " + path + ": its folder is not writable");
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

void require_writable_folder(const std::string& flag, const std::string& dir) {
  require_folder(flag, dir);
  if (!can_create_file_in(dir))
    throw std::invalid_argument(flag + " " + dir + ": the folder is not writable");
}

void require_creatable_folder(const std::string& flag, const std::string& dir) {
  namespace fs = std::filesystem;
  if (dir.empty()) throw std::invalid_argument(flag + ": expected a folder, got ''");
  std::error_code ec;
  fs::path existing = fs::absolute(dir, ec).lexically_normal();
  while (!fs::exists(existing, ec) && existing.has_relative_path()) {
    if (fs::is_symlink(fs::symlink_status(existing, ec)))
      throw std::invalid_argument(flag + " " + dir + ": " + existing.string() +
                                  " is a link that leads nowhere");
    existing = existing.parent_path();
  }
  if (!fs::is_directory(existing, ec))
    throw std::invalid_argument(flag + " " + dir + ": " + existing.string() + " is not a folder");
  // a folder made and removed again where the first missing one would go
  const fs::path probe = temp_path_for((existing / ".ddpm").string()) + ".write-test";
  if (!fs::create_directory(probe, ec))
    throw std::invalid_argument(flag + " " + dir + ": cannot create folders in " +
                                existing.string());
  fs::remove(probe, ec);
}

}  // namespace ddpm::cli
