// `ddpm sample`: draws images from a weights file with the Eigen engine (or the LibTorch UNet
// for comparison) through the core's samplers; writes a PNG grid, optional frames and raw x_0.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include "atomic_file.hpp"
#include "cli/commands.hpp"
#include "cli/output_checks.hpp"
#include "cli/sample_torch.hpp"
#include "engine/unet_engine.hpp"
#include "image/png_grid.hpp"
#include "labels.hpp"
#include "sampler.hpp"
#include "schedule.hpp"
#include "weights.hpp"

namespace ddpm::cli {
namespace {

constexpr int kMaxSamples = 4096;

struct SampleArgs {
  std::string model, sampler = "ddim", spacing = "leading", label = "none";
  std::string engine = "eigen", out, frames, raw;
  int n = 64, steps = 50, threads = 1, batch = 16, columns = 0;
  double eta = 0.0, guidance = 1.0;
  uint64_t seed = 1;
  bool clip = false, quiet = false;
};

template <typename Parse>
auto parse_flag(const char* flag, const std::string& value, Parse parse) {
  try {
    return parse(value);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string(flag) + ": " + e.what());
  }
}

// The whole-run checks, before the model file is read or anything is written.
void check_args(const SampleArgs& a) {
  if (a.n < 1 || a.n > kMaxSamples)
    throw std::invalid_argument("--n " + std::to_string(a.n) + ": expected 1.." +
                                std::to_string(kMaxSamples));
  if (a.steps < 1)
    throw std::invalid_argument("--steps " + std::to_string(a.steps) + ": expected >= 1");
  if (a.threads < 1 || a.threads > 256)
    throw std::invalid_argument("--threads " + std::to_string(a.threads) + ": expected 1..256");
  if (a.batch < 1 || a.batch > 1024)
    throw std::invalid_argument("--batch " + std::to_string(a.batch) + ": expected 1..1024");
  if (a.columns < 0)
    throw std::invalid_argument("--columns " + std::to_string(a.columns) + ": expected >= 0");
  if (a.engine != "eigen" && a.engine != "torch")
    throw std::invalid_argument("--engine " + a.engine + ": expected eigen or torch");
#ifndef DDPM_WITH_TORCH
  if (a.engine == "torch")
    throw std::invalid_argument("--engine torch: this ddpm was built without LibTorch");
#endif
  if (!(a.guidance >= 0 && a.guidance <= 100))
    throw std::invalid_argument("--guidance " + std::to_string(a.guidance) + ": expected 0..100");
  if (a.eta != 0 && a.sampler != "ddim")
    throw std::invalid_argument("--eta applies to --sampler ddim only (got --sampler " +
                                a.sampler + ")");
  require_writable_parent("--out", a.out);
  require_distinct("--out", a.out, "--model", a.model);
  if (!a.raw.empty()) {
    require_writable_parent("--raw", a.raw);
    require_distinct("--raw", a.raw, "--model", a.model);
    require_distinct("--raw", a.raw, "--out", a.out);
  }
  if (!a.frames.empty()) {
    require_writable_folder("--frames", a.frames);
    // the grid, written last, would replace one of the frames
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path out_dir = fs::absolute(a.out, ec).parent_path();
    const std::string name = fs::path(a.out).filename().string();
    if (fs::equivalent(out_dir, a.frames, ec) && name.rfind("frame_", 0) == 0)
      throw std::invalid_argument("--out " + a.out + ": a frame_ name in the --frames folder " +
                                  a.frames + " (a frame would be overwritten)");
    // frames already there are replaced; one that is a FIFO, folder or dangling link is not
    for (const auto& entry : fs::directory_iterator(a.frames, ec))
      if (entry.path().filename().string().rfind("frame_", 0) == 0) {
        try {
          output_target(entry.path().string());
        } catch (const std::runtime_error& e) {
          throw std::invalid_argument(std::string("--frames: ") + e.what());
        }
      }
  }
}

// The progress on stderr: one line rewritten in place on a terminal; elsewhere (a log file,
// a pipe) a line at every tenth of the run and at its end. Step, t, steps/s, time left.
class Progress {
 public:
  Progress(int total, bool quiet)
      : total_(total), quiet_(quiet), tty_(isatty(2) != 0), start_(Clock::now()) {}
  void update(const StepInfo& s) {
    const int done = s.step + 1, every = std::max(1, total_ / 10);
    if (quiet_ || (!tty_ && done % every != 0 && done != total_)) return;
    const double secs = std::chrono::duration<double>(Clock::now() - start_).count();
    const double rate = done / std::max(secs, 1e-9);
    std::fprintf(stderr, "%ssample: step %d/%d  t %4d -> %4d  %.2f steps/s  ETA %.0f s%s",
                 tty_ ? "\r" : "", done, total_, s.t, s.t_next, rate, (total_ - done) / rate,
                 tty_ ? "   " : "\n");
    std::fflush(stderr);
  }
  void finish() {
    if (quiet_) return;
    const double secs = std::chrono::duration<double>(Clock::now() - start_).count();
    std::fprintf(stderr, "%ssample: %d step%s in %.2f s\n", tty_ ? "\n" : "", total_,
                 total_ == 1 ? "" : "s", secs);
  }

