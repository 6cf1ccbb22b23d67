// Entry point of the `ddpm` CLI: one subcommand per file in this folder (commands.hpp).
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

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
  int code = 0;
  try {
    app.parse(argc, argv);
    code = ddpm::cli::exit_code();
  } catch (const CLI::RequiredError& e) {
    // CLI11 checks required flags before unknown ones: name a misspelt flag (`--mod`) first
    const std::vector<std::string> unknown = app.remaining(true);
    code = app.exit(unknown.empty() ? CLI::ParseError(e) : CLI::ExtrasError(unknown)) == 0 ? 0 : 2;
  } catch (const CLI::ParseError& e) {
    // CLI11 prints help to stdout (exit 0) and usage errors to stderr; errors exit 2.
    code = app.exit(e) == 0 ? 0 : 2;
  }

  // output lost on a full disk or a closed stdout is an error, not a success
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    std::fprintf(stderr, "ddpm: cannot write standard output: %s\n", std::strerror(errno));
    return code == 0 ? 1 : code;
  }
  return code;
}
