// `ddpm timesteps`: prints the timestep list a sampler walks (1-based t, decreasing; the last
// step then lands on t = 0) as a JSON array.
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "sampler.hpp"
#include "schedule.hpp"
#include "timesteps.hpp"

namespace ddpm::cli {
namespace {

struct TimestepsArgs {
  std::string sampler = "ddim";
  int steps = 50;
  std::string spacing = "leading";
  int timesteps = 1000;
};

// Re-throws a name-parsing error with the flag in front.
template <typename Parse>
auto parse_flag(const char* flag, const std::string& value, Parse parse) {
  try {
    return parse(value);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string(flag) + ": " + e.what());
  }
}

void add_timesteps_command(CLI::App& app) {
  auto args = std::make_shared<TimestepsArgs>();
  CLI::App* cmd = app.add_subcommand(
      "timesteps",
      "Print the timesteps a sampler visits as a JSON array (diffusers' DDIMScheduler lists, "
      "1-based; after the last one the sampler lands on t = 0)");
  cmd->add_option("--sampler", args->sampler, "ddpm, ddim or dpm++2m")->capture_default_str();
  cmd->add_option("--steps", args->steps, "number of steps N, 1..T")->capture_default_str();
  cmd->add_option("--spacing", args->spacing,
                  "leading, trailing or linspace (trailing starts at t = T; leading and "
                  "linspace end at t = 1)")
      ->capture_default_str();
  cmd->add_option("--timesteps", args->timesteps, "the schedule's T, 1..100000")
      ->capture_default_str();

  cmd->callback([args] {
    run_command("timesteps", [&] {
      SamplerOptions o;
      o.kind = parse_flag("--sampler", args->sampler, parse_sampler_kind);
      o.spacing = parse_flag("--spacing", args->spacing, parse_spacing);
      o.steps = args->steps;
      ScheduleConfig schedule;
      schedule.timesteps = args->timesteps;
      validate(schedule);
      validate(o, schedule.timesteps);

      const std::string text =
          nlohmann::json(make_timesteps(schedule.timesteps, o.steps, o.spacing)).dump() + "\n";
      std::fwrite(text.data(), 1, text.size(), stdout);
    });
  });
}

const Register r{add_timesteps_command};

}  // namespace
}  // namespace ddpm::cli
