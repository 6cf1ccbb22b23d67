// Class labels of a batch: none, one class for every sample, each class in turn, or a seeded
// random class per sample. Shared by `ddpm sample` and the page, so both draw the same grid.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ddpm {

enum class LabelMode { none, fixed, each, random };

struct LabelChoice {
  LabelMode mode = LabelMode::none;
  int label = -1;  // the class when mode == fixed
};

// "none", "each", "random" or a class "0".."K-1". Throws std::invalid_argument starting with
// the text, then what is expected ("seven: expected a class in 0..9, each, random or none");
// anything but "none" needs a conditional model (num_classes > 0).
LabelChoice parse_label_choice(const std::string& text, int num_classes);

// The labels of samples first_sample .. first_sample + n - 1 of a run (empty for none):
//   fixed:  every sample gets the class;
//   each:   sample j gets class j mod K (0, 1, ..., K-1, 0, 1, ...);
//   random: sample j gets u_j mod K, u_j the j-th next_u32() of NormalRng(seed, kLabelStream),
// so a batch split across workers by first_sample gets the labels of the whole run.
std::vector<int> make_labels(const LabelChoice& choice, int num_classes, uint64_t seed,
                             int first_sample, int n);

// The RNG stream of the random labels, apart from the samples' own streams 0, 1, 2, ...
constexpr uint64_t kLabelStream = 0x6c6162656c73ULL;  // "labels"

}  // namespace ddpm
