// Writing output files so that no half-written file is ever left: a temporary file beside the
// target, then a rename. And the check, before long work starts, that an output can be made.
#pragma once

#include <string>

namespace ddpm::cli {

// Writes `bytes` to path + ".tmp", then renames it to path; on failure removes the temporary
// file and throws std::runtime_error naming the file.
void write_file_atomic(const std::string& path, const std::string& bytes);

// Throws std::invalid_argument ("<flag> <path>: folder <dir> does not exist") unless the
// folder that would hold `path` exists.
void require_parent_folder(const std::string& flag, const std::string& path);

// Throws std::invalid_argument unless `dir` is an existing folder.
void require_folder(const std::string& flag, const std::string& dir);

}  // namespace ddpm::cli
