// `ddpm info model.json`: validates a weights file and prints its summary (parameters, MFLOP,
// schedule, classes, training metadata).
#include <cstdio>
#include <stdexcept>

#include "cli/commands.hpp"
#include "model_config.hpp"
#include "weights.hpp"

namespace ddpm::cli {
namespace {

std::string join(const std::vector<int>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s.empty() ? "none" : s;
}

void add_info_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Validate a weights file and print a summary");
  auto path = std::make_shared<std::string>();
  cmd->add_option("weights", *path, "Weights file (JSON)")->required();

  cmd->callback([=]() {
    run_command("info", [&]() {
      Weights w;
      try {
        w = load_weights(*path);
      } catch (const std::runtime_error& e) {  // a bad file is bad input: exit 2
        throw std::invalid_argument(e.what());
      }
      const ModelConfig& m = w.model;
      const ScheduleConfig& s = w.schedule;
      std::printf("file        %s (valid ddpm-weights v1)\n", path->c_str());
      std::printf("model       unet %dx%dx%d, base %d, mult %s, res blocks %d, attention %s, "
                  "groups %d\n",
                  m.in_channels, m.height, m.width, m.base_channels,
                  join(m.channel_mult).c_str(), m.num_res_blocks,
                  join(m.attention_resolutions).c_str(), m.groups);
      std::printf("parameters  %lld in %zu tensors\n", (long long)parameter_count(m),
                  w.tensors.size());
      std::printf("cost        %.1f MFLOP per image per forward\n", mflop_per_image(m));
      std::printf("classes     %s\n", m.num_classes > 0
                                          ? (std::to_string(m.num_classes) + " + null label " +
                                             std::to_string(m.num_classes)).c_str()
                                          : "unconditional");
      if (s.kind == ScheduleKind::linear)
        std::printf("schedule    linear, T = %d, beta %g .. %g\n", s.timesteps, s.beta_start,
                    s.beta_end);
      else
        std::printf("schedule    cosine, T = %d, s = %g\n", s.timesteps, s.cosine_s);
      for (const auto& item : w.training.items())
        std::printf("training    %-18s %s\n", item.key().c_str(), item.value().dump().c_str());
    });
  });
}

const Register registered{add_info_command};

}  // namespace
}  // namespace ddpm::cli
