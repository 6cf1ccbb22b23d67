// The subcommand registry and the shared error handling of the `ddpm` CLI.
#include "cli/commands.hpp"

#include <cstdio>
#include <exception>
#include <stdexcept>

namespace ddpm::cli {

std::vector<AddCommand>& command_registry() {
  static std::vector<AddCommand> registry;
  return registry;
}

namespace {
int g_exit_code = 0;
}

CLI::Validator seed_check() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const std::string max = "18446744073709551615";  // 2^64 - 1
        const bool digits = !text.empty() && text.find_first_not_of("0123456789") == text.npos;
        if (digits && (text.size() < max.size() || (text.size() == max.size() && text <= max)))
          return "";
        return "expected an integer from 0 to " + max + ", got '" + text + "'";
      },
      "SEED", "seed");
}

void set_exit_code(int code) { g_exit_code = code; }
int exit_code() { return g_exit_code; }

void run_command(const char* name, const std::function<void()>& body) {
  try {
    body();
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "ddpm %s: error: %s\n", name, e.what());
    set_exit_code(2);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ddpm %s: error: %s\n", name, e.what());
    set_exit_code(1);
  }
}

}  // namespace ddpm::cli
