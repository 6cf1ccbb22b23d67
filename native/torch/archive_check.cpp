// The zip checks of a checkpoint, before LibTorch opens it. Records and fields as PKWARE's
// APPNOTE.TXT (6.3) names them: end of central directory record (4.3.16), zip64 end of central
// directory record and locator (4.3.14, 4.3.15), central directory file header (4.3.12), local
// file header (4.3.7), data descriptor (4.3.9). PyTorchStreamWriter (miniz) writes each record
// as a local header with general purpose flag bit 3 (CRC and sizes zero there), an extra field
// that pads the data to 64 bytes, the data (stored; code/ files deflated), a data descriptor
// with its signature; then the central directory, the zip64 end record, its locator and the
// end record, with no comment. miniz, which LibTorch reads with, prefers the zip64 record.
#include "torch/archive_check.hpp"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace ddpm::native {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50, kLocatorSig = 0x07064b50;
constexpr uint32_t kDescriptorSig = 0x08074b50;
constexpr uint64_t kLocalSize = 30, kCentralSize = 46, kEndSize = 22;
constexpr uint64_t kZip64EndSize = 56, kLocatorSize = 20;
constexpr uint64_t kChunk = 1 << 16;  // bytes read (or inflated) at a time

// A little-endian field of `bytes` bytes at `at`.
uint64_t field(const std::string& b, uint64_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | uint8_t(b[at + i]);
  return v;
}

// A record's name for messages: printable, and short.
std::string printable(const std::string& name) {
  std::string s = name.substr(0, 120);
  for (char& c : s)
    if (c < 0x20 || c > 0x7e) c = '?';
  return s;
}

// One central directory file header (4.3.12).
struct Entry {
  std::string name;
  uint64_t flags, method, crc, compressed, uncompressed, local_offset;
};

class Archive {
 public:
  Archive(const std::string& path, uint64_t max_bytes) : path_(path), max_bytes_(max_bytes) {}
  void check();

 private:
  [[noreturn]] void fail(const std::string& kind, const std::string& what) const {
    throw std::invalid_argument(path_ + ": " + kind + " ddpm checkpoint (" + what + ")");
  }
  [[noreturn]] void corrupt(const std::string& what) const { fail("corrupt", what); }
  std::string read(uint64_t offset, uint64_t n);
  uint64_t check_entry(const Entry& e, uint64_t free_from, uint64_t data_end);
  uint32_t data_crc(const Entry& e, uint64_t data);

  std::string path_;
  uint64_t max_bytes_;
  std::ifstream in_;
  uint64_t size_ = 0;
};

// n bytes at offset; a range beyond the end of the file is corruption.
std::string Archive::read(uint64_t offset, uint64_t n) {
  if (offset > size_ || n > size_ - offset) corrupt("a record reaches past the end of the file");
  std::string b(n, '\0');
  in_.seekg(std::streamoff(offset));
  if (!in_.read(b.data(), std::streamsize(n))) fail("unreadable", "read error");
  return b;
}

