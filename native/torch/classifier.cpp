// The evaluation classifier's network, training loop (Adam, shifted batches), on-disk cache
// and batched inference.
#include "torch/classifier.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <sstream>
#include <stdexcept>

#include "atomic_file.hpp"

namespace ddpm::native {
namespace {

constexpr int64_t kInferenceBatch = 500;

// FNV-1a, 64 bit, over bytes.
struct Fnv {
  uint64_t h = 1469598103934665603ULL;
  void add(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ULL;
  }
  template <typename T> void add(const T& v) { add(&v, sizeof v); }
};

torch::Tensor images_tensor(const Classifier& c, const float* x, int64_t n) {
  return torch::from_blob(const_cast<float*>(x), {n, c.channels, c.height, c.width},
                          torch::kFloat32)
      .clamp(-1.0, 1.0);
}

}  // namespace

ClassifierNetImpl::ClassifierNetImpl(int channels, int height, int width, int classes) {
  if (height % 4 != 0 || width % 4 != 0 || classes < 2)
    throw std::invalid_argument("classifier: images need sides divisible by 4 and >= 2 classes");
  using namespace torch::nn;
  conv1 = register_module("conv1", Conv2d(Conv2dOptions(channels, 32, 3).padding(1)));
  conv2 = register_module("conv2", Conv2d(Conv2dOptions(32, 64, 3).padding(1)));
  fc1 = register_module("fc1", Linear(64 * (height / 4) * (width / 4), kFeatures));
  fc2 = register_module("fc2", Linear(kFeatures, classes));
}

torch::Tensor ClassifierNetImpl::features(const torch::Tensor& x) {
  auto h = torch::max_pool2d(torch::relu(conv1->forward(x)), 2);
  h = torch::max_pool2d(torch::relu(conv2->forward(h)), 2);
  return torch::relu(fc1->forward(h.flatten(1)));
}

torch::Tensor ClassifierNetImpl::forward(const torch::Tensor& x) {
  return fc2->forward(features(x));
}

std::string classifier_key(const ImageSet& train, const ClassifierOptions& o) {
  Fnv f;
  f.add(o.epochs), f.add(o.batch), f.add(o.lr), f.add(o.max_shift), f.add(o.seed);
  f.add(train.count), f.add(train.channels), f.add(train.height), f.add(train.width);
  f.add(train.pixels.data(), train.pixels.size() * sizeof(float));
  f.add(train.labels.data(), train.labels.size() * sizeof(int));
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(f.h));
  return hex;
}

Classifier train_classifier(const ImageSet& train, const ClassifierOptions& o) {
  if (train.labels.empty() || train.count < 2)
    throw std::invalid_argument("classifier: the train split needs labels and >= 2 images");
  if (o.epochs < 1 || o.batch < 1 || !(o.lr > 0) || o.max_shift < 0 || o.threads < 1)
    throw std::invalid_argument("classifier: bad options (epochs, batch, lr, shift, threads)");
  torch::set_num_threads(o.threads);
  torch::manual_seed(o.seed);
  Classifier c;
  c.channels = train.channels, c.height = train.height, c.width = train.width;
  c.classes = train.num_labels();
  c.net = ClassifierNet(c.channels, c.height, c.width, c.classes);
  c.trained = true;

  const int64_t n = train.count;
  const torch::Tensor x = torch::from_blob(const_cast<float*>(train.pixels.data()),
                                           {n, c.channels, c.height, c.width}, torch::kFloat32);
  const torch::Tensor y =
      torch::from_blob(const_cast<int*>(train.labels.data()), {n}, torch::kInt32)
          .to(torch::kInt64);
  torch::optim::Adam opt(c.net->parameters(), torch::optim::AdamOptions(o.lr));
  std::mt19937_64 rng(o.seed);
  std::uniform_int_distribution<int> shift(-o.max_shift, o.max_shift);
  const int64_t per_epoch = (n + o.batch - 1) / o.batch, total = per_epoch * o.epochs;

  // minibatches of a fresh permutation each epoch, each batch rolled by a random shift
  c.net->train();
  int64_t step = 0;
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    const torch::Tensor perm = torch::randperm(n, torch::kInt64);
    double loss_sum = 0.0;
    for (int64_t b = 0; b < per_epoch; ++b, ++step) {
      const double lr = o.lr * (0.05 + 0.95 * 0.5 * (1 + std::cos(M_PI * step / total)));
      for (auto& g : opt.param_groups())
        static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
      const torch::Tensor idx = perm.slice(0, b * o.batch, std::min(n, (b + 1) * o.batch));
      torch::Tensor xb = x.index_select(0, idx);
      if (o.max_shift > 0)
        xb = torch::roll(xb, {shift(rng), shift(rng)}, {2, 3});
      const torch::Tensor loss =
          torch::nn::functional::cross_entropy(c.net->forward(xb), y.index_select(0, idx));
      opt.zero_grad();
      loss.backward();
      opt.step();
      loss_sum += loss.item<double>();
    }
    if (!o.quiet)
      std::fprintf(stderr, "classifier: epoch %d/%d  loss %.4f\n", epoch + 1, o.epochs,
                   loss_sum / double(per_epoch));
  }
  c.net->eval();
  return c;
}

