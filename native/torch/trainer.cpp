// The training loop: t ~ U{1..T}, eps ~ N(0, I), x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps,
// loss = ||eps - eps_theta(x_t, t, y)||^2 (Ho et al. 2020, Algorithm 1), with the tables of
// shared/schedule and the core's sampler for the sample grids.
#include "torch/trainer.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "atomic_file.hpp"
#include "image/png_grid.hpp"
#include "sampler.hpp"
#include "torch/checkpoint.hpp"
#include "torch/eps_model.hpp"
#include "torch/idx.hpp"
#include "torch/unet.hpp"
#include "torch/unet_weights.hpp"

namespace ddpm::native {

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop = true; }

constexpr double kPi = 3.14159265358979323846;
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return buf;
}

std::string format_duration(double s) {
  char buf[32];
  int total = int(s + 0.5);
  std::snprintf(buf, sizeof buf, "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60);
  return buf;
}

// bf16 autocast of the forward pass on CUDA; the API was renamed in LibTorch 2.4.
class CudaAutocast {
 public:
  explicit CudaAutocast(bool on) : on_(on) { set(on_); }
  ~CudaAutocast() {
    if (!on_) return;
    set(false);
    at::autocast::clear_cache();
  }

 private:
  static void set(bool enabled) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCUDA, enabled);
#else
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(enabled);
#endif
  }
  bool on_;
};

// Generator states, so that a resumed run draws the same numbers.
torch::Tensor cpu_rng_state() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}
torch::Tensor cuda_rng_state(const torch::Device& device) {
  if (!device.is_cuda()) return {};
  auto gen = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}
void set_rng_states(const torch::Tensor& cpu, const torch::Tensor& cuda,
                    const torch::Device& device) {
  auto gen = at::detail::getDefaultCPUGenerator();
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(cpu.cpu());
  }
  if (device.is_cuda() && cuda.defined()) {
    auto cgen = at::globalContext().defaultGenerator(device);
    std::lock_guard<std::mutex> lock(cgen.mutex());
    cgen.set_state(cuda.cpu());
  }
}

void check_options(const TrainOptions& o) {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument(what);
  };
  need(o.steps >= 1, "--steps must be at least 1");
  need(o.batch >= 1 && o.batch <= 65536, "--batch must be in 1..65536");
  need(o.lr > 0 && o.lr < 1, "--lr must be in (0, 1)");
  need(o.warmup >= 0, "--warmup must be >= 0");
  need(o.weight_decay >= 0, "--weight-decay must be >= 0");
  need(o.grad_clip >= 0, "--grad-clip must be >= 0");
  need(o.ema_decay >= 0 && o.ema_decay < 1, "--ema-decay must be in [0, 1)");
  need(o.class_dropout >= 0 && o.class_dropout <= 1, "--class-dropout must be in [0, 1]");
  need(o.log_every >= 1, "--log-every must be at least 1");
  need(o.checkpoint_every >= 0, "--checkpoint-every must be >= 0");
  need(o.sample_every >= 0, "--sample-every must be >= 0");
  need(o.sample_steps >= 0, "--sample-steps must be >= 0 (0 = 50, or T if smaller)");
  need(o.stop_at >= 0 && o.stop_at <= o.steps, "--stop-at must be in 0..--steps (0 = off)");
  need(o.grid_columns >= 1 && o.grid_columns <= 64, "--grid-columns must be in 1..64");
  need(o.threads >= 0 && o.threads <= 256, "--threads must be in 0..256 (0 = LibTorch's default)");
  need(o.max_images >= 0, "--max-images must be >= 0");
  need(!o.out_dir.empty(), "--out is required");
  need(!o.data_dir.empty(), "--data is required");
}

