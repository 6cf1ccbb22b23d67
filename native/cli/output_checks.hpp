// The checks, before long work starts, that an output can be made; the outputs themselves
// are written with ddpm::write_file_atomic (shared/atomic_file.hpp).
#pragma once

#include <string>

namespace ddpm::cli {

// Throws std::invalid_argument ("<flag> <path>: folder <dir> does not exist") unless the
// folder that would hold `path` exists, and when `path` is a folder, a device, a FIFO or a
// link to nothing (output_target, shared/atomic_file.hpp).
void require_parent_folder(const std::string& flag, const std::string& path);

// require_parent_folder, and a file can be created in that folder (a probe file, removed).
void require_writable_parent(const std::string& flag, const std::string& path);

// Throws std::invalid_argument when the output `path` is the file `input` (under any
// spelling or link): writing it would destroy the input.
void require_distinct(const std::string& flag, const std::string& path,
                      const std::string& input_flag, const std::string& input);

// Throws std::invalid_argument unless `dir` is an existing folder.
void require_folder(const std::string& flag, const std::string& dir);

// require_folder, and a file can be created in it (a probe file, removed).
void require_writable_folder(const std::string& flag, const std::string& dir);

// Throws std::invalid_argument unless `dir` is a folder or can be created (with its missing
// parents): its nearest existing ancestor is a folder that takes a new folder (a probe).
void require_creatable_folder(const std::string& flag, const std::string& dir);

}  // namespace ddpm::cli
