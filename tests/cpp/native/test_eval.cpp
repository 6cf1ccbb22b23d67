// `ddpm eval`'s parts: the Fréchet distance against hand-derived closed forms, the classifier's
// cache, an evaluation of a tiny model on real digits (finite, reproducible), the CLI's flag
// checks, and the shipped model file.
#include "native_test_util.hpp"

#include <sys/wait.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "atomic_file.hpp"
#include "engine/unet_engine.hpp"
#include "torch/evaluation.hpp"
#include "torch/unet.hpp"
#include "torch/unet_weights.hpp"
#include "weights.hpp"

using ddpm::testing::mnist_dir;
using ddpm::testing::read_file;
using ddpm::testing::scratch_dir;
namespace native = ddpm::native;

namespace {

native::FeatureStats gaussian(Eigen::VectorXd mean, Eigen::MatrixXd cov) {
  native::FeatureStats s;
  s.mean = std::move(mean), s.cov = std::move(cov), s.count = 1000;
  return s;
}

// The first n images of a split.
native::ImageSet head(const native::ImageSet& set, int64_t n) {
  native::ImageSet out = set;
  const int64_t dim = int64_t(set.channels) * set.height * set.width;
  out.count = n;
  out.pixels.resize(size_t(n * dim));
  out.labels.resize(size_t(n));
  return out;
}

}  // namespace

TEST_CASE("the Fréchet distance of two 2-D Gaussians equals the closed form", "[eval]") {
  // S1 = [[2,1],[1,2]], S2 = diag(1,3) do not commute. For 2x2 PSD M, tr(sqrt M) =
  // sqrt(tr M + 2 sqrt(det M)), and M = S1^1/2 S2 S1^1/2 has tr = tr(S1 S2) = 8 and
  // det = det S1 det S2 = 9, so the cross term is sqrt(14); with mu2 - mu1 = (1, 2):
  // d^2 = 5 + 4 + 4 - 2 sqrt(14) = 5.516685226452117 (python3 -c "print(13-2*14**0.5)").
  Eigen::MatrixXd s1(2, 2), s2(2, 2);
  s1 << 2, 1, 1, 2;
  s2 << 1, 0, 0, 3;
  const auto a = gaussian(Eigen::Vector2d(0, 0), s1);
  const auto b = gaussian(Eigen::Vector2d(1, 2), s2);
  CHECK(native::frechet_distance(a, b) == Approx(5.516685226452117).epsilon(1e-12));
  CHECK(native::frechet_distance(b, a) == Approx(5.516685226452117).epsilon(1e-12));

  // diagonal covariances: d^2 = |dmu|^2 + sum (sqrt(a_i) - sqrt(b_i))^2, here
  // 0.25 + (2 - 1)^2 + (3 - 0.5)^2 = 7.5 (by hand)
  Eigen::MatrixXd d1 = Eigen::Vector2d(4, 9).asDiagonal(),
                  d2 = Eigen::Vector2d(1, 0.25).asDiagonal();
  CHECK(native::frechet_distance(gaussian(Eigen::Vector2d(0.5, 0), d1),
                                 gaussian(Eigen::Vector2d(0, 0), d2)) == Approx(7.5));
  CHECK_THROWS_WITH(native::frechet_distance(
                        a, gaussian(Eigen::Vector3d(0, 0, 0), Eigen::MatrixXd::Identity(3, 3))),
                    Catch::Contains("dimensions differ"));
}

TEST_CASE("feature statistics: mean and unbiased covariance; a set against itself is ~0",
          "[eval]") {
  // rows (1,2), (3,6), (5,4): mean (3, 4); deviations (-2,-2), (0,2), (2,0);
  // covariance / (n - 1) = [[8, 4], [4, 8]] / 2 (by hand)
  const auto s = native::feature_stats({1, 2, 3, 6, 5, 4}, 3, 2);
  CHECK(s.mean(0) == Approx(3.0));
  CHECK(s.mean(1) == Approx(4.0));
  CHECK(s.cov(0, 0) == Approx(4.0));
  CHECK(s.cov(0, 1) == Approx(2.0));
  CHECK(s.cov(1, 1) == Approx(4.0));
  CHECK_THROWS_WITH(native::feature_stats({1, 2}, 1, 2), Catch::Contains(">= 2 vectors"));

  // 300 vectors of 128 values (rank-deficient covariance, as real features often are)
  std::vector<float> f(300 * 128);
  for (size_t i = 0; i < f.size(); ++i) f[i] = float(std::sin(0.37 * double(i * i % 997)));
  const auto t = native::feature_stats(f, 300, 128);
  CHECK(std::abs(native::frechet_distance(t, t)) < 1e-6);
}