Classifier load_or_train_classifier(const ImageSet& train, const ClassifierOptions& o,
                                    const std::string& cache_dir, const std::string& name) {
  namespace fs = std::filesystem;
  const std::string file =
      (fs::path(cache_dir) / ("classifier-" + name + "-" + classifier_key(train, o) + ".pt"))
          .string();
  std::error_code ec;
  if (fs::exists(file, ec) && !fs::is_regular_file(file, ec))
    throw std::invalid_argument("classifier cache " + file +
                                ": not a regular file (a folder, FIFO or device)");
  if (fs::exists(file, ec)) {
    Classifier c;
    c.channels = train.channels, c.height = train.height, c.width = train.width;
    c.classes = train.num_labels();
    c.net = ClassifierNet(c.channels, c.height, c.width, c.classes);
    try {
      torch::load(c.net, file);
    } catch (const c10::Error& e) {
      throw std::runtime_error("classifier cache " + file + " is unreadable (delete it to " +
                               "retrain): " + e.what_without_backtrace());
    }
    c.net->eval();
    c.file = file;
    return c;
  }

  // train, then write beside the target and rename: never a half-written cache file
  Classifier c = train_classifier(train, o);
  fs::create_directories(cache_dir);
  std::ostringstream bytes;
  torch::save(c.net, bytes);
  write_file_atomic(file, bytes.str());
  c.file = file;
  return c;
}

std::vector<float> classifier_features(Classifier& c, const float* x, int64_t n) {
  torch::NoGradGuard no_grad;
  c.net->eval();
  std::vector<float> out(size_t(n) * ClassifierNetImpl::kFeatures);
  for (int64_t i = 0; i < n; i += kInferenceBatch) {
    const int64_t m = std::min(kInferenceBatch, n - i);
    const torch::Tensor f =
        c.net->features(images_tensor(c, x + i * c.channels * c.height * c.width, m))
            .contiguous();
    std::copy_n(f.data_ptr<float>(), f.numel(), out.data() + i * ClassifierNetImpl::kFeatures);
  }
  return out;
}

std::vector<int> classifier_predict(Classifier& c, const float* x, int64_t n) {
  torch::NoGradGuard no_grad;
  c.net->eval();
  std::vector<int> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; i += kInferenceBatch) {
    const int64_t m = std::min(kInferenceBatch, n - i);
    const torch::Tensor p =
        c.net->forward(images_tensor(c, x + i * c.channels * c.height * c.width, m))
            .argmax(1)
            .to(torch::kInt32)
            .contiguous();
    std::copy_n(p.data_ptr<int>(), m, out.data() + i);
  }
  return out;
}

double accuracy(const std::vector<int>& predicted, const std::vector<int>& labels) {
  if (predicted.size() != labels.size() || labels.empty())
    throw std::invalid_argument("accuracy: predictions and labels differ in count or are empty");
  size_t hit = 0;
  for (size_t i = 0; i < labels.size(); ++i) hit += predicted[i] == labels[i];
  return double(hit) / double(labels.size());
}

}  // namespace ddpm::native
