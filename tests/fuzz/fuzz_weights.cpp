// libFuzzer target: the weights JSON parser (ddpm::parse_weights) on arbitrary text. Every
// failure must be a std::runtime_error whose message starts "weights file: " (field named).
#include <cstdint>
#include <stdexcept>
#include <string>

#include "fuzz_support.hpp"
#include "weights.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const ddpm::Weights w = ddpm::parse_weights(text);
    // an accepted file holds exactly the tensors its configuration lists, with finite values
    for (const auto& [name, tensor] : w.tensors) {
      int64_t count = 1;
      for (int64_t d : tensor.shape) count *= d;
      if (count != static_cast<int64_t>(tensor.data.size()))
        ddpm::fuzz::contract_broken("fuzz_weights", name + ": shape and data disagree");
    }
  } catch (const std::runtime_error& e) {
    if (!ddpm::fuzz::starts_with(e.what(), "weights file: "))
      ddpm::fuzz::contract_broken("fuzz_weights", e.what());
  } catch (const std::exception& e) {
    ddpm::fuzz::contract_broken("fuzz_weights", std::string("not a runtime_error: ") + e.what());
  }
  return 0;
}
