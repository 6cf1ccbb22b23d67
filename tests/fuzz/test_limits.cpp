// The input limits of docs/limits.md: weights and IDX files claiming huge dimensions are
// refused with a message naming the field, and reading them never allocates what they claim
// (peak RSS of a forked child, reset through /proc/self/clear_refs, measured around the read).
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "torch/idx.hpp"
#include "weights.hpp"

namespace {

struct Outcome {
  std::string error;       // what() of the exception thrown, "" when none
  long peak_growth_kb = 0;  // growth of the peak resident set while `f` ran
};

long status_kb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size()));
  return -1;
}

// Runs f in a child process: its error message and how far its peak RSS rose.
Outcome run_isolated(const std::function<void()>& f) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    { std::ofstream("/proc/self/clear_refs") << "5"; }  // peak RSS := current RSS
    const long before = status_kb("VmRSS:");
    std::string error;
    try {
      f();
    } catch (const std::exception& e) {
      error = e.what();
    }
    const std::string out = std::to_string(status_kb("VmHWM:") - before) + "\n" + error;
    if (write(fds[1], out.data(), out.size()) < 0) _exit(3);
    _exit(0);
  }
  close(fds[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, size_t(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  const size_t nl = text.find('\n');
  REQUIRE(nl != std::string::npos);
  return {text.substr(nl + 1), std::stol(text.substr(0, nl))};
}

std::string scratch(const std::string& name) {
  return std::string(DDPM_BINARY_DIR) + "/limits-test-" + name;
}

void write_file(const std::string& path, const std::vector<uint8_t>& bytes, bool gzip) {
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), unsigned(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  }
}

// IDX header (magic 0 0 8 ndims, big-endian sizes) and `payload` bytes of value 0.
std::vector<uint8_t> idx(const std::vector<uint32_t>& dims, size_t payload) {
  std::vector<uint8_t> b{0, 0, 8, uint8_t(dims.size())};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(d >> s));
  b.resize(b.size() + payload, 0);
  return b;
}

constexpr long kMaxGrowthKb = 64 * 1024;  // far below every claim below

}  // namespace

TEST_CASE("an IDX header claiming 2^31 bytes is refused by the 1 GiB payload limit", "[limits]") {
  // 32768 x 256 x 256 = 2^31 bytes; each dimension alone is within its limit
  for (bool gzip : {false, true}) {
    const std::string path = scratch(gzip ? "idx-2e31.gz" : "idx-2e31");
    write_file(path, idx({32768, 256, 256}, 784), gzip);
    const Outcome o = run_isolated([&] { ddpm::native::read_idx(path); });
    CHECK(o.error == path + ": payload over 1073741824 bytes (docs/limits.md)");
    CHECK(o.peak_growth_kb < kMaxGrowthKb);
  }
}

TEST_CASE("an IDX dimension over its limit is refused naming the dimension", "[limits]") {
  const std::string path = scratch("idx-side");
  write_file(path, idx({1, 257, 28}, 257 * 28), false);
  const Outcome o = run_isolated([&] { ddpm::native::read_idx(path); });
  CHECK(o.error == path + ": dimension 1 is 257, expected 1 to 256 (docs/limits.md)");
}

TEST_CASE("an IDX header claiming 668 MB in a 800-byte file fails without allocating it",
          "[limits][regression]") {
  // fuzz_idx_gzip finding (tests/fuzz/regressions/idx_gzip): 851969 x 28 x 28 bytes claimed,
  // within the limits, 784 present; the reader must not allocate the claim before reading
  for (bool gzip : {false, true}) {
    const std::string path = scratch(gzip ? "idx-668mb.gz" : "idx-668mb");
    write_file(path, idx({851969, 28, 28}, 784), gzip);
    const Outcome o = run_isolated([&] { ddpm::native::read_idx(path); });
    CHECK(o.error == path + ": truncated: the header announces 667943696 data bytes");
    CHECK(o.peak_growth_kb < kMaxGrowthKb);
  }
}

namespace {

// A weights file with `model` as its configuration and one tensor entry.
std::string weights_json(const std::string& model, const std::string& tensor) {
  return R"({"format":"ddpm-weights","version":1,"model":)" + model +
         R"(,"schedule":{"kind":"linear","timesteps":1000,"beta_start":0.0001,)"
         R"("beta_end":0.02},"tensors":[)" + tensor + "]}";
}

std::string unet(int side, int base, const std::string& mult) {
  return R"({"type":"unet","in_channels":1,"image_size":[)" + std::to_string(side) + "," +
         std::to_string(side) + R"(],"base_channels":)" + std::to_string(base) +
         R"(,"channel_mult":)" + mult +
         R"(,"num_res_blocks":1,"attention_resolutions":[],"groups":32,"dropout":0.0,)"
         R"("num_classes":0})";
}

}  // namespace

TEST_CASE("a weights file claiming huge dimensions is refused naming the field", "[limits]") {
  // image 2^16 x 2^16: over the 256 side limit
  Outcome o = run_isolated([] { ddpm::parse_weights(weights_json(unet(65536, 32, "[1]"), "")); });
  CHECK(o.error.rfind("weights file: model.image_size[0]", 0) == 0);
  CHECK(o.peak_growth_kb < kMaxGrowthKb);

  // 2048 channels on 4 levels: each value in range, the parameter count over 64 M
  o = run_isolated(
      [] { ddpm::parse_weights(weights_json(unet(64, 2048, "[1,1,1,1]"), "")); });
  CHECK(o.error.find("parameter count") != std::string::npos);
  CHECK(o.peak_growth_kb < kMaxGrowthKb);
}

TEST_CASE("a weights tensor whose data is missing fails before its claimed size is allocated",
          "[limits]") {
  // base 640, one level: the largest tensor, up.0.res.0.conv1.weight [640, 1280, 3, 3], is
  // 7.4 M values (29 MB in f32; 2 x 640 x 1280 x 9 x 4 bytes = 59 MB decoded and raw)
  const std::string tensor = R"({"name":"up.0.res.0.conv1.weight","shape":[640,1280,3,3],)"
                             R"("dtype":"f32","data":""})";
  const Outcome o = run_isolated(
      [&] { ddpm::parse_weights(weights_json(unet(8, 640, "[1]"), tensor)); });
  CHECK(o.error.rfind("weights file: tensors.up.0.res.0.conv1.weight.data: base64 length 0", 0) ==
        0);
  CHECK(o.peak_growth_kb < 16 * 1024);
}