// The files this run writes into an existing --out (its log, checkpoint, model and sample
// grids), checked before any work: one that is a folder, FIFO, device or dangling link would
// fail only after the training, or block on open.
void check_out_files(const std::string& out_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(out_dir, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    throw std::invalid_argument("--out " + out_dir + ": " + ec.message());
  if (!fs::exists(status)) {
    if (fs::is_symlink(fs::symlink_status(out_dir, ec)))
      throw std::invalid_argument("--out " + out_dir + ": a link that leads nowhere");
    return;
  }
  if (!fs::is_directory(status))
    throw std::invalid_argument("--out " + out_dir + ": not a folder");
  for (const auto& entry : fs::directory_iterator(out_dir, ec)) {
    const std::string name = entry.path().filename().string();
    const bool grid = name.rfind("samples-", 0) == 0 && entry.path().extension() == ".png";
    if (!grid && name != "checkpoint.ckpt" && name != "model.json" && name != "train.log")
      continue;
    try {
      output_target(entry.path().string());
    } catch (const std::runtime_error& e) {
      throw std::invalid_argument(std::string("--out: ") + e.what());
    }
  }
}

// The output folder: created if needed (with its parents, as mkdir -p) and writable;
// train.log opens for append. Called once the options and the data have been checked, so that
// a refused run leaves no folder behind.
std::ofstream open_log(const std::string& out_dir) {
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (!std::filesystem::is_directory(out_dir))
    throw std::invalid_argument("--out " + out_dir + ": cannot create the folder");
  if (!can_create_file_in(out_dir))
    throw std::invalid_argument("--out " + out_dir + ": folder is not writable");
  std::ofstream log(out_dir + "/train.log", std::ios::app);
  if (!log) throw std::invalid_argument("--out " + out_dir + ": cannot open train.log");
  return log;
}

// Writes one sample grid of the EMA model: one row per class (label r % K), or 8 rows.
void write_samples(const std::string& path, const UNet& ema, const Schedule& schedule,
                   const TrainOptions& o, const torch::Device& device) {
  const auto& c = ema->config();
  const int rows = c.num_classes > 0 ? std::min(c.num_classes, 16) : 8;
  const int n = rows * o.grid_columns;
  std::vector<int> labels;
  if (c.num_classes > 0)
    for (int i = 0; i < n; ++i) labels.push_back(i / o.grid_columns);

  SamplerOptions so;
  so.kind = SamplerKind::ddim;
  so.steps = o.sample_steps > 0 ? o.sample_steps : std::min(50, schedule.T);
  so.seed = o.seed;
  so.clip_x0 = true;
  so.null_label = c.num_classes > 0 ? c.num_classes : -1;
  auto images = sample(schedule, so, make_eps_model(ema, device), n, c.image_dim(), labels);

  GridLayout g;
  g.n = n;
  g.columns = o.grid_columns;
  g.channels = c.in_channels;
  g.height = c.height;
  g.width = c.width;
  write_png_grid(path, images.data(), g);
}

// Linear warm-up, then cosine decay from lr to lr / 10 at the last step.
double learning_rate(const TrainOptions& o, int64_t step) {
  if (step < o.warmup) return o.lr * double(step + 1) / double(o.warmup);
  const double span = double(std::max<int64_t>(1, o.steps - o.warmup));
  const double progress = std::min(1.0, double(step - o.warmup) / span);
  return o.lr * (0.1 + 0.9 * 0.5 * (1.0 + std::cos(kPi * progress)));
}

}  // namespace

void install_stop_handlers() {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
}

std::string resolve_device(const std::string& device) {
  if (device == "cpu") return "cpu";
  const bool cuda = torch::cuda::is_available();
  if (device == "cuda") {
    if (!cuda)
      throw std::invalid_argument("--device cuda: this LibTorch sees no CUDA device "
                                  "(use --device cpu or auto, or build against a CUDA LibTorch)");
    return "cuda";
  }
  if (device == "auto") return cuda ? "cuda" : "cpu";
  throw std::invalid_argument("--device must be auto, cpu or cuda, got '" + device + "'");
}

