// Stand-in for the x86 MMX header under Emscripten, which has none: Eigen's SSE path includes
// <mmintrin.h> before Emscripten's SSE headers (which map SSE to SIMD128) and uses no MMX.
#pragma once
