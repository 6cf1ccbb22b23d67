// `ddpm schedule`: prints a noise schedule's tables (t = 0..T) as JSON (one array per table)
// or CSV (one row per t).
#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "schedule.hpp"

namespace ddpm::cli {
namespace {

struct ScheduleArgs {
  std::string schedule = "linear";
  double beta_start = 1e-4, beta_end = 0.02;
  int timesteps = 1000;
  std::string format = "json";
};

struct Table {
  const char* name;
  const std::vector<double>* values;
};

std::vector<Table> tables(const Schedule& s) {
  return {{"beta", &s.beta},
          {"alpha", &s.alpha},
          {"alpha_bar", &s.alpha_bar},
          {"one_minus_alpha_bar", &s.one_minus_alpha_bar},
          {"sqrt_alpha_bar", &s.sqrt_alpha_bar},
          {"sqrt_one_minus_alpha_bar", &s.sqrt_one_minus_alpha_bar},
          {"sqrt_recip_alpha", &s.sqrt_recip_alpha},
          {"eps_coef", &s.eps_coef},
          {"posterior_variance", &s.posterior_variance},
          {"posterior_log_variance_clipped", &s.posterior_log_variance_clipped},
          {"posterior_mean_coef1", &s.posterior_mean_coef1},
          {"posterior_mean_coef2", &s.posterior_mean_coef2},
          {"log_snr", &s.log_snr}};
}

// JSON has no infinity: log_snr[0] = +inf is written as null.
std::string to_json_text(const Schedule& s) {
  nlohmann::ordered_json j;
  j["schedule"] = to_string(s.config.kind);
  j["timesteps"] = s.T;
  if (s.config.kind == ScheduleKind::linear) {
    j["beta_start"] = s.config.beta_start;
    j["beta_end"] = s.config.beta_end;
  } else {
    j["cosine_s"] = s.config.cosine_s;
  }
  for (const Table& table : tables(s)) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (double v : *table.values)
      a.push_back(std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json());
    j[table.name] = std::move(a);
  }
  return j.dump() + "\n";
}

std::string to_csv_text(const Schedule& s) {
  const std::vector<Table> ts = tables(s);
  std::string out = "t";
  for (const Table& table : ts) out += std::string(",") + table.name;
  out += "\n";
  char buf[40];
  for (int t = 0; t <= s.T; ++t) {
    out += std::to_string(t);
    for (const Table& table : ts) {
      std::snprintf(buf, sizeof buf, ",%.17g", (*table.values)[size_t(t)]);
      out += buf;
    }
    out += "\n";
  }
  return out;
}

void add_schedule_command(CLI::App& app) {
  auto args = std::make_shared<ScheduleArgs>();
  CLI::App* cmd = app.add_subcommand(
      "schedule",
      "Print a noise schedule's tables, index = t = 0..T (t = 0 is clean data; JSON writes "
      "log_snr[0] = +inf as null, CSV as inf)");
  cmd->add_option("--schedule", args->schedule,
                  "linear (Ho et al. 2020) or cosine (Nichol & "
                  "Dhariwal 2021)")
      ->capture_default_str();
  CLI::Option* beta_start =
      cmd->add_option("--beta-start", args->beta_start, "beta_1 of the linear schedule, in (0, 1)")
          ->capture_default_str();
  CLI::Option* beta_end = cmd->add_option("--beta-end", args->beta_end,
                                          "beta_T of the linear schedule, in [beta_1, 1)")
                              ->capture_default_str();
  cmd->add_option("--timesteps", args->timesteps, "T, 1..100000")->capture_default_str();
  cmd->add_option("--format", args->format, "json or csv")->capture_default_str();

  cmd->callback([args, beta_start, beta_end] {
    run_command("schedule", [&] {
      ScheduleConfig config;
      try {
        config.kind = parse_schedule_kind(args->schedule);
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(std::string("--schedule: ") + e.what());
      }
      if (args->format != "json" && args->format != "csv")
        throw std::invalid_argument("--format: unknown format '" + args->format +
                                    "', expected json or csv");
      if (config.kind == ScheduleKind::cosine && (beta_start->count() || beta_end->count()))
        throw std::invalid_argument(
            "--beta-start and --beta-end apply to the linear schedule only");
      config.timesteps = args->timesteps;
      config.beta_start = args->beta_start;
      config.beta_end = args->beta_end;
      const Schedule schedule(config);  // validates, naming the flag

      // Everything is formatted before anything is printed: an error leaves stdout empty.
      const std::string text =
          args->format == "json" ? to_json_text(schedule) : to_csv_text(schedule);
      std::fwrite(text.data(), 1, text.size(), stdout);
    });
  });
}

const Register r{add_schedule_command};

}  // namespace
}  // namespace ddpm::cli
