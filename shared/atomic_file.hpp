// Output files that are never left half-written: the bytes go to a temporary file beside the
// target, which is then renamed over it (a killed process leaves the previous file).
#pragma once

#include <string>

namespace ddpm {

// Writes `bytes` to path + ".tmp", then renames it to path; on failure removes the temporary
// file and throws std::runtime_error naming the file. No fsync: a power loss right after the
// rename can still lose the new file (docs/limits.md).
void write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace ddpm
