// Output files written to a temporary file, then renamed into place.
#include "atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace ddpm {

std::string output_target(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return path;  // not there yet: a new file
  std::string target = path;
  if (S_ISLNK(st.st_mode)) {
    char* resolved = realpath(path.c_str(), nullptr);
    if (!resolved || stat(resolved, &st) != 0) {
      std::free(resolved);
      throw std::runtime_error(path +
                               ": a link that leads to no file; remove it or give "
                               "another path");
    }
    target = resolved;
    std::free(resolved);
  }
  if (!S_ISREG(st.st_mode))
    throw std::runtime_error(path + ": exists and is not a regular file (" +
                             (S_ISDIR(st.st_mode) ? "a folder" : "a device, FIFO or socket") +
                             "); refusing to replace it");
  return target;
}

std::string temp_path_for(const std::string& target) {
  return target + "." + std::to_string(static_cast<long>(getpid())) + ".tmp";
}

int create_new_file(const std::string& path) {
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return -1;
  return open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
}

bool can_create_file_in(const std::string& dir) {
  const std::string probe = temp_path_for(dir + "/.ddpm") + ".write-test";
  const int fd = create_new_file(probe);
  if (fd < 0) return false;
  close(fd);
  unlink(probe.c_str());
  return true;
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  const std::string target = output_target(path);
  const std::string tmp = temp_path_for(target);
  const int fd = create_new_file(tmp);
  std::FILE* f = fd < 0 ? nullptr : fdopen(fd, "wb");
  if (!f) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) close(fd);
    throw std::runtime_error("cannot write " + tmp + ": " + why);
  }
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) {
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot write " + tmp + " (disk full?)");
  }
  if (std::rename(tmp.c_str(), target.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot rename " + tmp + " to " + target + ": " + why);
  }
}

}  // namespace ddpm
