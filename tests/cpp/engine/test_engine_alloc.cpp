// UNetEngine::forward makes no heap allocation: every malloc of this test executable is
// counted (glibc's allocator interposed), including Eigen's, which bypasses operator new.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "engine/unet_engine.hpp"
#include "model_config.hpp"
#include "rng.hpp"

// Under AddressSanitizer (the asan preset) the sanitizer owns malloc: nothing is interposed
// and the test says so.
#if !defined(__SANITIZE_ADDRESS__)
#define DDPM_COUNT_MALLOC 1
#endif

namespace {
std::atomic<long> g_mallocs{0};  // stays 0 when nothing is interposed
}

#ifdef DDPM_COUNT_MALLOC
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);
}

extern "C" {
void* malloc(size_t n) {
  ++g_mallocs;
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t size) {
  ++g_mallocs;
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t n) {
  ++g_mallocs;
  return __libc_realloc(p, n);
}
void* memalign(size_t align, size_t n) {
  ++g_mallocs;
  return __libc_memalign(align, n);
}
void* aligned_alloc(size_t align, size_t n) {
  ++g_mallocs;
  return __libc_memalign(align, n);
}
int posix_memalign(void** out, size_t align, size_t n) {
  ++g_mallocs;
  *out = __libc_memalign(align, n);
  return *out ? 0 : 12;  // ENOMEM
}
void free(void* p) {
  __libc_free(p);
}
}
#endif

namespace {

// The default model (two resolutions with attention-free and attention levels), seeded
// random weights.
ddpm::Weights random_weights() {
  ddpm::Weights w;
  ddpm::NormalRng rng(3, 0);
  for (const auto& spec : ddpm::parameter_specs(w.model)) {
    int64_t n = 1;
    for (int64_t d : spec.shape) n *= d;
    const double fan_in = spec.shape.size() >= 2 ? double(n / spec.shape[0]) : 1.0;
    ddpm::Tensor t{spec.shape, std::vector<float>(size_t(n))};
    for (auto& v : t.data) v = float(rng.normal() / std::sqrt(fan_in));
    w.tensors[spec.name] = std::move(t);
  }
  return w;
}

}  // namespace

TEST_CASE("forward() allocates nothing, for any batch up to max_batch", "[engine][alloc]") {
#ifndef DDPM_COUNT_MALLOC
  WARN("AddressSanitizer build: malloc is not counted");
  return;
#endif
  ddpm::UNetEngine engine(random_weights(), ddpm::EngineOptions{16, 1});
  const int dim = engine.config().image_dim();
  std::vector<float> x(16 * size_t(dim)), eps(x.size());
  ddpm::NormalRng(4, 0).fill(x.data(), x.size());
  std::vector<int> labels{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 3, 3, 3, 3};
  const ddpm::EpsModel model = ddpm::make_eps_model(engine);

  for (int n : {1, 7, 16}) {
    INFO("n " << n);
    const long before = g_mallocs;
    engine.forward(x.data(), n, 999, labels.data(), eps.data());
    engine.forward(x.data(), n, 1, nullptr, eps.data());
    model(x.data(), n, 500, labels.data(), eps.data());
    const long during = g_mallocs - before;
    CHECK(during == 0);
  }

  // the counter does see allocations (the check above can fail), Eigen's included
  const long before = g_mallocs;
  std::vector<float>* v = new std::vector<float>(10);
  delete v;
  CHECK(g_mallocs - before >= 2);
}
