// Checkpoints as LibTorch archives: a JSON header ("meta") identifies the file and holds the
// configuration; nested archives hold model, EMA and optimizer; tensors the data order and RNG.
#include "torch/checkpoint.hpp"

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "atomic_file.hpp"
#include "torch/archive_check.hpp"
#include "weights.hpp"

namespace ddpm::native {

namespace {
constexpr const char* kFormat = "ddpm-checkpoint";
constexpr int kVersion = 1;
}  // namespace

void save_checkpoint(const std::string& path, const CheckpointState& state, UNet& model,
                     UNet& ema, torch::optim::Optimizer* optimizer) {
  // header: format, configuration, counters
  nlohmann::json meta = {{"format", kFormat},          {"version", kVersion},
                         {"model", to_json(state.model)}, {"schedule", to_json(state.schedule)},
                         {"training", state.training}, {"step", state.step},
                         {"epoch", state.epoch},       {"cursor", state.cursor},
                         {"loss", state.loss},         {"train_seconds", state.train_seconds}};
  torch::serialize::OutputArchive archive;
  archive.write("meta", c10::IValue(meta.dump()));

  // modules, optimizer, data order and generators (all moved to the CPU)
  torch::serialize::OutputArchive model_archive, ema_archive, optimizer_archive;
  model->save(model_archive);
  ema->save(ema_archive);
  archive.write("model", model_archive);
  archive.write("ema", ema_archive);
  if (optimizer) {
    optimizer->save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
  }
  archive.write("order",
                state.order.defined() ? state.order.cpu() : torch::empty({0}, torch::kLong));
  archive.write("rng_cpu", state.rng_cpu);
  if (state.rng_cuda.defined()) archive.write("rng_cuda", state.rng_cuda);

  // in memory, then a temporary file renamed into place
  std::ostringstream bytes;
  try {
    archive.save_to(bytes);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": cannot serialise the checkpoint: " + e.what());
  }
  write_file_atomic(path, bytes.str());
}

CheckpointReader::CheckpointReader(const std::string& path, torch::Device device)
    : path_(path) {
  std::error_code ec;  // a FIFO would block the open, a folder "opens"
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
    throw std::invalid_argument(path + ": not a regular file (a folder, FIFO or device)");
  if (FILE* f = std::fopen(path.c_str(), "rb"))
    std::fclose(f);
  else
    throw std::invalid_argument(path + ": cannot open the checkpoint (missing or unreadable)");
  check_checkpoint_archive(path);  // LibTorch checks no CRC and trusts what a record claims
  try {
    archive_.load_from(path, device);
  } catch (const std::exception&) {
    throw std::invalid_argument(path + ": not a ddpm checkpoint (not a LibTorch archive)");
  }

  // header: must be ours, in our version
  c10::IValue meta_value;
  nlohmann::json meta;
  try {
    if (!archive_.try_read("meta", meta_value) || !meta_value.isString())
      throw std::runtime_error("no meta");
    meta = nlohmann::json::parse(meta_value.toStringRef());
  } catch (const std::exception&) {
    throw std::invalid_argument(path + ": not a ddpm checkpoint (no \"meta\" header)");
  }
  if (meta.value("format", "") != kFormat || meta.value("version", 0) != kVersion)
    throw std::invalid_argument(path + ": not a ddpm checkpoint (format " + kFormat +
                                " version " + std::to_string(kVersion) + " expected)");

  // configuration and counters
  try {
    state_.model = model_config_from_json(meta.at("model"));
    state_.schedule = schedule_config_from_json(meta.at("schedule"));
    state_.training = meta.at("training");
    state_.step = meta.at("step").get<int64_t>();
    state_.epoch = meta.at("epoch").get<int64_t>();
    state_.cursor = meta.at("cursor").get<int64_t>();
    state_.loss = meta.at("loss").get<double>();
    state_.train_seconds = meta.at("train_seconds").get<double>();
    archive_.read("order", state_.order);
    archive_.read("rng_cpu", state_.rng_cpu);
    torch::Tensor cuda;
    if (archive_.try_read("rng_cuda", cuda)) state_.rng_cuda = cuda;
  } catch (const std::exception& e) {
    throw std::invalid_argument(path + ": corrupt ddpm checkpoint (" + e.what() + ")");
  }
}

void CheckpointReader::load_module(const char* key, UNet& net) {
  try {
    torch::serialize::InputArchive sub;
    archive_.read(key, sub);
    net->load(sub);
  } catch (const std::exception& e) {
    throw std::invalid_argument(path_ + ": corrupt ddpm checkpoint (" + key +
                                " weights do not load)");
  }
}

void CheckpointReader::load_model(UNet& model) { load_module("model", model); }
void CheckpointReader::load_ema(UNet& ema) { load_module("ema", ema); }

void CheckpointReader::load_optimizer(torch::optim::Optimizer& optimizer) {
  try {
    torch::serialize::InputArchive sub;
    archive_.read("optimizer", sub);
    optimizer.load(sub);
  } catch (const std::exception& e) {
    throw std::invalid_argument(path_ + ": corrupt ddpm checkpoint (optimizer state)");
  }
}

}  // namespace ddpm::native
