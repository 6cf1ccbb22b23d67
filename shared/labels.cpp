// Class labels of a batch (none, fixed, each class in turn, seeded random).
#include "labels.hpp"

#include <stdexcept>

#include "rng.hpp"

namespace ddpm {

LabelChoice parse_label_choice(const std::string& text, int num_classes) {
  if (text == "none") return {};
  const std::string expected =
      num_classes > 0
          ? "a class in 0.." + std::to_string(num_classes - 1) + ", each, random or none"
          : "none (the model is unconditional)";
  if (num_classes <= 0) throw std::invalid_argument(text + ": expected " + expected);
  if (text == "each") return {LabelMode::each, -1};
  if (text == "random") return {LabelMode::random, -1};

  // a class: decimal digits only (no sign, spaces or trailing text)
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument(text + ": expected " + expected);
  const int value = std::stoi(text);
  if (value >= num_classes) throw std::invalid_argument(text + ": expected " + expected);
  return {LabelMode::fixed, value};
}

std::vector<int> make_labels(const LabelChoice& choice, int num_classes, uint64_t seed,
                             int first_sample, int n) {
  if (choice.mode == LabelMode::none) return {};
  if (num_classes <= 0) throw std::invalid_argument("labels: the model is unconditional");
  if (first_sample < 0 || n < 0) throw std::invalid_argument("labels: negative sample index");
  std::vector<int> labels(static_cast<size_t>(n));
  const uint32_t K = uint32_t(num_classes);
  switch (choice.mode) {
    case LabelMode::fixed:
      if (choice.label < 0 || choice.label >= num_classes)
        throw std::invalid_argument("labels: class " + std::to_string(choice.label) +
                                    " outside 0.." + std::to_string(num_classes - 1));
      labels.assign(size_t(n), choice.label);
      break;
    case LabelMode::each:
      for (int i = 0; i < n; ++i) labels[size_t(i)] = int(uint32_t(first_sample + i) % K);
      break;
    case LabelMode::random: {
      NormalRng rng(seed, kLabelStream);
      for (int j = 0; j < first_sample; ++j) rng.next_u32();  // the earlier samples' draws
      for (int& y : labels) y = int(rng.next_u32() % K);
      break;
    }
    case LabelMode::none:
      break;
  }
  return labels;
}

}  // namespace ddpm