TEST_CASE("eval on a tiny model and real digits: finite, reproducible, cached classifier",
          "[eval]") {
  const std::string dir = mnist_dir();
  const auto train_files = native::find_idx_files(dir, "train");
  const auto test_files = native::find_idx_files(dir, "t10k");
  const auto train = head(native::load_image_set(train_files.images, train_files.labels), 600);
  const auto test = head(native::load_image_set(test_files.images, test_files.labels), 200);
  const auto cache = scratch_dir("eval_cache");

  native::ClassifierOptions co;
  co.epochs = 5, co.quiet = true;
  native::Classifier c1 = native::load_or_train_classifier(train, co, cache, "mnist");
  REQUIRE(c1.trained);
  REQUIRE(std::filesystem::exists(c1.file));
  CHECK_FALSE(std::filesystem::exists(ddpm::temp_path_for(c1.file)));
  native::Classifier c2 = native::load_or_train_classifier(train, co, cache, "mnist");
  CHECK_FALSE(c2.trained);  // read from the cache
  CHECK(c2.file == c1.file);
  co.epochs = 2;  // other options: another key (the default is 6)
  const native::ClassifierOptions defaults;
  CHECK(native::classifier_key(train, co) != native::classifier_key(train, defaults));

  // a tiny random-weight UNet through the Eigen engine and the core sampler
  ddpm::ModelConfig cfg;
  cfg.base_channels = 8, cfg.channel_mult = {1, 2}, cfg.attention_resolutions = {};
  cfg.groups = 4, cfg.num_classes = 10;
  torch::manual_seed(3);
  native::UNet net(cfg);
  ddpm::ScheduleConfig sc;
  sc.timesteps = 100;
  ddpm::UNetEngine engine(native::to_weights(net, sc, nlohmann::json::object()),
                          ddpm::EngineOptions{16, 1});
  const ddpm::EpsModel model = ddpm::make_eps_model(engine);
  const ddpm::Schedule schedule(sc);

  native::SampleSetting s;
  s.sampler.kind = ddpm::SamplerKind::dpmpp_2m, s.sampler.steps = 3;
  s.sampler.spacing = ddpm::Spacing::trailing, s.sampler.guidance = 3.0;
  s.sampler.null_label = 10, s.sampler.seed = 5, s.per_class = 3;
  const auto ref1 = native::real_reference(c1, test);
  const auto ref2 = native::real_reference(c2, test);
  // chunk sizes 7 and 30: the same images, so the same numbers
  const auto r1 = native::evaluate_model(c1, schedule, model, 10, 784, ref1, s, 7, true);
  const auto r2 = native::evaluate_model(c2, schedule, model, 10, 784, ref2, s, 30, true);
  CHECK(r1.samples == 30);
  CHECK(std::isfinite(r1.distance));
  CHECK(r1.distance > 0.0);
  CHECK(r1.accuracy >= 0.0);
  CHECK(r1.accuracy <= 1.0);
  CHECK(r1.accuracy == r2.accuracy);
  CHECK(r1.distance == r2.distance);
  CHECK(ref1.test_accuracy == ref2.test_accuracy);
  const double floor1 = native::real_floor(c1, train, ref1, 30, 9);
  CHECK(std::isfinite(floor1));
  CHECK(floor1 == native::real_floor(c2, train, ref2, 30, 9));

  // five epochs over 600 digits already beat chance (10%) by far on 200 test digits
  CHECK(ref1.test_accuracy > 0.5);
}

TEST_CASE("ddpm eval names the bad flag and exits 2", "[eval][cli]") {
  const std::string bin = std::string(DDPM_BINARY_DIR) + "/native/ddpm";
  REQUIRE(std::filesystem::exists(bin));
  const auto dir = scratch_dir("eval_cli");
  const auto run = [&](const std::string& args) {
    const std::string cmd = "'" + bin + "' eval " + args + " >/dev/null 2>'" + dir + "/err'";
    const int raw = std::system(cmd.c_str());
    return std::make_pair(WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, read_file(dir + "/err"));
  };
  const std::string data = " --data '" + dir + "'";
  for (auto [args, flag] : std::vector<std::pair<std::string, std::string>>{
           {"--sampler euler" + data, "--sampler euler"},
           {"--steps 20,50" + data, "--steps"},
           {"--per-class 1" + data, "--per-class 1"},
           {"--guidance -1" + data, "--guidance"},
           {"--spacing odd" + data, "--spacing odd"},
           {"--threads 0" + data, "--threads 0"},
           {"--seed -3" + data, "--seed"},
           {"--classifier-seed -1" + data, "--classifier-seed"},
           {"--data '" + dir + "/missing'", "--data"},
           {"--model '" + dir + "/none.json'" + data, "--model"},
           {"--json '" + dir + "/no/dir/x.json'" + data, "--json"},
           {"--cache '" + dir + "/err'" + data, "--cache"}}) {
    INFO(args);
    const auto [status, err] = run(args);
    CHECK(status == 2);
    CHECK_THAT(err, Catch::Contains(flag));
  }
}

