// `ddpm export CHECKPOINT --out model.json [--dtype f16]`: the EMA weights of a training
// checkpoint as a weights file (docs/weights-format.md), written atomically.
#include <cstdio>
#include <stdexcept>

#include "cli/commands.hpp"
#include "cli/output_checks.hpp"
#include "torch/checkpoint.hpp"
#include "torch/unet_weights.hpp"
#include "weights.hpp"

namespace ddpm::cli {
namespace {

void add_export_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("export", "Write a checkpoint's EMA weights as a JSON file");
  auto checkpoint = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto dtype = std::make_shared<std::string>("f32");
  cmd->add_option("checkpoint", *checkpoint, "Checkpoint written by ddpm train")->required();
  cmd->add_option("--out", *out, "Weights file to write (JSON)")->required();
  cmd->add_option("--dtype", *dtype, "f32 | f16")->capture_default_str();

  cmd->callback([=]() {
    run_command("export", [&]() {
      if (*dtype != "f32" && *dtype != "f16")
        throw std::invalid_argument("--dtype must be f32 or f16, got '" + *dtype + "'");
      require_writable_parent("--out", *out);
      require_distinct("--out", *out, "the checkpoint", *checkpoint);
      native::CheckpointReader reader(*checkpoint, torch::kCPU);
      native::UNet ema(reader.state().model);
      reader.load_ema(ema);
      auto training = reader.state().training;
      training["steps"] = reader.state().step;
      training["loss"] = reader.state().loss;
      training["train_seconds"] = reader.state().train_seconds;
      if (!training.contains("date")) training["date"] = "unknown";
      auto weights = native::to_weights(ema, reader.state().schedule, training);
      save_weights(weights, *out, *dtype == "f16" ? DType::f16 : DType::f32);
      std::printf("wrote %s: %lld parameters (%s), step %lld\n", out->c_str(),
                  (long long)parameter_count(weights.model), dtype->c_str(),
                  (long long)reader.state().step);
    });
  });
}

const Register registered{add_export_command};

}  // namespace
}  // namespace ddpm::cli
