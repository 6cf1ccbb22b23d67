// The evaluation classifier: a small LibTorch CNN trained on a data set's train split, cached
// on disk, whose penultimate features feed the Fréchet distance of `ddpm eval`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "torch/idx.hpp"

namespace ddpm::native {

// conv 3x3 (32) - ReLU - maxpool 2 - conv 3x3 (64) - ReLU - maxpool 2 - linear (128) - ReLU
// [the features] - linear (classes). Any H, W divisible by 4.
class ClassifierNetImpl : public torch::nn::Module {
 public:
  ClassifierNetImpl(int channels, int height, int width, int classes);
  torch::Tensor features(const torch::Tensor& x);  // [N, 128]
  torch::Tensor forward(const torch::Tensor& x);   // logits [N, classes]

  static constexpr int kFeatures = 128;

 private:
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(ClassifierNet);

struct ClassifierOptions {
  int epochs = 6;
  int batch = 64;
  double lr = 1e-3;    // Adam, cosine decay to lr / 20 over the run
  int max_shift = 2;   // augmentation: each batch rolled by dx, dy in [-max_shift, max_shift]
  uint64_t seed = 0;
  int threads = 1;     // LibTorch CPU threads
  bool quiet = false;  // no per-epoch lines on stderr
};

struct Classifier {
  ClassifierNet net{nullptr};
  int channels = 1, height = 0, width = 0, classes = 0;
  std::string file;     // the cache file it came from or went to ("" if not cached)
  bool trained = false;  // trained in this run (not read from the cache)
};

// A hex hash of the options and the training images and labels: the cache key.
std::string classifier_key(const ImageSet& train, const ClassifierOptions& options);

// Trains on `train` (labels required). Deterministic for given options on one thread.
Classifier train_classifier(const ImageSet& train, const ClassifierOptions& options);

// Reads `<cache_dir>/classifier-<name>-<key>.pt` when it exists, else trains and writes it
// (to a temporary file, then renamed). cache_dir is created when missing.
Classifier load_or_train_classifier(const ImageSet& train, const ClassifierOptions& options,
                                    const std::string& cache_dir, const std::string& name);

// Penultimate features (n * kFeatures floats) and predicted classes of n images in [-1, 1]
// (N, C, H, W); inputs are clamped to [-1, 1] first.
std::vector<float> classifier_features(Classifier& c, const float* x, int64_t n);
std::vector<int> classifier_predict(Classifier& c, const float* x, int64_t n);

// Share of `predicted` equal to `labels`.
double accuracy(const std::vector<int>& predicted, const std::vector<int>& labels);

}  // namespace ddpm::native
