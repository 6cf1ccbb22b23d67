// `ddpm eval`: trains (once, cached) the evaluation classifier on a data set and measures a
// model's samples: conditional accuracy and Fréchet distance vs the test split, with a floor.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "atomic_file.hpp"
#include "cli/commands.hpp"
#include "cli/output_checks.hpp"
#include "engine/unet_engine.hpp"
#include "model_config.hpp"
#include "torch/evaluation.hpp"
#include "weights.hpp"

namespace ddpm::cli {
namespace {

struct EvalArgs {
  std::string model, data = "data/mnist", dataset, cache = "data/eval", json;
  std::vector<std::string> samplers{"dpm++2m"};
  std::vector<int> steps{20}, per_class{100};
  std::vector<double> guidance{1.0};
  std::string spacing = "trailing";
  uint64_t seed = 1;
  int threads = 1, batch = 16, classifier_epochs = 6;
  uint64_t classifier_seed = 0;
  bool clip = false, quiet = false;
};

// A list flag holds one value per sampler, or one value for all of them.
template <typename T>
T pick(const std::vector<T>& values, size_t i) {
  return values.size() == 1 ? values[0] : values[i];
}

// Whole-run checks of the flags, before any data is read.
void check_args(const EvalArgs& a) {
  const size_t k = a.samplers.size();
  if (k == 0) throw std::invalid_argument("--sampler: expected at least one sampler");
  if (a.steps.size() != 1 && a.steps.size() != k)
    throw std::invalid_argument("--steps: expected one value, or one per --sampler (" +
                                std::to_string(k) + ")");
  if (a.per_class.size() != 1 && a.per_class.size() != k)
    throw std::invalid_argument("--per-class: expected one value, or one per --sampler (" +
                                std::to_string(k) + ")");
  for (int s : a.steps)
    if (s < 0) throw std::invalid_argument("--steps " + std::to_string(s) + ": expected >= 0");
  for (int p : a.per_class)
    if (p < 2 || p > 10000)
      throw std::invalid_argument("--per-class " + std::to_string(p) + ": expected 2..10000");
  for (double g : a.guidance)
    if (!std::isfinite(g) || g < 0 || g > 100)
      throw std::invalid_argument("--guidance " + std::to_string(g) + ": expected 0..100");
  for (const auto& s : a.samplers) {
    try {
      parse_sampler_kind(s);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("--sampler " + s + ": expected ddpm, ddim or dpm++2m");
    }
  }
  try {
    parse_spacing(a.spacing);
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument("--spacing " + a.spacing + ": expected leading, trailing or "
                                "linspace");
  }
  if (a.threads < 1 || a.threads > 256)
    throw std::invalid_argument("--threads " + std::to_string(a.threads) + ": expected 1..256");
  if (a.batch < 1 || a.batch > 1024)
    throw std::invalid_argument("--batch " + std::to_string(a.batch) + ": expected 1..1024");
  if (a.classifier_epochs < 1 || a.classifier_epochs > 100)
    throw std::invalid_argument("--classifier-epochs " + std::to_string(a.classifier_epochs) +
                                ": expected 1..100");
  if (!std::filesystem::is_directory(a.data))
    throw std::invalid_argument("--data " + a.data + ": not a folder");
  if (!a.model.empty() && !std::filesystem::is_regular_file(a.model))
    throw std::invalid_argument("--model " + a.model + ": no such file");
  if (!a.json.empty() && a.json != "-") {
    require_writable_parent("--json", a.json);
    if (!a.model.empty()) require_distinct("--json", a.json, "--model", a.model);
    // the data set's files and the cached classifiers are inputs too
    std::error_code ec;
    const auto folder = std::filesystem::absolute(a.json, ec).parent_path();
    for (const std::string* input : {&a.data, &a.cache})
      if (std::filesystem::equivalent(folder, *input, ec))
        throw std::invalid_argument("--json " + a.json + ": in the folder " + *input +
                                    ", whose files are inputs; write it elsewhere");
  }
  // the data set's name is part of the cache file's name
  if (!a.dataset.empty() &&
      (a.dataset[0] == '.' ||
       a.dataset.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "0123456789._-") != std::string::npos))
    throw std::invalid_argument("--dataset " + a.dataset +
                                ": expected letters, digits, '.', '_' or '-' (not first '.')");
  std::error_code ec;
  if (std::filesystem::exists(a.cache, ec) && !std::filesystem::is_directory(a.cache, ec))
    throw std::invalid_argument("--cache " + a.cache + ": not a folder");
  // a new cache folder must be possible before the classifier trains for minutes; an existing
  // one may be read-only when it already holds the classifier
  if (!std::filesystem::exists(a.cache, ec)) require_creatable_folder("--cache", a.cache);
}

native::ImageSet load_split(const std::string& dir, const std::string& split) {
  const native::IdxFiles files = native::find_idx_files(dir, split);
  if (files.labels.empty())
    throw std::invalid_argument("--data " + dir + ": the " + split + " split has no labels");
  return native::load_image_set(files.images, files.labels);
}

std::string table(const nlohmann::json& j) {
  std::string out;
  char line[200];
  std::snprintf(line, sizeof line, "classifier: test accuracy %.2f%% on %d %s test images%s\n",
                100.0 * j["classifier"]["test_accuracy"].get<double>(),
                j["classifier"]["test_images"].get<int>(), j["dataset"].get<std::string>().c_str(),
                j["classifier"]["trained"].get<bool>() ? " (trained now)" : " (cached)");
  out += line;
  if (j["rows"].empty()) return out;
  out += "sampler  steps  spacing   guidance  samples  cond. acc.  distance  floor  ratio  time\n";
  for (const auto& r : j["rows"]) {
    std::snprintf(line, sizeof line, "%-8s %5d  %-8s  %8.1f  %7d  %9.2f%%  %8.2f  %5.2f  %5.2f"
                  "  %.0f s\n",
                  r["sampler"].get<std::string>().c_str(), r["steps"].get<int>(),
                  r["spacing"].get<std::string>().c_str(), r["guidance"].get<double>(),
                  r["samples"].get<int>(), 100.0 * r["accuracy"].get<double>(),
                  r["distance"].get<double>(), r["floor"].get<double>(),
                  r["distance"].get<double>() / r["floor"].get<double>(),
                  r["seconds"].get<double>());
    out += line;
  }
  out += "distance: squared Fréchet distance of the classifier's 128 penultimate features vs "
         "the test split;\nfloor: the same for as many real train images (seeded draw).\n";
  return out;
}

void run_eval(const EvalArgs& a) {
  check_args(a);
  const std::string name =
      a.dataset.empty() ? std::filesystem::path(a.data).filename().string() : a.dataset;
  const native::ImageSet train = load_split(a.data, "train");
  const native::ImageSet test = load_split(a.data, "t10k");

  // the model and every sampler setting, checked before the classifier's minutes of training
  std::unique_ptr<Weights> weights;
  std::vector<native::SampleSetting> settings;
  if (!a.model.empty()) {
    try {
      weights = std::make_unique<Weights>(load_weights(a.model));
    } catch (const std::runtime_error& e) {
      throw std::invalid_argument(std::string("--model: ") + e.what());
    }
    const ModelConfig& cfg = weights->model;
    if (cfg.num_classes == 0)
      throw std::invalid_argument("--model " + a.model +
                                  ": an unconditional model "
                                  "(num_classes 0); ddpm eval measures class-conditional ones");
    if (cfg.num_classes != train.num_labels() || cfg.height != test.height ||
        cfg.width != test.width || cfg.in_channels != test.channels)
      throw std::invalid_argument("--model " + a.model +
                                  ": its classes or image shape differ "
                                  "from the data set's (--data " +
                                  a.data + ")");
    const int T = weights->schedule.timesteps;
    for (size_t i = 0; i < a.samplers.size(); ++i) {
      for (double g : a.guidance) {
        native::SampleSetting s;
        s.sampler.kind = parse_sampler_kind(a.samplers[i]);
        s.sampler.steps = pick(a.steps, i) == 0 ? T : pick(a.steps, i);
        s.sampler.spacing = parse_spacing(a.spacing);
        s.sampler.guidance = g, s.sampler.seed = a.seed;
        s.sampler.null_label = cfg.num_classes;
        s.sampler.clip_x0 = a.clip;
        s.per_class = pick(a.per_class, i);
        validate(s.sampler, T);
        settings.push_back(s);
      }
    }
  }

  // the classifier (cached) and the test split's reference statistics
  native::ClassifierOptions co;
  co.epochs = a.classifier_epochs, co.seed = a.classifier_seed, co.threads = a.threads;
  co.quiet = a.quiet;
  native::Classifier classifier = native::load_or_train_classifier(train, co, a.cache, name);
  const native::RealReference ref = native::real_reference(classifier, test);

  nlohmann::json j;
  j["dataset"] = name;
  j["classifier"] = {{"file", std::filesystem::path(classifier.file).filename().string()},
                     {"trained", classifier.trained}, {"epochs", co.epochs},
                     {"train_images", train.count}, {"test_images", test.count},
                     {"features", native::ClassifierNetImpl::kFeatures},
                     {"test_accuracy", ref.test_accuracy}};
  j["floor"] = "the same distance for as many train-split images as samples, drawn without "
               "replacement with the run's seed, against the whole test split";
  j["rows"] = nlohmann::json::array();

  // the model, through the Eigen engine and the core's samplers (as `ddpm sample`)
  if (weights) {
    const ModelConfig cfg = weights->model;
    const Schedule schedule(weights->schedule);
    j["model"] = {{"file", std::filesystem::path(a.model).filename().string()},
                  {"mflop_per_image", mflop_per_image(cfg)},
                  {"parameters", parameter_count(cfg)}, {"timesteps", schedule.T}};
    UNetEngine engine(std::move(*weights), EngineOptions{a.batch, a.threads});
    const EpsModel model = make_eps_model(engine);

    std::map<int64_t, double> floors;  // by sample count
    for (const native::SampleSetting& s : settings) {
      native::EvalRow r = native::evaluate_model(classifier, schedule, model, cfg.num_classes,
                                                 cfg.image_dim(), ref, s, 200, a.quiet);
      if (!floors.count(r.samples))
        floors[r.samples] = native::real_floor(classifier, train, ref, r.samples, a.seed);
      r.floor = floors[r.samples];
      j["rows"].push_back({{"sampler", r.sampler},
                           {"steps", r.steps},
                           {"spacing", r.spacing},
                           {"guidance", r.guidance},
                           {"per_class", r.per_class},
                           {"samples", r.samples},
                           {"accuracy", r.accuracy},
                           {"distance", r.distance},
                           {"floor", r.floor},
                           {"seed", a.seed},
                           {"clip_x0", a.clip},
                           {"seconds", r.seconds}});
    }
  }

  // outputs: the table on stdout (stderr when the JSON goes to stdout)
  const std::string text = table(j);
  if (a.json == "-") {
    std::fputs(text.c_str(), stderr);
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::fputs(text.c_str(), stdout);
    if (!a.json.empty()) write_file_atomic(a.json, j.dump(2) + "\n");
  }
}

void add_eval_command(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand(
      "eval", "Measure a model's samples with a classifier: conditional accuracy, Fréchet "
              "distance vs the test split, and the real-vs-real floor");
  cmd->add_option("--model", a->model, "weights file (JSON); without it only the classifier");
  cmd->add_option("--data", a->data, "folder of IDX files with train and t10k splits")
      ->capture_default_str();
  cmd->add_option("--dataset", a->dataset, "name of the data set (default: the folder's)");
  cmd->add_option("--cache", a->cache, "folder of the cached classifiers")->capture_default_str();
  cmd->add_option("--sampler", a->samplers, "samplers, e.g. ddpm,ddim,dpm++2m")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--steps", a->steps, "steps per sampler (one value for all; 0 = all T)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--per-class", a->per_class, "samples per class, per sampler or for all")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--guidance", a->guidance, "guidance scales, each run with every sampler")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--spacing", a->spacing, "leading, trailing or linspace")
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "seed of the noise and of the floor's draw")
      ->capture_default_str()
      ->check(seed_check());
  cmd->add_option("--threads", a->threads, "threads (engine and LibTorch)")->capture_default_str();
  cmd->add_option("--batch", a->batch, "Eigen engine batch")->capture_default_str();
  cmd->add_option("--classifier-epochs", a->classifier_epochs, "classifier training epochs")
      ->capture_default_str();
  cmd->add_option("--classifier-seed", a->classifier_seed, "classifier training seed")
      ->capture_default_str()
      ->check(seed_check());
  cmd->add_option("--json", a->json, "write the results as JSON to this file (- = stdout)");
  cmd->add_flag("--clip", a->clip, "clip each x0 prediction to [-1, 1] (as the page does)");
  cmd->add_flag("--quiet", a->quiet, "no progress on stderr");
  cmd->callback([a] { run_command("eval", [&] { run_eval(*a); }); });
}

const Register r{add_eval_command};

}  // namespace
}  // namespace ddpm::cli
