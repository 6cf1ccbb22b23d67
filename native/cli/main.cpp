// Entry point of the `ddpm` CLI: one subcommand per file in this folder (commands.hpp).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"ddpm: train, export, inspect and sample denoising diffusion models"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
#ifdef DDPM_TORCH_VERSION
  app.set_version_flag("--version", "ddpm " DDPM_VERSION " (LibTorch " DDPM_TORCH_VERSION ")");
#else
  app.set_version_flag("--version", "ddpm " DDPM_VERSION " (built without LibTorch)");
#endif
  for (const auto& add : ddpm::cli::command_registry()) add(app);
  ddpm::cli::add_value_checks(app);

  // an unknown first word: name it and the commands there are (CLI11 says only that a
  // subcommand is required)
  if (argc > 1 && argv[1][0] != '-') {
    std::string names;
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
      known = known || sub->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      std::fprintf(stderr, "ddpm: unknown command '%s'; the commands: %s (ddpm --help)\n", argv[1],
                   names.c_str());
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints help to stdout (exit 0) and usage errors to stderr; errors exit 2.
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return ddpm::cli::exit_code();
}
