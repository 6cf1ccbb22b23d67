// Output files that are never left half-written: the bytes go to a temporary file beside the
// target, which is then renamed over it (a killed process leaves the previous file).
#pragma once

#include <string>

namespace ddpm {

// The file that writing `path` replaces: `path` itself, or where a link leads (so the link
// stays and its target gets the new bytes). Throws std::runtime_error naming the path when
// it, or the link's target, exists and is not a regular file (a device, a FIFO, a folder),
// or the link leads nowhere: replacing those would destroy them.
std::string output_target(const std::string& path);

// The temporary file beside `target` for one write: target + "." + process id + ".tmp", so
// two processes writing the same output never write into one temporary file.
std::string temp_path_for(const std::string& target);

// Creates `path` as a new, empty file for writing and returns its descriptor, or -1 with
// errno set: whatever is at `path` (a stale temporary file, a planted link or FIFO) is first
// removed, then the file is made with O_EXCL | O_NOFOLLOW, so no link is followed.
int create_new_file(const std::string& path);

// True when a new file can be made in the folder `dir`: a probe file made (create_new_file)
// and removed again.
bool can_create_file_in(const std::string& dir);

// Writes `bytes` to temp_path_for(output_target(path)), then renames it over the target; on
// failure removes the temporary file and throws std::runtime_error naming the file. No fsync:
// a power loss right after the rename can still lose the new file (docs/limits.md).
void write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace ddpm
