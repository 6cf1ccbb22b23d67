// `ddpm sample` end to end: the same seeded run through --engine eigen and --engine torch
// agrees within 1e-3, frames and raw output are written, and bad input exits 2 leaving no file.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "model_config.hpp"
#include "rng.hpp"
#include "weights.hpp"

namespace fs = std::filesystem;

namespace {

const std::string kDdpm = std::string(DDPM_BINARY_DIR) + "/native/ddpm";

fs::path work_dir() {
  const fs::path dir = fs::path(DDPM_BINARY_DIR) / "test_sample_cli";
  fs::create_directories(dir);
  return dir;
}

// A small model with seeded random weights: N(0, 1/fan_in), norm scales near 1.
std::string write_model(const std::string& name, int num_classes) {
  ddpm::Weights w;
  w.model.height = w.model.width = 8;
  w.model.base_channels = 8;
  w.model.channel_mult = {1, 2};
  w.model.attention_resolutions = {4};
  w.model.groups = 4;
  w.model.num_classes = num_classes;
  w.schedule.timesteps = 100;
  ddpm::NormalRng rng(7, 0);
  for (const auto& spec : ddpm::parameter_specs(w.model)) {
    int64_t n = 1;
    for (int64_t d : spec.shape) n *= d;
    const bool is_norm = spec.name.find("norm") != std::string::npos;
    const bool is_weight =
        spec.name.size() > 7 && spec.name.substr(spec.name.size() - 7) == ".weight";
    const double fan_in = spec.shape.size() >= 2 ? double(n / spec.shape[0]) : 1.0;
    ddpm::Tensor t{spec.shape, std::vector<float>(size_t(n))};
    for (auto& v : t.data) {
      const float z = rng.normal();
      v = spec.shape.size() >= 2 ? float(z / std::sqrt(fan_in))
                                 : (is_norm && is_weight ? 1.0f + 0.1f * z : 0.1f * z);
    }
    w.tensors[spec.name] = std::move(t);
  }
  const std::string path = (work_dir() / name).string();
  ddpm::save_weights(w, path, ddpm::DType::f32);
  return path;
}

struct Result {
  int code;
  std::string err;
};

Result run(const std::string& args) {
  const std::string err_path = (work_dir() / "stderr.txt").string();
  const int status = std::system((kDdpm + " sample " + args + " 2> " + err_path).c_str());
  std::ifstream f(err_path);
  std::stringstream s;
  s << f.rdbuf();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, s.str()};
}

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::vector<float> read_raw(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<float> v(bytes.size() / sizeof(float));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
  return v;
}

}  // namespace

TEST_CASE("ddpm sample: eigen and torch engines agree on a full guided run", "[cli][sample]") {
  const std::string model = write_model("cond.json", 3);
  const fs::path dir = work_dir();
  for (const std::string sampler : {"ddpm", "ddim", "dpm++2m"}) {
    const std::string common = "--model " + model + " --n 6 --sampler " + sampler +
                               " --steps 20 --label random --guidance 2 --seed 5 --batch 4";
    const Result eigen = run(common + " --engine eigen --out " + (dir / "e.png").string() +
                             " --raw " + (dir / "e.f32").string());
    REQUIRE(eigen.code == 0);
    CHECK_THAT(eigen.err, Catch::Contains("step 20/20"));
    const Result torch = run(common + " --engine torch --out " + (dir / "t.png").string() +
                             " --raw " + (dir / "t.f32").string());
    if (torch.code == 2 && torch.err.find("without LibTorch") != std::string::npos) {
      WARN("ddpm built without LibTorch: the torch side of the comparison is skipped");
      return;
    }
    REQUIRE(torch.code == 0);

    const auto a = read_raw((dir / "e.f32").string()), b = read_raw((dir / "t.f32").string());
    REQUIRE(a.size() == 6u * 64u);
    REQUIRE(b.size() == a.size());
    double diff = 0.0, scale = 0.0;
    for (size_t i = 0; i < a.size(); ++i) {
      diff = std::max(diff, double(std::fabs(a[i] - b[i])));
      scale = std::max(scale, double(std::fabs(a[i])));
    }
    INFO("sampler " << sampler << ", max |x0| " << scale);
    CHECK(scale > 0.1);
    CHECK(diff <= 1e-3);
  }

  // the PNG is a PNG: 8-byte signature
  std::ifstream png(dir / "e.png", std::ios::binary);
  char sig[8] = {};
  png.read(sig, 8);
  CHECK(std::string(sig + 1, 3) == "PNG");
}

