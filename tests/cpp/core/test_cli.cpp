// Runs the built `ddpm schedule` and `ddpm timesteps` commands: their output against the
// reference values, and bad input of every kind -> a message naming the flag, exit code 2,
// nothing on stdout.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

struct Run {
  int code = -1;
  std::string out, err;
};

// Runs `ddpm <args>` from this build tree, capturing stdout, stderr and the exit code.
Run ddpm(const std::string& args) {
  const std::string exe = std::string(DDPM_BINARY_DIR) + "/native/ddpm";
  const std::string err_path = std::string(DDPM_BINARY_DIR) + "/tests/cli_stderr.txt";
  REQUIRE(std::ifstream(exe).good());  // built by the ddpm target
  Run run;
  FILE* pipe = popen((exe + " " + args + " 2>" + err_path).c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[4096];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, pipe)) > 0) run.out.append(buf, got);
  const int status = pclose(pipe);
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_path);
  std::stringstream ss;
  ss << err.rdbuf();
  run.err = ss.str();
  return run;
}

}  // namespace

TEST_CASE("ddpm schedule prints every table indexed by t", "[cli]") {
  const Run run = ddpm("schedule --schedule linear --timesteps 1000");
  REQUIRE(run.code == 0);
  const auto j = nlohmann::json::parse(run.out);
  CHECK(j["schedule"] == "linear");
  CHECK(j["alpha_bar"].size() == 1001);
  CHECK(j["beta"].size() == 1001);
  // 40-digit reference (tests/cpp/core/make_reference.py); JSON keeps 17 significant digits.
  CHECK(j["alpha_bar"][500].get<double>() == Approx(7.85872428817782373e-2).epsilon(1e-11));
  CHECK(j["posterior_variance"][1000].get<double>() ==
        Approx(1.99999835265606075e-2).epsilon(1e-11));
  CHECK(j["log_snr"][0].is_null());  // +infinity
  CHECK(j["alpha_bar"][0] == 1.0);

  const Run cosine = ddpm("schedule --schedule cosine --timesteps 1000 --format json");
  REQUIRE(cosine.code == 0);
  const auto c = nlohmann::json::parse(cosine.out);
  CHECK(c["alpha_bar"][750].get<double>() == Approx(1.44272102385735711e-1).epsilon(1e-11));
  CHECK(c["beta"][1000] == 0.999);
}

TEST_CASE("ddpm schedule --format csv prints one row per t", "[cli]") {
  const Run run = ddpm(
      "schedule --schedule linear --beta-start 0.001 --beta-end 0.01 "
      "--timesteps 10 --format csv");
  REQUIRE(run.code == 0);
  std::istringstream lines(run.out);
  std::string header, line;
  std::getline(lines, header);
  CHECK(header.rfind("t,beta,alpha,alpha_bar,", 0) == 0);
  std::vector<std::string> rows;
  while (std::getline(lines, line)) rows.push_back(line);
  REQUIRE(rows.size() == 11);
  CHECK(rows[0].rfind("0,0,1,1,", 0) == 0);
  CHECK(rows[0].substr(rows[0].size() - 4) == ",inf");
  CHECK(rows[10].rfind("10,0.01,", 0) == 0);  // beta_T as given
}

TEST_CASE("ddpm timesteps prints the list as a JSON array", "[cli]") {
  const Run run = ddpm("timesteps --sampler ddim --steps 10 --spacing trailing --timesteps 1000");
  REQUIRE(run.code == 0);
  CHECK(nlohmann::json::parse(run.out) ==
        nlohmann::json({1000, 900, 800, 700, 600, 500, 400, 300, 200, 100}));
  const Run lin = ddpm("timesteps --sampler dpm++2m --steps 10 --spacing linspace");
  REQUIRE(lin.code == 0);
  CHECK(nlohmann::json::parse(lin.out) ==
        nlohmann::json({1000, 889, 778, 667, 556, 445, 334, 223, 112, 1}));
  CHECK(ddpm("timesteps --help").code == 0);
}

