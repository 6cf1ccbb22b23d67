// Sample quality of a diffusion model, measured with the evaluation classifier: conditional
// accuracy and the Fréchet distance of penultimate features against held-out real images.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sampler.hpp"
#include "schedule.hpp"
#include "torch/classifier.hpp"
#include "torch/frechet.hpp"

namespace ddpm::native {

// One way of sampling: the core's sampler options plus how many images per class.
struct SampleSetting {
  SamplerOptions sampler;  // kind, steps, spacing, guidance, seed, null_label
  int per_class = 100;
};

struct EvalRow {
  std::string sampler, spacing;
  int steps = 0, per_class = 0;
  double guidance = 1.0;
  int64_t samples = 0;
  double accuracy = 0.0;   // share of samples classified as the class they were drawn for
  double distance = 0.0;   // squared Fréchet distance (the FID convention) vs the test set
  double floor = 0.0;      // the same distance, `samples` real train images vs the test set
  double seconds = 0.0;    // wall time of the sampling
};

// The held-out reference: the test split's features and statistics.
struct RealReference {
  FeatureStats test;
  double test_accuracy = 0.0;  // of the classifier on the test split
  int64_t test_count = 0;
};
RealReference real_reference(Classifier& c, const ImageSet& test);

// The real-vs-real floor: `m` train images (a seeded draw without replacement; all of them
// when m >= the split's size) against the test statistics.
double real_floor(Classifier& c, const ImageSet& train, const RealReference& ref, int64_t m,
                  uint64_t seed);

// Draws setting.per_class images of every class 0..classes-1 (sample i's noise from stream i
// of the seed, so the result does not depend on `chunk`), classifies them and measures the
// distance to ref. `chunk`: images per sampler run (progress between chunks on stderr unless
// quiet). Returns the row without `floor`.
EvalRow evaluate_model(Classifier& c, const Schedule& schedule, const EpsModel& model,
                       int classes, int image_dim, const RealReference& ref,
                       const SampleSetting& setting, int chunk = 200, bool quiet = false);

// The generated images of evaluate_model's setting (n = per_class * classes, N, C, H, W),
// and their labels; exposed for tests.
std::vector<float> generate_per_class(const Schedule& schedule, const EpsModel& model,
                                      int classes, int image_dim, const SampleSetting& setting,
                                      std::vector<int>& labels, int chunk = 200,
                                      bool quiet = true);

}  // namespace ddpm::native