TrainResult train(const TrainOptions& options) {
  TrainOptions o = options;
  check_options(o);
  TrainResult result;
  result.device = resolve_device(o.device);
  const torch::Device device(result.device);
  if (o.threads > 0) torch::set_num_threads(o.threads);
#ifdef __GLIBC__
  // keep the activations' pages between steps: glibc would unmap every block > 128 KiB and
  // fault it in again next step (about 20% of a CPU step, measured with perf)
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif

  // resume: the configuration comes from the checkpoint
  check_out_files(o.out_dir);
  std::unique_ptr<CheckpointReader> reader;
  const std::string own = o.out_dir + "/checkpoint.ckpt";
  std::error_code ec;
  if (!o.resume.empty() && std::filesystem::exists(own, ec) &&
      !std::filesystem::equivalent(own, o.resume, ec))
    throw std::invalid_argument("--out " + o.out_dir + " already holds a checkpoint.ckpt " +
                                "other than the --resume file, which this run would " +
                                "replace; resume that one (--resume " + own +
                                ") or give another --out");
  if (!o.resume.empty()) {
    reader = std::make_unique<CheckpointReader>(o.resume, device);
    o.model = reader->state().model;
    o.schedule = reader->state().schedule;
  } else if (std::filesystem::exists(o.out_dir + "/checkpoint.ckpt")) {
    throw std::invalid_argument("--out " + o.out_dir + " already holds checkpoint.ckpt; pass " +
                                "--resume " + o.out_dir + "/checkpoint.ckpt or another --out");
  }
  // data: IDX images [N, 1, H, W] in [-1, 1] and labels, kept on the device
  IdxFiles files = find_idx_files(o.data_dir, "train");
  ImageSet set = load_image_set(files.images, files.labels);
  if (o.max_images > 0 && o.max_images < set.count) {
    set.count = o.max_images;
    set.pixels.resize(size_t(set.count) * set.height * set.width);
    if (!set.labels.empty()) set.labels.resize(size_t(set.count));
  }
  if (reader && (set.height != o.model.height || set.width != o.model.width))
    throw std::invalid_argument("--data " + o.data_dir + ": images are " +
                                std::to_string(set.height) + "x" + std::to_string(set.width) +
                                " but the checkpoint's model expects " +
                                std::to_string(o.model.height) + "x" +
                                std::to_string(o.model.width));
  o.model.in_channels = 1;
  o.model.height = set.height;
  o.model.width = set.width;
  validate(o.model);
  validate(o.schedule);
  if (o.sample_steps > o.schedule.timesteps)
    throw std::invalid_argument(
        "--sample-steps " + std::to_string(o.sample_steps) +
        " exceeds the schedule's T = " + std::to_string(o.schedule.timesteps));
  if (o.model.num_classes > 0 && set.labels.empty())
    throw std::invalid_argument("--data " + o.data_dir + ": no labels file; train with " +
                                "--classes 0 (unconditional) or add train-labels-idx1-ubyte");
  if (o.model.num_classes > 0 && set.num_labels() > o.model.num_classes)
    throw std::invalid_argument("--data " + o.data_dir + ": labels go up to " +
                                std::to_string(set.num_labels() - 1) + " but --classes is " +
                                std::to_string(o.model.num_classes));
  if (o.batch > set.count)
    throw std::invalid_argument("--batch " + std::to_string(o.batch) + " exceeds the " +
                                std::to_string(set.count) + " training images");
  std::ofstream log = open_log(o.out_dir);
  const int64_t n_images = set.count;
  auto images = torch::from_blob(set.pixels.data(), {n_images, 1, set.height, set.width},
                                 torch::kFloat32)
                    .to(device);
  torch::Tensor labels;
  if (!set.labels.empty())
    labels = torch::from_blob(set.labels.data(), {n_images}, torch::kInt32)
                 .to(device, torch::kLong);
  if (o.dataset_name.empty())
    o.dataset_name = std::filesystem::path(o.data_dir).lexically_normal().filename().string();

  // schedule tables on the device (shared/schedule, never recomputed here)
  const Schedule schedule(o.schedule);
  auto table = [&](const std::vector<double>& v) {
    return torch::tensor(v, torch::kFloat64).to(device, torch::kFloat32);
  };
  const auto sqrt_ab = table(schedule.sqrt_alpha_bar);
  const auto sqrt_1m_ab = table(schedule.sqrt_one_minus_alpha_bar);

  // model, EMA, optimizer; a fresh run is seeded, a resumed one restores everything
  torch::manual_seed(o.seed);
  UNet model(o.model), ema(o.model);
  model->to(device);
  ema->to(device);
  copy_parameters(ema, model);
  ema->eval();
  for (auto& p : ema->parameters()) p.set_requires_grad(false);
  torch::optim::AdamW optimizer(
      model->parameters(), torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay));

  CheckpointState state;
  state.model = o.model;
  state.schedule = o.schedule;
  if (reader) {
    reader->load_model(model);
    reader->load_ema(ema);
    reader->load_optimizer(optimizer);
    const auto& s = reader->state();
    state.step = s.step;
    state.epoch = s.epoch;
    state.cursor = s.cursor;
    state.loss = s.loss;
    state.train_seconds = s.train_seconds;
    state.order = s.order.to(device);
    if (state.order.numel() != n_images)
      throw std::invalid_argument("--resume " + o.resume + ": trained on " +
                                  std::to_string(state.order.numel()) + " images, --data has " +
                                  std::to_string(n_images));
    set_rng_states(s.rng_cpu, s.rng_cuda, device);
    if (state.step >= o.steps)
      throw std::invalid_argument("--resume " + o.resume + ": the checkpoint is at step " +
                                  std::to_string(state.step) + ", --steps is " +
                                  std::to_string(o.steps) + ": nothing to train (raise --steps)");
    if (o.stop_at > 0 && o.stop_at <= state.step)
      throw std::invalid_argument("--stop-at " + std::to_string(o.stop_at) +
                                  ": the checkpoint is already at step " +
                                  std::to_string(state.step));
  }
  reader.reset();

  // header of the run
  const int64_t params = parameter_count(o.model);
  const double mflop = mflop_per_image(o.model);
  char line[512];
  std::snprintf(line, sizeof line,
                "ddpm train: %s, %lld images %dx%d, %lld parameters, %.1f MFLOP/forward, "
                "device %s, batch %d, steps %lld%s",
                o.dataset_name.c_str(), (long long)n_images, set.height, set.width,
                (long long)params, mflop, result.device.c_str(), o.batch, (long long)o.steps,
                state.step > 0 ? (", resumed at step " + std::to_string(state.step)).c_str()
                               : "");
  if (!o.quiet) std::fprintf(stderr, "%s\n", line);
  log << utc_now() << " " << line << std::endl;

  nlohmann::json training = {{"dataset", o.dataset_name}, {"batch", o.batch},
                             {"lr", o.lr},               {"warmup", o.warmup},
                             {"weight_decay", o.weight_decay}, {"grad_clip", o.grad_clip},
                             {"ema_decay", o.ema_decay}, {"class_dropout", o.class_dropout},
                             {"seed", o.seed},           {"device", result.device},
                             {"images", n_images}};
  const std::string ckpt_path = o.out_dir + "/checkpoint.ckpt";
  auto save = [&]() {
    state.rng_cpu = cpu_rng_state();
    state.rng_cuda = cuda_rng_state(device);
    state.training = training;
    state.training["steps"] = state.step;
    state.training["loss"] = state.loss;
    state.training["date"] = utc_now();
    save_checkpoint(ckpt_path, state, model, ema, &optimizer);
    result.checkpoint = ckpt_path;
  };

  // the loop
  const bool autocast = device.is_cuda() && o.bf16;
  const auto null_label = torch::full({o.batch}, int64_t(o.model.num_classes),
                                      torch::TensorOptions().dtype(torch::kLong).device(device));
  auto loss_sum = torch::zeros({}, torch::TensorOptions().device(device));
  int64_t loss_count = 0;
  const int64_t first_step = state.step, timing_skip = 5;
  Clock::time_point timing_start = Clock::now(), step_clock = Clock::now();
  model->train();
  g_stop = false;
  while (state.step < o.steps) {
    // a new epoch: a fresh permutation of the images
    if (!state.order.defined() || state.cursor + o.batch > n_images) {
      state.order = torch::randperm(n_images, torch::TensorOptions().dtype(torch::kLong)
                                                  .device(device));
      state.cursor = 0;
      state.epoch += 1;
    }
    auto idx = state.order.slice(0, state.cursor, state.cursor + o.batch);
    state.cursor += o.batch;
    auto x0 = images.index_select(0, idx);  // [B, 1, H, W]

    // forward process at random t (Ho et al. 2020, Eq. 4)
    auto t = torch::randint(1, schedule.T + 1, {o.batch},
                            torch::TensorOptions().dtype(torch::kLong).device(device));
    auto eps = torch::randn_like(x0);
    auto xt = sqrt_ab.index_select(0, t).view({-1, 1, 1, 1}) * x0 +
              sqrt_1m_ab.index_select(0, t).view({-1, 1, 1, 1}) * eps;

    // labels, each replaced by the null label with probability p (Ho & Salimans 2021)
    torch::Tensor y;
    if (o.model.num_classes > 0) {
      y = labels.index_select(0, idx);
      auto drop = torch::rand({o.batch}, torch::TensorOptions().device(device)) < o.class_dropout;
      y = torch::where(drop, null_label, y);
    }

    // loss = ||eps - eps_theta(x_t, t)||^2 (Ho et al. 2020, Eq. 14), then one AdamW step
    torch::Tensor pred;
    {
      CudaAutocast guard(autocast);
      pred = model->forward(xt, t, y);
    }
    auto loss = torch::mse_loss(pred.to(torch::kFloat32), eps);
    const double lr = learning_rate(o, state.step);
    for (auto& group : optimizer.param_groups())
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    optimizer.zero_grad();
    loss.backward();
    if (o.grad_clip > 0) torch::nn::utils::clip_grad_norm_(model->parameters(), o.grad_clip);
    optimizer.step();

    // EMA of the weights, decay warmed up as min(d, (1 + n) / (10 + n))
    {
      torch::NoGradGuard no_grad;
      const double d = std::min(o.ema_decay, double(1 + state.step) / double(10 + state.step));
      auto src = model->parameters();
      auto dst = ema->parameters();
      for (size_t i = 0; i < src.size(); ++i) dst[i].mul_(d).add_(src[i].detach(), 1.0 - d);
    }
    loss_sum += loss.detach();
    loss_count += 1;
    state.step += 1;
    if (state.step - first_step == timing_skip) timing_start = Clock::now();

    // progress: the only host sync, every log_every steps
    const bool last = state.step == o.steps;
    const bool stopping = g_stop || (o.stop_at > 0 && state.step >= o.stop_at);
    if (state.step % o.log_every == 0 || last || stopping) {
      state.loss = loss_sum.item<double>() / double(loss_count);
      loss_sum.zero_();
      loss_count = 0;
      result.loss_curve.emplace_back(state.step, state.loss);
      const int64_t timed = state.step - first_step - timing_skip;
      const double elapsed = seconds_since(timing_start);
      if (timed > 0 && elapsed > 0) result.images_per_second = timed * o.batch / elapsed;
      state.train_seconds += seconds_since(step_clock);
      step_clock = Clock::now();
      const double eta = result.images_per_second > 0
                             ? double(o.steps - state.step) * o.batch / result.images_per_second
                             : 0.0;
      // speed and ETA once the first timed steps are done (the warm-up steps are not timed)
      char speed[64] = "-- img/s  ETA --";
      if (result.images_per_second > 0)
        std::snprintf(speed, sizeof speed, "%.1f img/s  ETA %s", result.images_per_second,
                      format_duration(eta).c_str());
      std::snprintf(line, sizeof line, "step %lld/%lld  epoch %lld  loss %.5f  lr %.2e  %s",
                    (long long)state.step, (long long)o.steps, (long long)state.epoch, state.loss,
                    lr, speed);
      if (!o.quiet) std::fprintf(stderr, isatty(2) ? "\r%s" : "%s\n", line);
      log << utc_now() << " " << line << std::endl;
    }

    // sample grid, checkpoint
    if (o.sample_every > 0 && (state.step % o.sample_every == 0 || last)) {
      char name[64];
      std::snprintf(name, sizeof name, "/samples-%07lld.png", (long long)state.step);
      write_samples(o.out_dir + name, ema, schedule, o, device);
    }
    if ((o.checkpoint_every > 0 && state.step % o.checkpoint_every == 0) || last || stopping)
      save();
    if (stopping && !last) {
      result.interrupted = true;
      break;
    }
  }
  if (!o.quiet && isatty(2)) std::fprintf(stderr, "\n");

  // export of the EMA weights
  result.step = state.step;
  result.loss = state.loss;
  training["steps"] = state.step;
  training["loss"] = state.loss;
  training["date"] = utc_now();
  training["images_per_second"] = result.images_per_second;
  training["train_seconds"] = state.train_seconds;
  if (!result.interrupted) {
    result.weights = o.out_dir + "/model.json";
    save_weights(to_weights(ema, o.schedule, training), result.weights, o.export_dtype);
    log << utc_now() << " exported " << result.weights << std::endl;
  } else {
    log << utc_now() << " stopped at step " << state.step << ", saved " << ckpt_path
        << std::endl;
  }
  return result;
}

}  // namespace ddpm::native
