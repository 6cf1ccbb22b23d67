// Entry point of the `ddpm` CLI: one subcommand per file in this folder (commands.hpp).
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"ddpm: train, export, inspect and sample denoising diffusion models"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  for (const auto& add : ddpm::cli::command_registry()) add(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints help to stdout (exit 0) and usage errors to stderr; errors exit 2.
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return ddpm::cli::exit_code();
}