TEST_CASE("ddpm --version names the version and the LibTorch it was built with", "[cli]") {
  const Run run = ddpm("--version");
  REQUIRE(run.code == 0);
  CHECK_THAT(run.out, Catch::StartsWith("ddpm 0.1.0 (") &&
                          (Catch::Contains("LibTorch") || Catch::Contains("without LibTorch")));
}

TEST_CASE("output lost on a full disk is an error, not a success", "[cli]") {
  const std::string exe = std::string(DDPM_BINARY_DIR) + "/native/ddpm";
  const std::string err = std::string(DDPM_BINARY_DIR) + "/tests/cli_full_stderr.txt";
  const int status = std::system(
      (exe + " schedule --timesteps 1000 >/dev/full 2>" + err).c_str());  // ENOSPC on write
  CHECK((WIFEXITED(status) ? WEXITSTATUS(status) : -1) == 1);
  std::ifstream in(err);
  std::stringstream text;
  text << in.rdbuf();
  CHECK_THAT(text.str(), Catch::Contains("cannot write standard output"));
}

TEST_CASE("integers are decimal: a leading zero is not octal", "[cli]") {
  // CLI11 alone reads 010 as octal 8; the value check drops leading zeros
  const Run run = ddpm("timesteps --sampler ddim --steps 010 --timesteps 1000");
  REQUIRE(run.code == 0);
  CHECK(nlohmann::json::parse(run.out).size() == 10);
  const Run sign = ddpm("timesteps --sampler ddim --steps +0005 --timesteps 1000");
  REQUIRE(sign.code == 0);
  CHECK(nlohmann::json::parse(sign.out).size() == 5);
}

TEST_CASE("bad input names the flag, exits 2 and prints nothing to stdout", "[cli][errors]") {
  struct Bad {
    const char* args;
    const char* flag;
  };
  const std::vector<Bad> cases = {
      {"schedule --schedule quadratic", "--schedule"},
      {"schedule --timesteps 0", "--timesteps"},
      {"schedule --timesteps 100001", "--timesteps"},
      {"schedule --timesteps 10x", "--timesteps"},
      {"schedule --beta-start 0", "--beta-start"},
      {"schedule --beta-start 1.5", "--beta-start"},
      {"schedule --beta-end 1", "--beta-end"},
      {"schedule --beta-start 0.05 --beta-end 0.02", "--beta-start"},
      {"schedule --beta-start 1e-4x", "--beta-start"},
      {"schedule --beta-end nan", "--beta-end"},
      {"schedule --schedule cosine --beta-end 0.1", "--beta-end"},
      {"schedule --format xml", "--format"},
      {"timesteps --sampler euler", "--sampler"},
      {"timesteps --spacing uniform", "--spacing"},
      {"timesteps --steps 0", "--steps"},
      {"timesteps --steps 1001 --timesteps 1000", "--steps"},
      {"timesteps --steps 3.5", "--steps"},
      {"timesteps --timesteps 0 --steps 1", "--timesteps"},
      {"timesteps --timesteps abc", "--timesteps"},
      {"timesteps --no-such-flag 1", "--no-such-flag"},
      // plain decimal only: CLI11 alone reads "" as 0, 0x10 as 16 and accepts inf
      {"timesteps --steps ''", "--steps: empty value"},
      {"timesteps --steps 0x10", "--steps: expected a decimal integer, got '0x10'"},
      {"timesteps --steps ' 5'", "--steps: expected a decimal integer"},
      {"schedule --beta-end 0x1p-6", "--beta-end: expected a decimal number"},
      {"schedule --beta-end inf", "--beta-end: expected a decimal number"},
      {"schedule --beta-end 1e400", "--beta-end: '1e400' is beyond the range of a double"},
      {"schedule --format ''", "--format: empty value"},
      {"shedule --timesteps 10", "unknown command 'shedule'; the commands: "},
  };
  for (const Bad& bad : cases) {
    const Run run = ddpm(bad.args);
    INFO("ddpm " << bad.args << "\nstderr: " << run.err);
    CHECK(run.code == 2);
    CHECK(run.out.empty());
    CHECK_THAT(run.err, Catch::Contains(bad.flag));
  }
}
