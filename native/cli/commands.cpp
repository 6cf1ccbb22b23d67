// The subcommand registry and the shared error handling of the `ddpm` CLI.
#include "cli/commands.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <regex>
#include <stdexcept>
#include <string>

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

namespace {

// One option's value, by CLI11's type name: INT, UINT, FLOAT, or TEXT (anything else).
std::string check_value(const std::string& type, std::string& value) {
  if (value.empty()) return "empty value";
  if (type != "INT" && type != "UINT" && type != "FLOAT") return "";
  static const std::regex integer("[+-]?[0-9]+"), natural("[+]?[0-9]+"),
      real("[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?");
  if (type == "FLOAT") {
    if (!std::regex_match(value, real)) return "expected a decimal number, got '" + value + "'";
    return std::isfinite(std::strtod(value.c_str(), nullptr))
               ? ""
               : "'" + value + "' is beyond the range of a double";
  }
  if (!std::regex_match(value, type == "INT" ? integer : natural))
    return std::string("expected a decimal integer") + (type == "UINT" ? " >= 0" : "") +
           ", got '" + value + "'";
  // drop leading zeros (CLI11 would read 010 as octal), keeping the sign and one digit
  const size_t sign = value[0] == '+' || value[0] == '-' ? 1 : 0;
  const size_t first = std::min(value.find_first_not_of('0', sign), value.size() - 1);
  value.erase(sign, first - sign);
  return "";
}

}  // namespace

void add_value_checks(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    for (CLI::Option* opt : sub->get_options([](CLI::Option*) { return true; })) {
      // "UINT", or "UINT:SEED" when a described check was added (seed_check)
      const std::string full = opt->get_type_name();
      const std::string type = full.substr(0, full.find(':'));
      if (type.empty()) continue;  // a flag or --help: no value
      opt->transform(CLI::Validator(
          [type](std::string& value) { return check_value(type, value); }, "", "value check"));
    }
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
