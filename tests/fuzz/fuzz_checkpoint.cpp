// libFuzzer target: the checkpoint reader (native/torch/checkpoint) on arbitrary bytes written
// as a file: the LibTorch archive, its "meta" header, the configuration, and (for small
// models) the model, EMA and optimizer states. Failures must be std::invalid_argument naming
// the file.
#include <torch/torch.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "fuzz_support.hpp"
#include "model_config.hpp"
#include "torch/checkpoint.hpp"

namespace {

// Building a UNet allocates its parameters: only configurations this small are loaded.
constexpr int64_t kMaxLoadedParameters = 2'000'000;

void read_checkpoint(const std::string& path) {
  ddpm::native::CheckpointReader reader(path, torch::kCPU);
  const auto& model = reader.state().model;
  if (ddpm::parameter_count(model) > kMaxLoadedParameters) return;
  ddpm::native::UNet net(model), ema(model);
  reader.load_model(net);
  reader.load_ema(ema);
  torch::optim::AdamW optimizer(net->parameters(), torch::optim::AdamWOptions(1e-3));
  reader.load_optimizer(optimizer);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  torch::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = ddpm::fuzz::scratch_path("ckpt");
  ddpm::fuzz::write_file(path, data, size);
  try {
    read_checkpoint(path);
  } catch (const std::invalid_argument& e) {
    if (!ddpm::fuzz::starts_with(e.what(), path + ": "))
      ddpm::fuzz::contract_broken("fuzz_checkpoint", e.what());
  } catch (const std::exception& e) {
    ddpm::fuzz::contract_broken("fuzz_checkpoint",
                                std::string("not an invalid_argument: ") + e.what());
  }
  return 0;
}
