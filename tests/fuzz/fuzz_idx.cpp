// libFuzzer target: the IDX reader (native/torch/idx) on arbitrary bytes written as a file.
// zlib reads raw files and gzip streams alike, so inputs starting 1f 8b test corrupt gzip.
// Every failure must be a std::invalid_argument naming the file.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "fuzz_support.hpp"
#include "torch/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = ddpm::fuzz::scratch_path("idx");
  ddpm::fuzz::write_file(path, data, size);
  try {
    const ddpm::native::IdxArray a = ddpm::native::read_idx(path);
    int64_t count = 1;
    for (int64_t d : a.dims) count *= d;
    if (count != static_cast<int64_t>(a.data.size()))
      ddpm::fuzz::contract_broken("fuzz_idx", "dims and payload disagree");
  } catch (const std::invalid_argument& e) {
    if (!ddpm::fuzz::starts_with(e.what(), path + ": "))
      ddpm::fuzz::contract_broken("fuzz_idx", e.what());
  } catch (const std::exception& e) {
    ddpm::fuzz::contract_broken("fuzz_idx", std::string("not an invalid_argument: ") + e.what());
  }
  return 0;
}
