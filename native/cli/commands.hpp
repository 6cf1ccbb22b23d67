// The registry of `ddpm` subcommands. Each command file registers a function that adds its
// subcommand to the app; the subcommand's callback runs the command and sets the exit code.
#pragma once

#include <functional>
#include <vector>

#include <CLI/CLI.hpp>

namespace ddpm::cli {

using AddCommand = std::function<void(CLI::App&)>;
std::vector<AddCommand>& command_registry();

// Registers a command at static-initialisation time: `static Register r{add_x_command};`.
struct Register {
  explicit Register(AddCommand add) { command_registry().push_back(std::move(add)); }
};

// A CLI11 check for 64-bit seeds: decimal digits only, at most 2^64 - 1 (CLI11 alone wraps
// "-1" around and clamps larger numbers).
CLI::Validator seed_check();

// Adds to every option of every subcommand of `app` the value check of its type: no empty
// value, and numbers in plain decimal (CLI11 alone reads "" as 0, 0x10 as 16, 010 as octal 8
// and accepts inf and nan); leading zeros of integers are dropped, so 010 is ten.
void add_value_checks(CLI::App& app);

// Exit codes: 0 ok, 1 runtime failure (I/O, numerics), 2 bad usage or input, 130 interrupted.
void set_exit_code(int code);
int exit_code();

// Runs `body`, mapping exceptions to a message on stderr and an exit code:
// std::invalid_argument -> 2 (bad input), anything else -> 1.
void run_command(const char* name, const std::function<void()>& body);

}  // namespace ddpm::cli
