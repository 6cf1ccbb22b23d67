// Generating per-class samples through the core's samplers, classifying them, and the
// Fréchet distances against the held-out split (and the real-vs-real floor).
#include "torch/evaluation.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <random>
#include <stdexcept>

#include <unistd.h>

namespace ddpm::native {

RealReference real_reference(Classifier& c, const ImageSet& test) {
  if (test.labels.empty() || test.count < 2)
    throw std::invalid_argument("evaluation: the test split needs labels and >= 2 images");
  RealReference r;
  r.test_count = test.count;
  const auto f = classifier_features(c, test.pixels.data(), test.count);
  r.test = feature_stats(f, test.count, ClassifierNetImpl::kFeatures);
  r.test_accuracy = accuracy(classifier_predict(c, test.pixels.data(), test.count), test.labels);
  return r;
}

double real_floor(Classifier& c, const ImageSet& train, const RealReference& ref, int64_t m,
                  uint64_t seed) {
  // a seeded draw of m train images without replacement
  std::vector<int64_t> order(size_t(train.count));
  std::iota(order.begin(), order.end(), int64_t(0));
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  m = std::min(m, train.count);
  const int64_t dim = int64_t(train.channels) * train.height * train.width;
  std::vector<float> x(size_t(m * dim));
  for (int64_t i = 0; i < m; ++i)
    std::copy_n(train.pixels.data() + order[size_t(i)] * dim, dim, x.data() + i * dim);
  const auto f = classifier_features(c, x.data(), m);
  return frechet_distance(feature_stats(f, m, ClassifierNetImpl::kFeatures), ref.test);
}

std::vector<float> generate_per_class(const Schedule& schedule, const EpsModel& model,
                                      int classes, int image_dim, const SampleSetting& setting,
                                      std::vector<int>& labels, int chunk, bool quiet) {
  if (classes < 1 || setting.per_class < 1 || chunk < 1)
    throw std::invalid_argument("evaluation: needs a conditional model, per_class >= 1");
  const int n = classes * setting.per_class;
  labels.resize(size_t(n));
  for (int i = 0; i < n; ++i) labels[size_t(i)] = i / setting.per_class;

  // chunks of the global sample list; sample i always draws from stream i
  std::vector<float> x(size_t(n) * size_t(image_dim));
  for (int start = 0; start < n; start += chunk) {
    const int m = std::min(chunk, n - start);
    SamplerOptions o = setting.sampler;
    o.first_sample = start;
    const std::vector<int> part(labels.begin() + start, labels.begin() + start + m);
    const std::vector<float> x0 = sample(schedule, o, model, m, image_dim, part);
    std::copy(x0.begin(), x0.end(), x.begin() + size_t(start) * size_t(image_dim));
    if (!quiet) {  // rewritten in place on a terminal, one line per chunk elsewhere
      std::fprintf(stderr, "%seval: %s %d steps, guidance %g: %d/%d images%s",
                   isatty(2) ? "\r" : "", to_string(o.kind), o.steps, o.guidance, start + m, n,
                   isatty(2) ? "   " : "\n");
      std::fflush(stderr);
    }
  }
  if (!quiet && isatty(2)) std::fprintf(stderr, "\n");
  return x;
}

EvalRow evaluate_model(Classifier& c, const Schedule& schedule, const EpsModel& model,
                       int classes, int image_dim, const RealReference& ref,
                       const SampleSetting& setting, int chunk, bool quiet) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<int> labels;
  const std::vector<float> x =
      generate_per_class(schedule, model, classes, image_dim, setting, labels, chunk, quiet);
  EvalRow r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.sampler = to_string(setting.sampler.kind);
  r.spacing = to_string(setting.sampler.spacing);
  r.steps = setting.sampler.steps, r.per_class = setting.per_class;
  r.guidance = setting.sampler.guidance;
  r.samples = int64_t(labels.size());

  // conditional accuracy and the distance of the features to the test split's
  r.accuracy = accuracy(classifier_predict(c, x.data(), r.samples), labels);
  const auto f = classifier_features(c, x.data(), r.samples);
  r.distance =
      frechet_distance(feature_stats(f, r.samples, ClassifierNetImpl::kFeatures), ref.test);
  return r;
}

}  // namespace ddpm::native
