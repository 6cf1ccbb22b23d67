// libFuzzer target: the `ddpm` CLI's argument parsing and validation in process (CLI11 and
// the commands' own checks of numeric flags), for the commands that need no LibTorch. The
// input is the command line, one argument per line (argv[0] added).
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "fuzz_support.hpp"

namespace {

constexpr size_t kMaxArgs = 64;

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
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> args = split_lines(data, size);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());

  // one fresh app per input, as main() builds it
  CLI::App app{"ddpm"};
  app.require_subcommand(1);
  for (const auto& add : ddpm::cli::command_registry()) add(app);
  ddpm::cli::set_exit_code(0);
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
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
