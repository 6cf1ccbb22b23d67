// Checks a checkpoint's zip structure and the CRC-32 of every record before LibTorch reads it:
// LibTorch 1.13 checks no CRC and trusts whatever sizes a corrupt record claims.
#pragma once

#include <cstdint>
#include <string>

namespace ddpm::native {

// The largest checkpoint accepted (docs/limits.md); real ones are a few tens of MB. It also
// bounds the sum of the records' uncompressed sizes.
constexpr uint64_t kMaxCheckpointBytes = uint64_t{1} << 30;

// Throws std::invalid_argument naming the file: "not a ddpm checkpoint (...)" when it is larger
// than max_bytes or not a zip archive (a truncated one included), "corrupt ddpm checkpoint
// (...)" when a record's bounds, headers, sizes or CRC-32 disagree.
void check_checkpoint_archive(const std::string& path, uint64_t max_bytes = kMaxCheckpointBytes);

}  // namespace ddpm::native