TEST_CASE("ddpm sample: eigen and torch agree on the trained MNIST model", "[cli][sample]") {
  const std::string model = std::string(DDPM_SOURCE_DIR) + "/web/models/mnist-base12.json";
  if (!fs::exists(model)) {
    WARN("no web/models/mnist-base12.json: the trained-model comparison is skipped");
    return;
  }
  const fs::path dir = work_dir();
  const std::string common = "--model " + model +
                             " --n 4 --sampler ddim --steps 10 --label random --guidance 2"
                             " --seed 11 --out " +
                             (dir / "m.png").string();
  const Result eigen = run(common + " --engine eigen --raw " + (dir / "me.f32").string());
  REQUIRE(eigen.code == 0);
  const Result torch = run(common + " --engine torch --raw " + (dir / "mt.f32").string());
  if (torch.code == 2 && torch.err.find("without LibTorch") != std::string::npos) return;
  REQUIRE(torch.code == 0);
  const auto a = read_raw((dir / "me.f32").string()), b = read_raw((dir / "mt.f32").string());
  REQUIRE(a.size() == 4u * 784u);
  REQUIRE(b.size() == a.size());
  double diff = 0.0;
  for (size_t i = 0; i < a.size(); ++i) diff = std::max(diff, double(std::fabs(a[i] - b[i])));
  CHECK(diff <= 1e-3);
}

TEST_CASE("ddpm sample writes one frame per step", "[cli][sample]") {
  const std::string model = write_model("uncond.json", 0);
  const fs::path frames = work_dir() / "frames";
  fs::remove_all(frames);
  fs::create_directories(frames);
  const Result r = run("--model " + model + " --n 4 --steps 3 --frames " + frames.string() +
                       " --out " + (work_dir() / "u.png").string());
  REQUIRE(r.code == 0);
  CHECK(fs::exists(frames / "frame_0001.png"));
  CHECK(fs::exists(frames / "frame_0003.png"));
  CHECK_FALSE(fs::exists(frames / "frame_0004.png"));
  // stderr is a file here: whole progress lines (every tenth of the run: each of the 3 steps)
  CHECK(r.err.find('\r') == std::string::npos);
  CHECK_THAT(r.err, Catch::Contains("sample: step 1/3") && Catch::Contains("sample: step 3/3") &&
                        Catch::Contains("sample: 3 steps in"));

  const Result one =
      run("--model " + model + " --n 1 --steps 1 --out " + (work_dir() / "one.png").string());
  REQUIRE(one.code == 0);
  CHECK_THAT(one.err, Catch::Contains("sample: 1 step in"));
  const Result quiet = run("--model " + model + " --n 1 --steps 2 --quiet --out " +
                           (work_dir() / "quiet.png").string());
  REQUIRE(quiet.code == 0);
  CHECK(quiet.err.empty());
  CHECK(fs::exists(work_dir() / "quiet.png"));
}

