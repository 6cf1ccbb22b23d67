// `ddpm train`, `export` and `info` on bad input: a clear message on stderr, a non-zero exit
// status, and no existing file overwritten or lost.
#include "native_test_util.hpp"

#include <sys/stat.h>
#include <sys/wait.h>

using ddpm::testing::idx_bytes;
using ddpm::testing::read_file;
using ddpm::testing::scratch_dir;
using ddpm::testing::write_bytes;

namespace {

struct Run {
  int status;
  std::string err;
};

// Runs the built `ddpm` with `args`; returns its exit status and stderr.
Run ddpm_cli(const std::string& args, const std::string& dir) {
  const std::string bin = std::string(DDPM_BINARY_DIR) + "/native/ddpm";
  INFO("the ddpm CLI must be built next to this test: " << bin);
  REQUIRE(std::filesystem::exists(bin));
  const std::string cmd = "'" + bin + "' " + args + " >'" + dir + "/out.txt' 2>'" + dir +
                          "/err.txt'";
  int raw = std::system(cmd.c_str());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, read_file(dir + "/err.txt")};
}

// A data folder of 4 images 28x28 and matching labels.
std::string good_data(const std::string& dir) {
  std::filesystem::create_directories(dir + "/data");
  write_bytes(dir + "/data/train-images-idx3-ubyte",
              idx_bytes({4, 28, 28}, std::vector<uint8_t>(4 * 784, 100)));
  write_bytes(dir + "/data/train-labels-idx1-ubyte", idx_bytes({4}, {0, 1, 2, 3}));
  return dir + "/data";
}

const std::string kSmall =
    " --steps 2 --batch 2 --base-channels 8 --groups 4 --threads 1 --quiet";

}  // namespace

TEST_CASE("train refuses missing, truncated, wrong-magic and mismatched data", "[cli]") {
  const auto dir = scratch_dir("cli_data");
  const auto data = good_data(dir);

  SECTION("a folder without IDX files") {
    auto r = ddpm_cli("train --data '" + dir + "/none' --out '" + dir + "/o'" + kSmall, dir);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("train-images-idx3-ubyte") && Catch::Contains("data.sh"));
  }
  SECTION("a truncated image file") {
    auto b = idx_bytes({4, 28, 28}, std::vector<uint8_t>(4 * 784 - 5, 100));
    write_bytes(data + "/train-images-idx3-ubyte", b);
    auto r = ddpm_cli("train --data '" + data + "' --out '" + dir + "/o'" + kSmall, dir);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("train-images-idx3-ubyte: truncated"));
  }
  SECTION("a wrong magic number") {
    auto b = idx_bytes({4, 28, 28}, std::vector<uint8_t>(4 * 784, 100));
    b[0] = 0x1f;
    write_bytes(data + "/train-images-idx3-ubyte", b);
    auto r = ddpm_cli("train --data '" + data + "' --out '" + dir + "/o'" + kSmall, dir);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("not an IDX file"));
  }
  SECTION("thread counts beyond the limit (100000 would start that many threads)") {
    auto r = ddpm_cli("train --data '" + data + "' --out '" + dir + "/o' --steps 2 --batch 2" +
                          " --base-channels 8 --groups 4 --quiet --threads 100000",
                      dir);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("--threads must be in 0..256"));
  }
  SECTION("sample grids with more steps than the schedule has") {
    auto r = ddpm_cli(
        "train --data '" + data + "' --out '" + dir + "/o'" + kSmall + " --sample-steps 2000",
        dir);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("--sample-steps 2000 exceeds the schedule's T = 1000"));
  }
  SECTION("a stop after the last step") {
    auto r = ddpm_cli(
        "train --data '" + data + "' --out '" + dir + "/o'" + kSmall + " --stop-at 5", dir);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("--stop-at must be in 0..--steps"));
  }
  SECTION("linear-schedule betas with the cosine schedule") {
    auto r = ddpm_cli("train --data '" + data + "' --out '" + dir + "/o'" + kSmall +
                          " --schedule cosine --beta-end 0.5",
                      dir);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("apply to the linear schedule only"));
  }
  SECTION("attention at a height the model does not have") {
    auto r = ddpm_cli(
        "train --data '" + data + "' --out '" + dir + "/o'" + kSmall + " --attention 5", dir);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("attention_resolutions[0]"));
  }
  SECTION("a negative seed (which an unsigned parse would wrap around)") {
    auto r = ddpm_cli("train --data '" + data + "' --out '" + dir + "/o'" + kSmall + " --seed -1",
                      dir);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("--seed"));
  }
  SECTION("labels that do not match the images") {
    write_bytes(data + "/train-labels-idx1-ubyte", idx_bytes({3}, {0, 1, 2}));
    auto r = ddpm_cli("train --data '" + data + "' --out '" + dir + "/o'" + kSmall, dir);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("has 3 labels"));
  }
  // a refused run leaves nothing behind, not even its --out folder
  CHECK_FALSE(std::filesystem::exists(dir + "/o"));
}

