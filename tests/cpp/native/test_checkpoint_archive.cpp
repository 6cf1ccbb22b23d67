// The zip checks before LibTorch reads a checkpoint (torch/archive_check): one changed byte in
// a pickle, a tensor or the central directory, a truncated file and an oversized one are
// refused with a message naming the file and the record; real checkpoints load and resume.
#include "native_test_util.hpp"  // first: LibTorch, then Catch (see there)

#include "torch/archive_check.hpp"
#include "torch/checkpoint.hpp"
#include "torch/trainer.hpp"

using namespace ddpm::native;
using ddpm::testing::read_file;
using ddpm::testing::scratch_dir;
using namespace std::string_literals;

namespace {

// Where `needle` first occurs in `bytes` at or after `from`; fails the test when it does not.
size_t find(const std::string& bytes, const std::string& needle, size_t from = 0) {
  const size_t at = bytes.find(needle, from);
  INFO("not found: " << needle);
  REQUIRE(at != std::string::npos);
  return at;
}

void write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// A small LibTorch archive: a "meta" header, a tensor of known values, and 300 strings, so
// that its data.pkl memoizes more than 256 objects (LONG_BINPUT, 4-byte memo ids).
std::string small_archive(const std::string& dir) {
  torch::serialize::OutputArchive archive;
  archive.write("meta", c10::IValue(std::string(R"({"format":"ddpm-checkpoint"})")));
  archive.write("order", torch::full({4}, int64_t(0x1122334455667788)));
  c10::List<std::string> names;
  for (int i = 0; i < 300; ++i) names.push_back("name-" + std::to_string(i));
  archive.write("names", c10::IValue(names));
  archive.save_to(dir + "/small.ckpt");
  return read_file(dir + "/small.ckpt");
}

// The damaged copies of an archive: each with the record its message must name.
struct Damaged {
  std::string file, bytes, message;
};

std::vector<Damaged> damage(const std::string& good) {
  // data.pkl: the first 4-byte memo id (LONG_BINPUT 'r', id 256) raised to 0x09000100, the
  // fuzz finding that made LibTorch's unpickler reserve 2.4 GB
  std::string memo = good;
  memo[find(good, "r\x00\x01\x00\x00"s, find(good, "/data.pkl")) + 4] = 0x09;

  // a tensor record: one bit of the known values
  std::string tensor = good;
  tensor[find(good, "\x88\x77\x66\x55\x44\x33\x22\x11"s) + 3] ^= 0x10;

  // central directory: the recorded CRC-32 of the last entry
  std::string directory = good;
  directory[good.rfind("PK\x01\x02") + 16] ^= 0x01;

  return {{"memo-id-2.4GB.ckpt", memo, "corrupt ddpm checkpoint (CRC mismatch in small/data.pkl)"},
          {"tensor-bit.ckpt", tensor, "corrupt ddpm checkpoint (CRC mismatch in small/data/0)"},
          {"central-directory-crc.ckpt", directory,
           "corrupt ddpm checkpoint (CRC or sizes of small/version differ between its headers)"},
          {"truncated.ckpt", good.substr(0, good.size() - 30),
           "not a ddpm checkpoint (not a LibTorch archive: no zip end record at its end; "
           "truncated?)"}};
}

// The message a CheckpointReader refuses `path` with ("" when it opens it).
std::string refusal(const std::string& path) {
  try {
    CheckpointReader reader(path, torch::kCPU);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a LibTorch archive passes the zip checks, its damaged copies do not",
          "[checkpoint][archive]") {
  const auto dir = scratch_dir("archive_small");
  const std::string good = small_archive(dir);
  CHECK_NOTHROW(check_checkpoint_archive(dir + "/small.ckpt"));

  for (const auto& d : damage(good)) {
    INFO(d.file);
    const std::string path = dir + "/" + d.file;
    write(path, d.bytes);
    CHECK(refusal(path) == path + ": " + d.message);
  }
}

TEST_CASE("a checkpoint larger than the limit is refused before it is read",
          "[checkpoint][archive]") {
  const auto dir = scratch_dir("archive_limit");
  const std::string path = dir + "/padded.ckpt";
  write(path, small_archive(dir) + std::string(1 << 20, '\0'));
  const auto size = std::filesystem::file_size(path);
  CHECK_THROWS_WITH(check_checkpoint_archive(path, 1 << 20),
                    path + ": not a ddpm checkpoint (" + std::to_string(size) +
                        " bytes, more than the limit of 1 MiB, docs/limits.md)");
  CHECK(kMaxCheckpointBytes == 1024 * 1024 * 1024);
}

TEST_CASE("a real checkpoint passes, loads and resumes; one changed byte in it is refused",
          "[checkpoint][archive][resume]") {
  const auto dir = scratch_dir("archive_real");
  TrainOptions o;
  o.data_dir = ddpm::testing::mnist_dir();
  o.out_dir = dir + "/run";
  o.device = "cpu";
  o.threads = 1;
  o.max_images = 4;
  o.model.base_channels = 2;
  o.model.channel_mult = {1};
  o.model.attention_resolutions = {};
  o.model.groups = 1;
  o.model.num_classes = 0;
  o.schedule.timesteps = 10;
  o.steps = 2;
  o.batch = 2;
  o.sample_every = 0;
  o.quiet = true;
  train(o);
  const std::string ckpt = o.out_dir + "/checkpoint.ckpt";
  CHECK_NOTHROW(check_checkpoint_archive(ckpt));

  // loads: weights, EMA, optimizer
  CheckpointReader reader(ckpt, torch::kCPU);
  CHECK(reader.state().step == 2);
  UNet net(reader.state().model), ema(reader.state().model);
  CHECK_NOTHROW(reader.load_model(net));
  CHECK_NOTHROW(reader.load_ema(ema));
  torch::optim::AdamW optimizer(net->parameters(), torch::optim::AdamWOptions(1e-3));
  CHECK_NOTHROW(reader.load_optimizer(optimizer));

  // resumes
  o.steps = 3;
  o.resume = ckpt;
  CHECK(train(o).step == 3);

  // the fuzz finding on a real checkpoint: a memo id of data.pkl raised to 0x09000100
  std::string bytes = read_file(ckpt);
  bytes[find(bytes, "r\x00\x01\x00\x00"s, find(bytes, "/data.pkl")) + 4] = 0x09;
  write(dir + "/memo.ckpt", bytes);
  CHECK(refusal(dir + "/memo.ckpt") ==
        dir + "/memo.ckpt: corrupt ddpm checkpoint (CRC mismatch in archive/data.pkl)");
}

// Not run by default: rewrites tests/fuzz/regressions/checkpoint/ (the fuzz replay's inputs).
TEST_CASE("write the damaged archives as fuzz regression inputs", "[.write-regressions]") {
  const auto dir = scratch_dir("archive_regressions");
  const std::string out = std::string(DDPM_SOURCE_DIR) + "/tests/fuzz/regressions/checkpoint";
  std::filesystem::create_directories(out);
  for (const auto& d : damage(small_archive(dir))) write(out + "/" + d.file, d.bytes);
}