TEST_CASE("ddpm sample outputs: a link is written through, a FIFO is refused, frames kept",
          "[cli][sample]") {
  const std::string model = write_model("uncond.json", 0);
  const fs::path dir = work_dir() / "outputs";
  fs::remove_all(dir);
  fs::create_directories(dir / "frames");
  const std::string common = "--model " + model + " --n 2 --steps 2 --quiet";

  // a link: its target gets the grid, the link stays a link
  std::ofstream(dir / "target.png") << "old";
  fs::create_symlink(dir / "target.png", dir / "link.png");
  REQUIRE(run(common + " --out " + (dir / "link.png").string()).code == 0);
  CHECK(fs::is_symlink(dir / "link.png"));
  CHECK(read_text((dir / "target.png").string()).rfind("\x89PNG", 0) == 0);

  // a FIFO (or a device) is refused before sampling and stays what it was
  REQUIRE(mkfifo((dir / "fifo").c_str(), 0600) == 0);
  const Result fifo = run(common + " --out " + (dir / "fifo").string());
  CHECK(fifo.code == 2);
  CHECK_THAT(fifo.err, Catch::Contains("not a regular file"));
  CHECK(fs::is_fifo(dir / "fifo"));
  fs::create_symlink(dir / "nowhere.png", dir / "dangling.png");
  CHECK_THAT(run(common + " --out " + (dir / "dangling.png").string()).err,
             Catch::Contains("a link that leads to no file"));

  // a link planted at the temporary name (NAME.PID.tmp) is not followed
  std::ofstream(dir / "victim.txt") << "keep";
  const std::string planted = "cd " + dir.string() +
                              " && bash -c 'ln -s victim.txt new.png.$$.tmp" + " && exec " +
                              kDdpm + " sample " + common + " --out new.png'";
  REQUIRE(std::system(planted.c_str()) == 0);
  CHECK(read_text((dir / "victim.txt").string()) == "keep");
  CHECK_FALSE(fs::is_symlink(dir / "new.png"));
  CHECK(read_text((dir / "new.png").string()).rfind("\x89PNG", 0) == 0);

  // a frame name taken by a FIFO: refused before sampling
  REQUIRE(mkfifo((dir / "frames" / "frame_0002.png").c_str(), 0600) == 0);
  const Result fifo_frame = run(common + " --frames " + (dir / "frames").string() + " --out " +
                                (dir / "g.png").string());
  CHECK(fifo_frame.code == 2);
  CHECK_THAT(fifo_frame.err, Catch::Contains("--frames: ") && Catch::Contains("not a regular"));
  fs::remove(dir / "frames" / "frame_0002.png");

  // the grid may not take a frame's name in the --frames folder
  const Result frame = run(common + " --frames " + (dir / "frames").string() + " --out " +
                           (dir / "frames" / "frame_0001.png").string());
  CHECK(frame.code == 2);
  CHECK_THAT(frame.err, Catch::Contains("a frame would be overwritten"));

  // seeds are decimal: 010 is ten (CLI11 alone read it as octal 8); a huge --columns is fine
  const std::string raw = " --out " + (dir / "s.png").string() + " --raw ";
  REQUIRE(run(common + " --seed 010 --columns 2147483647" + raw + (dir / "a.f32").string()).code ==
          0);
  REQUIRE(run(common + " --seed 10" + raw + (dir / "b.f32").string()).code == 0);
  REQUIRE(run(common + " --seed 8" + raw + (dir / "c.f32").string()).code == 0);
  CHECK(read_raw((dir / "a.f32").string()) == read_raw((dir / "b.f32").string()));
  CHECK(read_raw((dir / "a.f32").string()) != read_raw((dir / "c.f32").string()));
}

TEST_CASE("ddpm sample --label each gives sample i the class i mod K, with its own noise",
          "[cli][sample]") {
  const std::string model = write_model("cond.json", 3);
  const fs::path dir = work_dir();
  const std::string common = " --model " + model + " --sampler ddim --steps 6 --guidance 2" +
                             " --seed 4 --out " + (dir / "l.png").string();
  // each: classes 0, 1, 2, 0, 1 for samples 0..4
  REQUIRE(run(common + " --n 5 --label each --raw " + (dir / "each.f32").string()).code == 0);
  const std::vector<float> each = read_raw((dir / "each.f32").string());
  const size_t dim = 64;
  REQUIRE(each.size() == 5 * dim);
  // sample i of a fixed-class run has the same noise stream i
  for (int label = 0; label < 3; ++label) {
    const std::string raw = (dir / ("fixed" + std::to_string(label) + ".f32")).string();
    REQUIRE(run(common + " --n 5 --label " + std::to_string(label) + " --raw " + raw).code == 0);
    const std::vector<float> fixed = read_raw(raw);
    for (int i = 0; i < 5; ++i) {
      double diff = 0;
      for (size_t j = 0; j < dim; ++j)
        diff = std::max(diff, double(std::fabs(each[i * dim + j] - fixed[i * dim + j])));
      INFO("sample " << i << " vs the class-" << label << " run: max |diff| " << diff);
      if (i % 3 == label) {
        CHECK(diff <= 1e-6);
      } else {
        CHECK(diff > 1e-2);  // another class: another image
      }
    }
  }
}

