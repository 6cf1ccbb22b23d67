// Helpers shared by the libFuzzer targets: the fuzz input as a file (the parsers under test
// take paths), and a hard stop when a parser breaks its error contract.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace ddpm::fuzz {

// A per-process scratch path in /dev/shm (or /tmp), rewritten for every input and removed at
// exit.
inline const std::string& scratch_path(const char* name) {
  static const std::string& path = *new std::string([name] {  // outlives the exit handler
    const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::atexit([] { std::filesystem::remove_all(scratch_path("")); });
    return std::string(dir) + "/ddpm-fuzz-" + name + "-" + std::to_string(getpid());
  }());
  return path;
}

inline void write_file(const std::string& path, const uint8_t* data, size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
}

// A parser threw with a message that breaks its contract (must name the file or field).
[[noreturn]] inline void contract_broken(const char* target, const std::string& what) {
  std::fprintf(stderr, "%s: error contract broken: %s\n", target, what.c_str());
  std::abort();
}

inline bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace ddpm::fuzz
