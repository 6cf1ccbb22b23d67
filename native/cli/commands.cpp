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