TEST_CASE("ddpm sample refuses bad input with exit 2, naming the flag, writing nothing",
          "[cli][sample]") {
  const std::string cond = write_model("cond.json", 3);
  const std::string uncond = write_model("uncond.json", 0);
  const fs::path out = work_dir() / "bad.png";
  const std::string to = " --out " + out.string() + " --raw " + (work_dir() / "bad.f32").string();

  // a model file whose first tensor has the wrong shape, and one that is not JSON
  const fs::path broken = work_dir() / "broken.json";
  {
    std::ifstream in(cond);
    auto doc = nlohmann::json::parse(in);
    doc["tensors"][0]["shape"] = {1, 2};
    std::ofstream(broken) << doc.dump();
    std::ofstream(work_dir() / "text.json") << "not json";
  }

  struct Bad {
    std::string args, expect;
  };
  const std::vector<Bad> cases = {
      {"--model " + cond + " --steps 0", "--steps"},
      {"--model " + cond + " --steps 101", "--steps"},
      {"--model " + cond + " --n 0", "--n"},
      {"--model " + cond + " --label 3", "--label 3"},
      {"--model " + cond + " --label seven", "--label seven: expected a class in 0..2, each"},
      {"--model " + cond + " --label -1", "--label -1"},
      {"--model " + uncond + " --label each", "--label each: expected none"},
      {"--model " + cond + " --sampler ddim --eta 1.5", "--eta"},
      {"--model " + cond + " --sampler ddim --eta -0.1", "--eta"},
      {"--model " + cond + " --steps ten", "--steps"},
      {"--model " + cond + " --n 4x", "--n"},
      {"--model " + cond + " --guidance nan --label 1", "--guidance"},
      {"--model " + cond + " --seed -1", "--seed"},
      {"--model " + cond + " --seed 18446744073709551616", "--seed"},
      {"--model " + cond + " --guidance 1e308 --label 1", "--guidance"},
      {"--model " + cond + " --sampler dpm++2m --eta 0.5", "--eta applies to --sampler ddim"},
      {"--model " + work_dir().string(), "not a regular file"},
      {"--model " + uncond + " --guidance 2", "--guidance"},
      {"--model " + uncond + " --label 1", "--label"},
      {"--model " + cond + " --guidance 2 --label none", "--guidance"},
      {"--model " + cond + " --sampler euler", "--sampler"},
      {"--model " + cond + " --engine onnx", "--engine"},
      {"--model " + (work_dir() / "missing.json").string(), "--model"},
      {"--model " + broken.string(), "tensors.time_embed.linear1.weight.shape"},
      {"--model " + (work_dir() / "text.json").string(), "not valid JSON"},
      {"--model " + cond + " --raw ''", "--raw: empty value"},
      {"--model " + cond + " --frames ''", "--frames: empty value"},
      {"--model " + cond + " --n 0x10", "--n: expected a decimal integer"},
      {"--model " + cond + " --mod " + cond, "not expected: "},  // the misspelt --mod, not
      {"--mod " + cond, "not expected: "},                       // "--model is required"
      {"--model " + cond + " --frames /proc", "--frames /proc: the folder is not writable"},
  };
  for (const Bad& c : cases) {
    const Result r = run(c.args + to);
    INFO("ddpm sample " << c.args << "\n" << r.err);
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains(c.expect));
    CHECK_FALSE(fs::exists(out));
    for (const auto& e : fs::directory_iterator(work_dir()))  // no temporary file left
      CHECK_FALSE(e.path().extension() == ".tmp");
  }

  // --raw onto --out
  const Result same = run("--model " + cond + " --out " + out.string() + " --raw " + out.string());
  CHECK(same.code == 2);
  CHECK_THAT(same.err, Catch::Contains("the same file as --out"));
  CHECK_FALSE(fs::exists(out));

  // outputs onto the model file (also through another spelling of its path), or where no
  // file can be made: refused before sampling, the model untouched
  const std::string model_text = read_text(cond);
  const std::string other_spelling = (work_dir() / "." / fs::path(cond).filename()).string();
  for (const auto& [args, expect] : std::vector<std::pair<std::string, std::string>>{
           {"--out " + cond, "--out " + cond + ": the same file as --model"},
           {"--out " + other_spelling, "the same file as --model"},
           {"--out " + out.string() + " --raw " + cond, "--raw " + cond + ": the same file"},
           {"--out /proc/ddpm-test.png", "not writable"}}) {
    const Result onto = run("--model " + cond + " " + args);
    INFO("ddpm sample --model " << cond << " " << args << "\n" << onto.err);
    CHECK(onto.code == 2);
    CHECK_THAT(onto.err, Catch::Contains(expect));
    CHECK(read_text(cond) == model_text);
    CHECK_FALSE(fs::exists(out));
  }

  // outputs in a missing folder
  const Result r = run("--model " + cond + " --out " + (work_dir() / "no/dir/x.png").string());
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("--out") && Catch::Contains("does not exist"));
  const Result raw = run("--model " + cond + " --out " + out.string() + " --raw /no/dir/x.f32");
  CHECK(raw.code == 2);
  CHECK_THAT(raw.err, Catch::Contains("--raw"));
  CHECK_FALSE(fs::exists(out));
}
