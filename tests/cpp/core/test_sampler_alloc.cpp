// Sampler::step allocates nothing after construction: counted through a replaced global
// operator new in this test executable.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <new>
#include <vector>

#include "sampler.hpp"

namespace {
long g_allocations = 0;
}

void* operator new(std::size_t size) {
  ++g_allocations;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
// the nothrow form too (Catch uses it): otherwise AddressSanitizer's own nothrow new pairs
// with the free() below and reports an alloc-dealloc mismatch
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  ++g_allocations;
  return std::malloc(size ? size : 1);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

using namespace ddpm;

TEST_CASE("step() allocates nothing for any sampler and guidance", "[sampler][alloc]") {
  const Schedule s(ScheduleConfig{});
  const int dim = 32;
  const EpsModel model = [](const float* x, int n, int, const int*, float* eps) {
    for (int i = 0; i < n * dim; ++i) eps[i] = 0.5f * x[i];
  };
  for (SamplerKind kind : {SamplerKind::ddpm, SamplerKind::ddim, SamplerKind::dpmpp_2m}) {
    for (double guidance : {1.0, 3.0}) {
      SamplerOptions o;
      o.kind = kind;
      o.steps = 25;
      o.eta = 0.5;
      o.clip_x0 = true;
      o.guidance = guidance;
      o.null_label = 10;
      Sampler sampler(s, o, 3, dim, {1, 2, 3});
      INFO(to_string(kind) << ", guidance " << guidance);
      const long before = g_allocations;
      while (!sampler.done()) sampler.step(model);
      const long during = g_allocations - before;
      CHECK(during == 0);
    }
  }
  // The counter does see allocations (the check above can fail).
  const long before = g_allocations;
  std::vector<int>* v = new std::vector<int>(10);
  CHECK(g_allocations >= before + 2);
  delete v;
}
