// libFuzzer target: the IDX reader through its gzip path. The input is compressed into a
// valid gzip stream first, so mutations reach the IDX header and payload behind gzip.
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "fuzz_support.hpp"
#include "torch/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = ddpm::fuzz::scratch_path("idx-gz");
  gzFile f = gzopen(path.c_str(), "wb1");
  if (!f) std::abort();
  if (size && gzwrite(f, data, static_cast<unsigned>(size)) != static_cast<int>(size))
    std::abort();
  gzclose(f);
  try {
    const ddpm::native::IdxArray a = ddpm::native::read_idx(path);
    int64_t count = 1;
    for (int64_t d : a.dims) count *= d;
    // accepted: the decompressed bytes are exactly header + payload
    const size_t header = 4 + 4 * a.dims.size();
    if (count != static_cast<int64_t>(a.data.size()) || header + a.data.size() != size)
      ddpm::fuzz::contract_broken("fuzz_idx_gzip", "dims, payload and input disagree");
  } catch (const std::invalid_argument& e) {
    if (!ddpm::fuzz::starts_with(e.what(), path + ": "))
      ddpm::fuzz::contract_broken("fuzz_idx_gzip", e.what());
  } catch (const std::exception& e) {
    ddpm::fuzz::contract_broken("fuzz_idx_gzip",
                                std::string("not an invalid_argument: ") + e.what());
  }
  return 0;
}