 private:
  using Clock = std::chrono::steady_clock;
  int total_;
  bool quiet_, tty_;
  Clock::time_point start_;
};

void run_sample(const SampleArgs& a) {
  check_args(a);
  Weights weights;
  try {
    weights = load_weights(a.model);
  } catch (const std::runtime_error& e) {
    throw std::invalid_argument(std::string("--model: ") + e.what());
  }
  const ModelConfig cfg = weights.model;
  const Schedule schedule(weights.schedule);

  // sampler options; guidance needs a conditional model and labels
  SamplerOptions o;
  o.kind = parse_flag("--sampler", a.sampler, parse_sampler_kind);
  o.spacing = parse_flag("--spacing", a.spacing, parse_spacing);
  o.steps = a.steps, o.eta = a.eta, o.guidance = a.guidance, o.clip_x0 = a.clip;
  o.seed = a.seed;
  o.null_label = cfg.num_classes > 0 ? cfg.num_classes : -1;
  validate(o, schedule.T);
  if (a.guidance != 1.0 && cfg.num_classes == 0)
    throw std::invalid_argument("--guidance " + std::to_string(a.guidance) +
                                ": the model is unconditional (num_classes 0); guidance needs "
                                "a conditional model (use --guidance 1)");
  LabelChoice choice;
  try {
    choice = parse_label_choice(a.label, cfg.num_classes);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--label ") + e.what());
  }
  const std::vector<int> labels = make_labels(choice, cfg.num_classes, a.seed, 0, a.n);
  if (a.guidance != 1.0 && labels.empty())
    throw std::invalid_argument("--guidance needs class labels: give --label N, each or random");

  // the network
  std::unique_ptr<UNetEngine> engine;
  EpsModel model;
  if (a.engine == "eigen") {
    engine = std::make_unique<UNetEngine>(std::move(weights), EngineOptions{a.batch, a.threads});
    model = make_eps_model(*engine);
  } else {
#ifdef DDPM_WITH_TORCH
    model = make_torch_eps_model(weights);
#endif
  }

  // sampling, with frames and progress after every step
  GridLayout grid;
  grid.n = a.n, grid.channels = cfg.in_channels, grid.height = cfg.height;
  grid.width = cfg.width;
  grid.columns = a.columns > 0 ? std::min(a.columns, a.n) : int(std::ceil(std::sqrt(double(a.n))));
  Progress progress(o.steps, a.quiet);
  auto on_step = [&](const StepInfo& s) {
    if (!a.frames.empty()) {
      char name[32];
      std::snprintf(name, sizeof name, "/frame_%04d.png", s.step + 1);
      write_png_grid(a.frames + name, s.x, grid);
    }
    progress.update(s);
    return true;
  };
  const std::vector<float> x0 = sample(schedule, o, model, a.n, cfg.image_dim(), labels, on_step);
  progress.finish();

  // outputs, each written atomically
  write_png_grid(a.out, x0.data(), grid);
  if (!a.raw.empty())
    write_file_atomic(
        a.raw, std::string(reinterpret_cast<const char*>(x0.data()), x0.size() * sizeof(float)));
  if (!a.quiet)
    std::fprintf(stderr, "sample: wrote %s%s%s\n", a.out.c_str(), a.raw.empty() ? "" : " and ",
                 a.raw.c_str());
}

void add_sample_command(CLI::App& app) {
  auto a = std::make_shared<SampleArgs>();
  CLI::App* cmd =
      app.add_subcommand("sample", "Draw images from a weights file and write them as a PNG grid");
  cmd->add_option("--model", a->model, "weights file (JSON, ddpm export)")->required();
  cmd->add_option("--n", a->n, "number of images, 1..4096")->capture_default_str();
  cmd->add_option("--sampler", a->sampler, "ddpm, ddim or dpm++2m")->capture_default_str();
  cmd->add_option("--steps", a->steps, "denoising steps, 1..T")->capture_default_str();
  cmd->add_option("--spacing", a->spacing, "leading, trailing or linspace")->capture_default_str();
  cmd->add_option("--eta", a->eta, "DDIM noise, 0 (deterministic) .. 1")->capture_default_str();
  cmd->add_option("--guidance", a->guidance,
                  "classifier-free guidance scale s (1 = off; needs a conditional model)")
      ->capture_default_str();
  cmd->add_option("--label", a->label,
                  "class 0..K-1, each (class i mod K for image i), random, or none (null label)")
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "seed of the noise (and of --label random)")
      ->capture_default_str()
      ->check(seed_check());
  cmd->add_flag("--clip", a->clip, "clip each x0 prediction to [-1, 1]");
  cmd->add_flag("--quiet", a->quiet, "no progress or summary lines (errors only)");
  cmd->add_option("--engine", a->engine, "eigen, or torch (the trainer's LibTorch UNet)")
      ->capture_default_str();
  cmd->add_option("--threads", a->threads, "Eigen engine threads")->capture_default_str();
  cmd->add_option("--batch", a->batch, "Eigen engine batch (larger calls run in chunks)")
      ->capture_default_str();
  cmd->add_option("--out", a->out, "PNG grid to write")->required();
  cmd->add_option("--columns", a->columns, "images per grid row (0: about sqrt(n))");
  cmd->add_option("--frames", a->frames, "existing folder: every step's x_t as frame_NNNN.png");
  cmd->add_option("--raw", a->raw, "file: x_0 as raw little-endian float32, N, C, H, W");
  cmd->callback([a] { run_command("sample", [&] { run_sample(*a); }); });
}

const Register r{add_sample_command};

}  // namespace
}  // namespace ddpm::cli
