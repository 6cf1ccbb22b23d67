// The checks, before long work starts, that an output can be made; the outputs themselves
// are written with ddpm::write_file_atomic (shared/atomic_file.hpp).
#pragma once

#include <string>

namespace ddpm::cli {

// Throws std::invalid_argument ("<flag> <path>: folder <dir> does not exist") unless the
// folder that would hold `path` exists.
void require_parent_folder(const std::string& flag, const std::string& path);

// require_parent_folder, and a file can be created in that folder (a probe file, removed).
void require_writable_parent(const std::string& flag, const std::string& path);

// Throws std::invalid_argument when the output `path` is the file `input` (under any
// spelling or link): writing it would destroy the input.
void require_distinct(const std::string& flag, const std::string& path,
                      const std::string& input_flag, const std::string& input);

// Throws std::invalid_argument unless `dir` is an existing folder.
void require_folder(const std::string& flag, const std::string& dir);

}  // namespace ddpm::cli