TEST_CASE("train refuses an unwritable output folder and cuda without CUDA", "[cli]") {
  const auto dir = scratch_dir("cli_out");
  const auto data = good_data(dir);
  write_bytes(dir + "/plain-file", {1, 2, 3});

  auto r = ddpm_cli("train --data '" + data + "' --out '" + dir + "/plain-file/sub'" + kSmall,
                    dir);
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Catch::Contains("--out") && Catch::Contains("plain-file/sub"));
  CHECK(read_file(dir + "/plain-file") == std::string("\x01\x02\x03"));

  if (!torch::cuda::is_available()) {
    auto c = ddpm_cli("train --device cuda --data '" + data + "' --out '" + dir + "/o'" + kSmall,
                      dir);
    CHECK(c.status == 2);
    CHECK_THAT(c.err, Catch::Contains("--device cuda") && Catch::Contains("no CUDA"));
  }
  auto d = ddpm_cli("train --device tpu --data '" + data + "' --out '" + dir + "/o'" + kSmall,
                    dir);
  CHECK(d.status == 2);
  CHECK_THAT(d.err, Catch::Contains("--device"));
}

TEST_CASE("corrupt and foreign checkpoints are refused and nothing is overwritten", "[cli]") {
  const auto dir = scratch_dir("cli_ckpt");
  const auto data = good_data(dir);
  write_bytes(dir + "/garbage.ckpt", {'n', 'o', 't', ' ', 'a', ' ', 'z', 'i', 'p'});
  torch::save(torch::ones({3}), dir + "/foreign.ckpt");  // a LibTorch archive, not ours
  write_bytes(dir + "/model.json", {'{', '}'});          // an existing file to protect

  for (const char* name : {"garbage.ckpt", "foreign.ckpt", "missing.ckpt"}) {
    INFO(name);
    const std::string ckpt = dir + "/" + name;
    auto e = ddpm_cli("export '" + ckpt + "' --out '" + dir + "/model.json'", dir);
    CHECK(e.status == 2);
    CHECK_THAT(e.err, Catch::Contains(name));
    CHECK(read_file(dir + "/model.json") == "{}");

    auto r = ddpm_cli("train --resume '" + ckpt + "' --data '" + data + "' --out '" + dir +
                          "/o'" + kSmall, dir);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains(name));
  }
}

