// libFuzzer target: the `ddpm` CLI's argument parsing and validation in process (CLI11 and
// the commands' own checks of numeric flags), for the commands that need no LibTorch
// (schedule, timesteps, sample with the Eigen engine). The input is the command line, one
// argument per line (argv[0] added). It runs in a scratch folder holding a tiny real model
// (m.json); arguments holding '/' or ".." are skipped so that nothing is written elsewhere.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "fuzz_support.hpp"

namespace {

constexpr size_t kMaxArgs = 64;
constexpr long kMaxForwards = 32;  // sample runs above n x steps (x2 guided) are skipped

struct SkipInput {};

// `ddpm sample` in the sandbox and cheap: bounded model evaluations and threads.
void bound_sample_cost(CLI::App& app) {
  CLI::App* sample = nullptr;
  try {
    sample = app.get_subcommand("sample");
  } catch (const CLI::OptionNotFound&) {
    return;
  }
  sample->parse_complete_callback([sample] {
    auto value = [&](const char* flag, double fallback) {
      try {
        const CLI::Option* o = sample->get_option(flag);
        return o->count() ? o->as<double>() : fallback;  // fallback: the default
      } catch (const std::exception&) {
        return fallback;  // CLI11 reports the bad value itself
      }
    };
    const double forwards = value("--n", 64) * value("--steps", 50) *
                            (value("--guidance", 1) != 1 ? 2 : 1);
    if (forwards > kMaxForwards || value("--threads", 1) > 2) throw SkipInput{};
  });
}

std::vector<std::string> split_lines(const uint8_t* data, size_t size) {
  std::vector<std::string> args{"ddpm"};
  std::string cur;
  for (size_t i = 0; i < size && args.size() < kMaxArgs; ++i) {
    if (data[i] == '\n') {
      args.push_back(cur);
      cur.clear();
    } else {
      cur += static_cast<char>(data[i]);
    }
  }
  if (!cur.empty() && args.size() < kMaxArgs) args.push_back(cur);
  return args;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // the commands print tables: keep them off the fuzzer's terminal
  if (!std::freopen("/dev/null", "w", stdout)) return 1;
  // the sandbox: a scratch folder with the tiny model of the seeds as m.json
  const std::string dir = ddpm::fuzz::scratch_path("cli");
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(DDPM_SOURCE_DIR "/tests/fuzz/seeds/weights/tiny-f32.json",
                             dir + "/m.json",
                             std::filesystem::copy_options::overwrite_existing);
  if (chdir(dir.c_str()) != 0) return 1;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> args = split_lines(data, size);
  std::vector<char*> argv;
  for (auto& a : args) {
    if (a.find('/') != std::string::npos || a.find("..") != std::string::npos) return 0;
    argv.push_back(a.data());
  }

  // one fresh app per input, as main() builds it
  CLI::App app{"ddpm"};
  app.require_subcommand(1);
  for (const auto& add : ddpm::cli::command_registry()) add(app);
  ddpm::cli::add_value_checks(app);
  bound_sample_cost(app);
  ddpm::cli::set_exit_code(0);
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const SkipInput&) {
    return 0;
  } catch (const CLI::ParseError&) {
    return 0;  // usage error: main() prints it and exits 2
  } catch (const std::exception& e) {
    ddpm::fuzz::contract_broken("fuzz_cli", std::string("escaped the command: ") + e.what());
  }
  const int code = ddpm::cli::exit_code();
  if (code != 0 && code != 1 && code != 2)
    ddpm::fuzz::contract_broken("fuzz_cli", "exit code " + std::to_string(code));
  return 0;
}