TEST_CASE("ddpm eval refuses a bad model or setting before it trains the classifier",
          "[eval][cli]") {
  const std::string bin = std::string(DDPM_BINARY_DIR) + "/native/ddpm";
  const auto dir = scratch_dir("eval_early");
  const std::string shipped = std::string(DDPM_SOURCE_DIR) + "/web/models/mnist-base12.json";
  const std::string text = read_file(shipped);
  std::ofstream(dir + "/truncated.json") << text.substr(0, text.size() / 2);
  std::ofstream(dir + "/m.json") << text;
  for (auto [args, expect] : std::vector<std::pair<std::string, std::string>>{
           {"--model '" + dir + "/truncated.json'", "not valid JSON"},
           {"--model '" + shipped + "' --steps 2000", "steps"},
           {"--model '" + shipped + "' --sampler ddim,ddpm --steps 50,1001", "steps"},
           {"--model '" + dir + "/m.json' --json '" + dir + "/m.json'",
            "--json " + dir + "/m.json: the same file as --model"},
           {"--model '" + shipped + "' --json /proc/ddpm-eval.json", "not writable"},
           {"--model '" + shipped + "' --json '" + mnist_dir() + "/r.json'",
            "whose files are inputs"},
           {"--model '" + shipped + "' --dataset ../escape", "--dataset ../escape: expected"}}) {
    INFO(args);
    const std::string cmd = "'" + bin + "' eval " + args + " --data '" + mnist_dir() +
                            "' --cache '" + dir + "/cache' >/dev/null 2>'" + dir + "/err'";
    const int raw = std::system(cmd.c_str());
    CHECK((WIFEXITED(raw) ? WEXITSTATUS(raw) : -1) == 2);
    CHECK_THAT(read_file(dir + "/err"), Catch::Contains(expect));
    // no classifier was trained (or even its cache folder made) for a run that cannot go on
    CHECK_FALSE(std::filesystem::exists(dir + "/cache"));
  }
  CHECK(read_file(dir + "/m.json") == text);

  // a cache folder that cannot be made: refused before the classifier trains
  const std::string cmd = "'" + bin + "' eval --data '" + mnist_dir() +
                          "' --cache /proc/ddpm-cache/x >/dev/null 2>'" + dir + "/err'";
  const int raw = std::system(cmd.c_str());
  CHECK((WIFEXITED(raw) ? WEXITSTATUS(raw) : -1) == 2);
  CHECK_THAT(read_file(dir + "/err"),
             Catch::Contains("--cache /proc/ddpm-cache/x: cannot create"));
}

TEST_CASE("every model web/models/index.json lists loads, validates and runs", "[eval][shipped]") {
  const std::string dir = std::string(DDPM_SOURCE_DIR) + "/web/models/";
  const auto index = nlohmann::json::parse(read_file(dir + "index.json"));
  REQUIRE(index["models"].size() >= 1);
  CHECK(index["models"][0]["file"] == "mnist-base12.json");  // the page's default first
  for (const auto& entry : index["models"]) {
    const std::string path = dir + entry["file"].get<std::string>();
    INFO(path);
    REQUIRE(std::filesystem::exists(path));
    CHECK(std::filesystem::file_size(path) <= 4u * 1024 * 1024);  // issue 6: <= 4 MB
    CHECK(read_file(path).find("\"dtype\":\"f16\"") != std::string::npos);
    ddpm::Weights w = ddpm::load_weights(path);  // full validation of docs/weights-format.md
    CHECK(w.model.num_classes == 10);
    CHECK(w.model.height == 28);
    CHECK(w.model.width == 28);
    CHECK(w.model.in_channels == 1);
    CHECK(w.tensors.size() == ddpm::parameter_specs(w.model).size());

    // one guided forward pass of the engine gives finite noise predictions of unit-ish scale
    ddpm::UNetEngine engine(std::move(w), ddpm::EngineOptions{2, 1});
    std::vector<float> x(2 * 784), eps(2 * 784);
    for (size_t i = 0; i < x.size(); ++i) x[i] = float(std::sin(double(i)));
    const int labels[2] = {3, 10};
    engine.forward(x.data(), 2, 500, labels, eps.data());
    double sq = 0;
    for (float e : eps) {
      REQUIRE(std::isfinite(e));
      sq += double(e) * e;
    }
    CHECK(std::sqrt(sq / double(eps.size())) > 0.1);
    CHECK(std::sqrt(sq / double(eps.size())) < 10.0);
  }
}