void Archive::check() {
  // a regular file (a folder "opens" with a huge size, a FIFO would block), within the size
  // limit, with room for the end record
  std::error_code ec;
  if (std::filesystem::exists(path_, ec) && !std::filesystem::is_regular_file(path_, ec))
    fail("not a", "not a regular file (a folder, FIFO or device)");
  in_.open(path_, std::ios::binary | std::ios::ate);
  const std::streamoff end = in_ ? std::streamoff(in_.tellg()) : -1;
  if (end < 0) fail("unreadable", "cannot read the file");
  size_ = uint64_t(end);
  if (size_ > max_bytes_)
    fail("not a", std::to_string(size_) + " bytes, more than the limit of " +
                      std::to_string(max_bytes_ >> 20) + " MiB, docs/limits.md");
  const std::string not_zip = "not a LibTorch archive: no zip end record at its end; truncated?";
  if (size_ < kEndSize) fail("not a", not_zip);

  // end of central directory record: disk numbers, entry counts, central directory size
  // and offset; no comment
  uint64_t records_end = size_ - kEndSize;
  const std::string eocd = read(records_end, kEndSize);
  if (field(eocd, 0, 4) != kEndSig) fail("not a", not_zip);
  if (field(eocd, 4, 2) != 0 || field(eocd, 6, 2) != 0 || field(eocd, 20, 2) != 0 ||
      field(eocd, 8, 2) != field(eocd, 10, 2))
    corrupt("end of central directory record");
  uint64_t entries = field(eocd, 10, 2), cd_size = field(eocd, 12, 4);
  uint64_t cd_offset = field(eocd, 16, 4);

  // zip64 locator (right before it) and record (right before the locator): when present,
  // miniz reads their values, so they must agree with the end record's (or replace its
  // saturated 0xFFFF.. values)
  if (records_end >= kLocatorSize + kZip64EndSize) {
    const std::string locator = read(records_end - kLocatorSize, kLocatorSize);
    if (field(locator, 0, 4) == kLocatorSig) {
      const uint64_t at = records_end - kLocatorSize - kZip64EndSize;
      const std::string z = read(at, kZip64EndSize);
      const auto same = [](uint64_t classic, uint64_t wide, uint64_t saturated) {
        return classic == wide || classic == saturated;
      };
      if (field(locator, 8, 8) != at || field(locator, 4, 4) != 0 || field(locator, 16, 4) != 1 ||
          field(z, 0, 4) != kZip64EndSig || field(z, 16, 4) != 0 || field(z, 20, 4) != 0 ||
          field(z, 24, 8) != field(z, 32, 8) || !same(entries, field(z, 32, 8), 0xffff) ||
          !same(cd_size, field(z, 40, 8), 0xffffffff) ||
          !same(cd_offset, field(z, 48, 8), 0xffffffff))
        corrupt("zip64 end of central directory record");
      entries = field(z, 32, 8), cd_size = field(z, 40, 8), cd_offset = field(z, 48, 8);
      records_end = at;
    }
  }
  if (cd_offset > records_end || cd_size != records_end - cd_offset)
    corrupt("central directory bounds");

  // central directory file headers: signature, flags, method, CRC-32, sizes, name, extra
  // field and comment lengths, local header offset; each record checked in file order
  const std::string cd = read(cd_offset, cd_size);
  uint64_t at = 0, free_from = 0, total = 0;
  for (uint64_t i = 0; i < entries; ++i) {
    const std::string which = "central directory entry " + std::to_string(i);
    if (cd_size - at < kCentralSize || field(cd, at, 4) != kCentralSig) corrupt(which);
    const uint64_t n = field(cd, at + 28, 2);
    const uint64_t rest = n + field(cd, at + 30, 2) + field(cd, at + 32, 2);
    if (cd_size - at - kCentralSize < rest) corrupt(which + " overruns the directory");
    Entry e;
    e.name = cd.substr(at + kCentralSize, n);
    e.flags = field(cd, at + 8, 2), e.method = field(cd, at + 10, 2);
    e.crc = field(cd, at + 16, 4), e.compressed = field(cd, at + 20, 4);
    e.uncompressed = field(cd, at + 24, 4), e.local_offset = field(cd, at + 42, 4);
    if (field(cd, at + 34, 2) != 0) corrupt(which + " on another disk");
    total += e.uncompressed;
    if (total > max_bytes_)
      corrupt("records inflate to more than " + std::to_string(max_bytes_ >> 20) + " MiB");
    free_from = check_entry(e, free_from, cd_offset);
    at += kCentralSize + rest;
  }
  if (at != cd_size) corrupt("central directory size");
}