TEST_CASE("a finished run exports, and a second run does not overwrite its checkpoint",
          "[cli]") {
  const auto dir = scratch_dir("cli_run");
  const auto data = good_data(dir);
  auto r = ddpm_cli("train --data '" + data + "' --out '" + dir + "/o' --sample-every 0" + kSmall,
                    dir);
  REQUIRE(r.status == 0);
  const auto ckpt = read_file(dir + "/o/checkpoint.ckpt");
  CHECK(ckpt.size() > 1000);

  auto again = ddpm_cli("train --data '" + data + "' --out '" + dir + "/o'" + kSmall, dir);
  CHECK(again.status == 2);
  CHECK_THAT(again.err, Catch::Contains("--resume"));
  CHECK(read_file(dir + "/o/checkpoint.ckpt") == ckpt);

  // a resume with nothing left to train is refused, the run's files untouched
  const std::string resume =
      "train --resume '" + dir + "/o/checkpoint.ckpt' --data '" + data + "' --out '" + dir + "/o'";
  const auto model_json = read_file(dir + "/o/model.json");
  auto done = ddpm_cli(resume + kSmall, dir);
  CHECK(done.status == 2);
  CHECK_THAT(done.err, Catch::Contains("at step 2, --steps is 2: nothing to train"));
  CHECK(read_file(dir + "/o/checkpoint.ckpt") == ckpt);
  CHECK(read_file(dir + "/o/model.json") == model_json);

  // the checkpoint as an input of info, or as export's output: refused, the checkpoint kept
  auto info_ckpt = ddpm_cli("info '" + dir + "/o/checkpoint.ckpt'", dir);
  CHECK(info_ckpt.status == 2);
  CHECK_THAT(info_ckpt.err, Catch::Contains("a zip archive") && Catch::Contains("ddpm export"));
  auto onto_ckpt = ddpm_cli(
      "export '" + dir + "/o/checkpoint.ckpt' --out '" + dir + "/o/../o/checkpoint.ckpt'", dir);
  CHECK(onto_ckpt.status == 2);
  CHECK_THAT(onto_ckpt.err, Catch::Contains("the same file as the checkpoint"));
  CHECK(read_file(dir + "/o/checkpoint.ckpt") == ckpt);

  // a resume with architecture flags: they are named as not used, the run goes on
  auto more = ddpm_cli(resume + " --steps 4 --batch 2 --threads 1 --quiet --base-channels 32" +
                           " --schedule cosine",
                       dir);
  CHECK(more.status == 0);
  CHECK_THAT(more.err, Catch::Contains("--base-channels, --schedule not used"));
  CHECK(read_file(dir + "/o/checkpoint.ckpt") != ckpt);

  // another run's checkpoint resumed into this --out: refused, this run's checkpoint kept
  const auto now = read_file(dir + "/o/checkpoint.ckpt");
  std::filesystem::create_directories(dir + "/other");
  std::filesystem::copy_file(dir + "/o/checkpoint.ckpt", dir + "/other/copy.ckpt");
  auto foreign = ddpm_cli("train --resume '" + dir + "/other/copy.ckpt' --data '" + data +
                              "' --out '" + dir + "/o'" + kSmall,
                          dir);
  CHECK(foreign.status == 2);
  CHECK_THAT(foreign.err,
             Catch::Contains("already holds a checkpoint.ckpt other than the --resume file"));
  CHECK(read_file(dir + "/o/checkpoint.ckpt") == now);

  // a FIFO as the checkpoint, or among the files train writes into --out: refused, no hang
  REQUIRE(mkfifo((dir + "/fifo.ckpt").c_str(), 0600) == 0);
  auto fifo = ddpm_cli("export '" + dir + "/fifo.ckpt' --out '" + dir + "/f.json'", dir);
  CHECK(fifo.status == 2);
  CHECK_THAT(fifo.err, Catch::Contains("not a regular file"));
  std::filesystem::create_directories(dir + "/fifo-out");
  REQUIRE(mkfifo((dir + "/fifo-out/model.json").c_str(), 0600) == 0);
  auto fifo_out =
      ddpm_cli("train --data '" + data + "' --out '" + dir + "/fifo-out'" + kSmall, dir);
  CHECK(fifo_out.status == 2);
  CHECK_THAT(fifo_out.err, Catch::Contains("model.json") && Catch::Contains("not a regular"));

  // a real checkpoint cut in half: refused, the existing output untouched
  write_bytes(dir + "/cut.ckpt",
              std::vector<uint8_t>(ckpt.begin(), ckpt.begin() + ckpt.size() / 2));
  write_bytes(dir + "/keep.json", {'{', '}'});
  auto cut = ddpm_cli("export '" + dir + "/cut.ckpt' --out '" + dir + "/keep.json'", dir);
  CHECK(cut.status == 2);
  CHECK_THAT(cut.err, Catch::Contains("cut.ckpt") && Catch::Contains("not a ddpm checkpoint"));
  CHECK(read_file(dir + "/keep.json") == "{}");

  // export f16, then info validates it and prints the summary
  auto e = ddpm_cli("export '" + dir + "/o/checkpoint.ckpt' --out '" + dir + "/m.json' "
                    "--dtype f16", dir);
  CHECK(e.status == 0);
  auto i = ddpm_cli("info '" + dir + "/m.json'", dir);
  CHECK(i.status == 0);
  const auto out = read_file(dir + "/out.txt");
  CHECK_THAT(out, Catch::Contains("parameters") && Catch::Contains("MFLOP") &&
                      Catch::Contains("linear, T = 1000") && Catch::Contains("10 + null"));

  // info on a broken file, a missing one and a folder: bad input, exit 2, the file named
  write_bytes(dir + "/bad.json", {'{', '"', 'f'});
  for (const std::string name : {"bad.json", "missing.json", "o"}) {
    auto b = ddpm_cli("info '" + dir + "/" + name + "'", dir);
    CHECK(b.status == 2);
    CHECK_THAT(b.err, Catch::Contains(name));
  }

  // export onto a folder or an empty path: exit 2 before anything is written
  auto onto_folder = ddpm_cli("export '" + dir + "/o/checkpoint.ckpt' --out '" + dir + "/o'", dir);
  CHECK(onto_folder.status == 2);
  CHECK_THAT(onto_folder.err, Catch::Contains("is a folder"));
  auto empty = ddpm_cli("export '" + dir + "/o/checkpoint.ckpt' --out ''", dir);
  CHECK(empty.status == 2);
  CHECK_THAT(empty.err, Catch::Contains("--out"));
  for (const auto& e : std::filesystem::directory_iterator(dir))  // no temporary file left
    CHECK_FALSE(e.path().extension() == ".tmp");
}
