// `ddpm train`: trains the UNet on a folder of IDX images (native/torch/trainer) and exports
// the EMA weights as JSON; Ctrl-C saves a checkpoint and exits 130.
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "cli/commands.hpp"
#include "torch/trainer.hpp"

namespace ddpm::cli {
namespace {

// "1,2,2" -> {1, 2, 2}; "none" or "" -> {} when allowed.
std::vector<int> parse_int_list(const std::string& flag, const std::string& text,
                                bool allow_empty) {
  std::vector<int> out;
  if (text == "none" || text.empty()) {
    if (!allow_empty) throw std::invalid_argument(flag + ": expected a list such as 1,2,2");
    return out;
  }
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t used = 0;
    int v = 0;
    try {
      v = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || item.empty() || v < 1)
      throw std::invalid_argument(flag + ": '" + text +
                                  "' is not a comma-separated list of positive integers");
    out.push_back(v);
  }
  return out;
}

// Flags whose values a resumed run takes from its checkpoint instead.
constexpr const char* kFixedByCheckpoint[] = {
    "--base-channels", "--channel-mult", "--res-blocks", "--attention",  "--groups",  "--dropout",
    "--classes",       "--schedule",     "--timesteps",  "--beta-start", "--beta-end"};

void add_train_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "Train a DDPM on IDX images (LibTorch)");
  auto o = std::make_shared<native::TrainOptions>();
  auto mult = std::make_shared<std::string>("1,2,2");
  auto attention = std::make_shared<std::string>("7");
  auto schedule = std::make_shared<std::string>("linear");
  auto dtype = std::make_shared<std::string>("f32");
  auto no_bf16 = std::make_shared<bool>(false);

  // data, output, device
  cmd->add_option("--data", o->data_dir, "Folder of IDX files (train-images-idx3-ubyte[.gz])")
      ->required();
  cmd->add_option("--out", o->out_dir, "Output folder: checkpoint, log, sample grids, model")
      ->required();
  cmd->add_option("--resume", o->resume, "Continue from this checkpoint");
  cmd->add_option("--device", o->device, "auto | cpu | cuda")->capture_default_str();
  cmd->add_flag("--no-bf16", *no_bf16, "Train in float32 on CUDA (default: bf16 autocast)");
  cmd->add_option("--threads", o->threads, "CPU threads (0 = LibTorch's default)");
  cmd->add_option("--dataset-name", o->dataset_name, "Name in the metadata (default: folder)");
  cmd->add_option("--max-images", o->max_images, "Use the first N images (0 = all)");

  // architecture (docs/model.md)
  cmd->add_option("--base-channels", o->model.base_channels, "Channels of level 0")
      ->capture_default_str();
  cmd->add_option("--channel-mult", *mult, "Multiplier per level, e.g. 1,2,2")
      ->capture_default_str();
  cmd->add_option("--res-blocks", o->model.num_res_blocks, "Residual blocks per level")
      ->capture_default_str();
  cmd->add_option("--attention", *attention, "Heights with self-attention, e.g. 7 or none")
      ->capture_default_str();
  cmd->add_option("--groups", o->model.groups, "GroupNorm groups")->capture_default_str();
  cmd->add_option("--dropout", o->model.dropout, "Dropout in residual blocks")
      ->capture_default_str();
  cmd->add_option("--classes", o->model.num_classes, "Classes (0 = unconditional)")
      ->capture_default_str();

  // schedule
  cmd->add_option("--schedule", *schedule, "linear | cosine")->capture_default_str();
  cmd->add_option("--timesteps", o->schedule.timesteps, "T")->capture_default_str();
  cmd->add_option("--beta-start", o->schedule.beta_start, "beta_1 (linear)")
      ->capture_default_str();
  cmd->add_option("--beta-end", o->schedule.beta_end, "beta_T (linear)")->capture_default_str();

  // optimisation
  cmd->add_option("--steps", o->steps, "Total optimizer steps")->capture_default_str();
  cmd->add_option("--batch", o->batch, "Images per step")->capture_default_str();
  cmd->add_option("--lr", o->lr, "Peak learning rate (AdamW)")->capture_default_str();
  cmd->add_option("--warmup", o->warmup, "Linear warm-up steps")->capture_default_str();
  cmd->add_option("--weight-decay", o->weight_decay, "AdamW weight decay")
      ->capture_default_str();
  cmd->add_option("--grad-clip", o->grad_clip, "Max gradient norm (0 = off)")
      ->capture_default_str();
  cmd->add_option("--ema-decay", o->ema_decay, "EMA decay")->capture_default_str();
  cmd->add_option("--class-dropout", o->class_dropout, "Probability of the null label")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed")->capture_default_str()->check(seed_check());

  // outputs along the way
  cmd->add_option("--log-every", o->log_every, "Steps between progress lines")
      ->capture_default_str();
  cmd->add_option("--checkpoint-every", o->checkpoint_every,
                  "Steps between checkpoints (0 = only at the end and on a stop)")
      ->capture_default_str();
  cmd->add_option("--sample-every", o->sample_every, "Steps between sample grids (0 = off)")
      ->capture_default_str();
  cmd->add_option("--sample-steps", o->sample_steps,
                  "DDIM steps of the sample grids, 1..T (0 = 50, or T if smaller)")
      ->capture_default_str();
  cmd->add_option("--export-dtype", *dtype, "f32 | f16 for out/model.json")
      ->capture_default_str();
  cmd->add_option("--stop-at", o->stop_at,
                  "Stop at this step as on Ctrl-C (checkpoint), 1..--steps (0 = off)");
  cmd->add_flag("--quiet", o->quiet, "No progress line");

  cmd->callback([=]() {
    run_command("train", [&]() {
      native::TrainOptions opts = *o;
      opts.model.channel_mult = parse_int_list("--channel-mult", *mult, false);
      opts.model.attention_resolutions = parse_int_list("--attention", *attention, true);
      opts.schedule.kind = parse_schedule_kind(*schedule);
      auto given = [&](const char* flag) { return cmd->get_option(flag)->count() > 0; };
      if (opts.schedule.kind == ScheduleKind::cosine &&
          (given("--beta-start") || given("--beta-end")))
        throw std::invalid_argument(
            "--beta-start and --beta-end apply to the linear schedule "
            "only (got --schedule cosine)");
      // on --resume the checkpoint fixes the network and the schedule: say what is not used
      std::string unused;
      for (const char* flag : kFixedByCheckpoint)
        if (!o->resume.empty() && given(flag))
          unused += std::string(unused.empty() ? "" : ", ") + flag;
      if (!unused.empty())
        std::fprintf(stderr,
                     "ddpm train: --resume: %s not used (the checkpoint's model and "
                     "schedule continue)\n",
                     unused.c_str());
      if (*dtype != "f32" && *dtype != "f16")
        throw std::invalid_argument("--export-dtype must be f32 or f16");
      opts.export_dtype = *dtype == "f16" ? DType::f16 : DType::f32;
      opts.bf16 = !*no_bf16;
      native::install_stop_handlers();
      auto result = native::train(opts);
      if (result.interrupted) {
        std::fprintf(stderr, "ddpm train: stopped at step %lld; checkpoint %s (--resume it)\n",
                     (long long)result.step, result.checkpoint.c_str());
        set_exit_code(130);
      } else {
        // the first steps are warm-up, not timed: a very short run has no speed
        char speed[64] = "speed not measured (too few steps)";
        if (result.images_per_second > 0)
          std::snprintf(speed, sizeof speed, "%.1f images/s", result.images_per_second);
        std::printf("trained %lld step%s, loss %.5f, %s on %s; wrote %s and %s\n",
                    (long long)result.step, result.step == 1 ? "" : "s", result.loss, speed,
                    result.device.c_str(), result.checkpoint.c_str(), result.weights.c_str());
      }
    });
  });
}

const Register registered{add_train_command};

}  // namespace
}  // namespace ddpm::cli
