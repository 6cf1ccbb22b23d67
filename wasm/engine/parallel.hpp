// Threading of the engine: OpenMP loops over independent work items (column tiles, images,
// groups) when the build has OpenMP, plain loops otherwise (the WebAssembly build).
#pragma once

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace ddpm::engine {

// Runs body(i, thread) for i in [0, count) on up to `threads` threads; `thread` indexes the
// caller's per-thread scratch buffers (0 <= thread < threads).
template <typename Body>
void parallel_for(int count, int threads, const Body& body) {
#if defined(_OPENMP)
  if (threads > 1 && count > 1) {
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (int i = 0; i < count; ++i) body(i, omp_get_thread_num());
    return;
  }
#endif
  (void)threads;
  for (int i = 0; i < count; ++i) body(i, 0);
}

}  // namespace ddpm::engine