// One record: its local header, the CRC and sizes stored there or in its data descriptor,
// and the data's CRC-32. Records lie in order, from free_from on, before data_end; returns
// where the record ends.
uint64_t Archive::check_entry(const Entry& e, uint64_t free_from, uint64_t data_end) {
  const std::string name = printable(e.name);
  if (e.flags & 1) corrupt("encrypted record " + name);
  if (e.method != 0 && e.method != 8)
    corrupt("compression method " + std::to_string(e.method) + " of " + name);
  if (e.method == 0 && e.compressed != e.uncompressed) corrupt("sizes of " + name);

  // local file header: signature, flags, method, CRC-32 and sizes (zero with flag bit 3), name
  // length, extra field length, name
  if (e.local_offset < free_from || e.local_offset > data_end)
    corrupt("records out of order or overlapping at " + name);
  const std::string local = read(e.local_offset, kLocalSize);
  if (field(local, 0, 4) != kLocalSig || field(local, 6, 2) != e.flags ||
      field(local, 8, 2) != e.method)
    corrupt("local header of " + name);
  const uint64_t n = field(local, 26, 2), extra = field(local, 28, 2);
  if (read(e.local_offset + kLocalSize, n) != e.name) corrupt("local header name of " + name);
  const uint64_t data = e.local_offset + kLocalSize + n + extra;
  if (data > data_end || e.compressed > data_end - data) corrupt("bounds of " + name);

  // the stored CRC-32 and sizes: in the local header, or (flag bit 3) in the data
  // descriptor after the data, signature optional
  uint64_t end = data + e.compressed;
  std::string stored = local.substr(14, 12);
  if (e.flags & 8) {
    stored = read(end, std::min<uint64_t>(16, data_end - end));
    if (stored.size() >= 4 && field(stored, 0, 4) == kDescriptorSig) stored.erase(0, 4), end += 4;
    if (stored.size() < 12) corrupt("data descriptor of " + name);
    stored.resize(12), end += 12;
  }
  if (field(stored, 0, 4) != e.crc || field(stored, 4, 4) != e.compressed ||
      field(stored, 8, 4) != e.uncompressed)
    corrupt("CRC or sizes of " + name + " differ between its headers");

  if (data_crc(e, data) != e.crc) corrupt("CRC mismatch in " + name);
  return end;
}

// CRC-32 of a record's data as LibTorch will see it: the stored bytes, or the raw deflate
// stream (RFC 1951) inflated, which must end with the data and give exactly the size recorded.
uint32_t Archive::data_crc(const Entry& e, uint64_t data) {
  uLong crc = crc32(0, Z_NULL, 0);
  z_stream z{};
  if (e.method == 8 && inflateInit2(&z, -MAX_WBITS) != Z_OK) throw std::bad_alloc();
  std::vector<Bytef> out(kChunk);
  uint64_t inflated = 0;
  int status = Z_OK;
  try {
    for (uint64_t done = 0; done < e.compressed;) {
      std::string in = read(data + done, std::min(kChunk, e.compressed - done));
      done += in.size();
      if (e.method == 0) {
        crc = crc32(crc, reinterpret_cast<const Bytef*>(in.data()), uInt(in.size()));
        continue;
      }
      z.next_in = reinterpret_cast<Bytef*>(in.data()), z.avail_in = uInt(in.size());
      do {
        z.next_out = out.data(), z.avail_out = uInt(out.size());
        status = inflate(&z, Z_NO_FLUSH);
        if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR)
          corrupt("deflate stream of " + printable(e.name));
        const uint64_t n = out.size() - z.avail_out;
        inflated += n;
        if (inflated > e.uncompressed) corrupt("size of " + printable(e.name) + " inflated");
        crc = crc32(crc, out.data(), uInt(n));
      } while (status != Z_STREAM_END && (z.avail_in > 0 || z.avail_out == 0));
      if (status == Z_STREAM_END && (z.avail_in > 0 || done < e.compressed))
        corrupt("data after the deflate stream of " + printable(e.name));
    }
  } catch (...) {
    inflateEnd(&z);
    throw;
  }
  inflateEnd(&z);
  if (e.method == 8 && (status != Z_STREAM_END || inflated != e.uncompressed))
    corrupt("deflate stream of " + printable(e.name) + " ends early");
  return uint32_t(crc);
}

}  // namespace

void check_checkpoint_archive(const std::string& path, uint64_t max_bytes) {
  Archive(path, max_bytes).check();
}

}  // namespace ddpm::native
