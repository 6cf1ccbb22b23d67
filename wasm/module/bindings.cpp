// The JavaScript interface of the wasm module (embind): class DdpmSession, the portable RNG,
// and the translation of C++ errors into JavaScript Error objects carrying the message.
#include <emscripten/bind.h>
#include <emscripten/heap.h>
#include <emscripten/val.h>

#include <cmath>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "ddpm_session.hpp"
#include "labels.hpp"
#include "rng.hpp"
#include "schedule.hpp"

namespace {

using emscripten::val;

// Runs body; a C++ exception becomes a thrown JavaScript Error with the same message.
template <typename F>
auto guarded(F&& body) -> decltype(body()) {
  std::string message;
  try {
    return body();
  } catch (const std::exception& e) {
    message = e.what();
  } catch (...) {
    message = "unknown error";
  }
  val::global("Error").new_(message).throw_();
}

// Reads an optional number field of a JS options object; checks it is a finite number.
double number_field(const val& options, const char* name, double fallback) {
  val v = options[name];
  if (v.isUndefined() || v.isNull()) return fallback;
  if (!v.isNumber()) throw std::invalid_argument(std::string(name) + ": expected a number");
  double d = v.as<double>();
  if (!std::isfinite(d)) throw std::invalid_argument(std::string(name) + ": must be finite");
  return d;
}

std::string format_number(double d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", d);
  return text;
}

int int_field(const val& options, const char* name, int fallback, double lo, double hi) {
  double d = number_field(options, name, fallback);
  if (d != std::floor(d) || d < lo || d > hi) {
    throw std::invalid_argument(std::string(name) + ": expected an integer in " +
                                format_number(lo) + ".." + format_number(hi) + ", got " +
                                format_number(d));
  }
  return static_cast<int>(d);
}

std::string string_field(const val& options, const char* name, const std::string& fallback) {
  val v = options[name];
  if (v.isUndefined() || v.isNull()) return fallback;
  if (!v.isString()) throw std::invalid_argument(std::string(name) + ": expected a string");
  return v.as<std::string>();
}

// label: a class number (-1 = none) or "none", "each", "random", "3" (labels.hpp).
ddpm::LabelChoice label_field(const val& options, int num_classes) {
  val v = options["label"];
  if (v.isString()) {
    try {
      return ddpm::parse_label_choice(v.as<std::string>(), num_classes);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("label ") + e.what());
    }
  }
  const int label = int_field(options, "label", -1, -1, num_classes - 1);
  if (label < 0) return {};
  return {ddpm::LabelMode::fixed, label};
}

// {sampler, steps, eta, guidance, label, seed, batch, firstSample, spacing, clipX0}
ddpm::SessionConfig parse_config(const ddpm::DdpmSession& s, const val& options) {
  if (options.typeOf().as<std::string>() != "object" || options.isNull()) {
    throw std::invalid_argument("configure: expected an options object");
  }
  ddpm::SessionConfig c;
  ddpm::SamplerOptions& o = c.sampler;
  o.kind = ddpm::parse_sampler_kind(string_field(options, "sampler", "ddim"));
  const int T = s.schedule().T;
  o.steps = int_field(options, "steps", o.kind == ddpm::SamplerKind::ddpm ? T : 50, 1, T);
  o.spacing = ddpm::parse_spacing(string_field(options, "spacing", "leading"));
  o.eta = number_field(options, "eta", 0.0);
  o.guidance = number_field(options, "guidance", 1.0);
  val clip = options["clipX0"];
  if (!clip.isUndefined() && !clip.isNull()) {
    if (!clip.isTrue() && !clip.isFalse()) throw std::invalid_argument("clipX0: expected bool");
    o.clip_x0 = clip.isTrue();
  }
  // Seeds are integers a JS number holds exactly (below 2^53).
  double seed = number_field(options, "seed", 0);
  if (seed != std::floor(seed) || seed < 0 || seed > 9007199254740991.0) {
    throw std::invalid_argument("seed: expected an integer in 0..2^53-1");
  }
  o.seed = static_cast<uint64_t>(seed);
  o.first_sample = int_field(options, "firstSample", 0, 0, 1 << 30);
  c.batch = int_field(options, "batch", 1, 1, ddpm::kMaxSessionBatch);
  c.label = label_field(options, s.model().num_classes);
  return c;
}

// A session as JavaScript sees it. The constructor never throws: a JavaScript exception
// thrown through embind's invoker would skip freeing the copy of the (large) weights text, so
// a bad file is reported by error() instead, and every other method then throws.
class JsSession {
 public:
  explicit JsSession(const std::string& text) {
    try {
      s_ = std::make_unique<ddpm::DdpmSession>(text);
    } catch (const std::exception& e) {
      error_ = e.what();
    }
  }

  std::string error() const { return error_; }

  void configure(val options) {
    guarded([&] { session().configure(parse_config(session(), options)); });
  }
  void step() {
    guarded([&] {
      if (!session().configured()) throw std::logic_error("step: call configure() first");
      session().step();
    });
  }
  bool done() const { return !running() || s_->done(); }
  int stepIndex() const { return running() ? s_->step_index() : 0; }
  int numSteps() const { return running() ? s_->num_steps() : 0; }
  int nextT() const { return running() ? s_->next_t() : 0; }
  int batch() const { return running() ? s_->batch() : 0; }
  int dim() const { return s_ ? s_->dim() : 0; }

  // The run's timesteps, first (largest) to last, as an Int32Array copy.
  val timesteps() const {
    return guarded([&] {
      if (!running()) throw std::logic_error("timesteps: call configure() first");
      const std::vector<int>& ts = s_->timesteps();
      val copy = val::global("Int32Array").new_(ts.size());
      copy.call<void>("set", val(emscripten::typed_memory_view(ts.size(), ts.data())));
      return copy;
    });
  }

  // Views into wasm memory, valid until the next call that may grow it (step, configure).
  val x() const { return view(running() ? s_->x() : nullptr); }
  val x0() const { return view(running() ? s_->x0() : nullptr); }

  std::string info() const {
    return guarded([&] { return session().info_json(); });
  }

  // A copy of one schedule table, t = 0..T: beta, alpha_bar, log_snr, sqrt_alpha_bar, ...
  val scheduleTable(const std::string& name) const {
    return guarded([&] {
      const ddpm::Schedule& sc = session().schedule();
      const std::vector<double>* table = name == "beta"             ? &sc.beta
                                         : name == "alpha_bar"      ? &sc.alpha_bar
                                         : name == "log_snr"        ? &sc.log_snr
                                         : name == "sqrt_alpha_bar" ? &sc.sqrt_alpha_bar
                                         : name == "sqrt_one_minus_alpha_bar"
                                             ? &sc.sqrt_one_minus_alpha_bar
                                         : name == "posterior_variance" ? &sc.posterior_variance
                                                                        : nullptr;
      if (!table) throw std::invalid_argument("scheduleTable: unknown table '" + name + "'");
      val copy = val::global("Float64Array").new_(table->size());
      copy.call<void>("set", val(emscripten::typed_memory_view(table->size(), table->data())));
      return copy;
    });
  }

 private:
  bool running() const { return s_ && s_->configured(); }
  ddpm::DdpmSession& session() const {
    if (!s_) throw std::logic_error("no model: the weights file was refused: " + error_);
    return *s_;
  }
  val view(const float* p) const {
    size_t n = p ? static_cast<size_t>(s_->batch()) * s_->dim() : 0;
    return val(emscripten::typed_memory_view(n, p));
  }
  std::unique_ptr<ddpm::DdpmSession> s_;
  std::string error_;
};

// n normals of stream `stream` of `seed` (the sampler's noise source), as a Float32Array copy.
val normals(double seed, double stream, int n) {
  return guarded([&] {
    if (seed < 0 || seed != std::floor(seed) || stream < 0 || stream != std::floor(stream)) {
      throw std::invalid_argument("normals: seed and stream must be non-negative integers");
    }
    if (n < 0 || n > (1 << 24)) throw std::invalid_argument("normals: n must be in 0..2^24");
    std::vector<float> out(static_cast<size_t>(n));
    ddpm::NormalRng rng(static_cast<uint64_t>(seed), static_cast<uint64_t>(stream));
    rng.fill(out.data(), out.size());
    val copy = val::global("Float32Array").new_(out.size());
    copy.call<void>("set", val(emscripten::typed_memory_view(out.size(), out.data())));
    return copy;
  });
}

// Bytes of wasm memory now reserved (it only grows): the module's memory footprint.
double memoryBytes() {
  return static_cast<double>(emscripten_get_heap_size());
}

}  // namespace

EMSCRIPTEN_BINDINGS(ddpm_module) {
  using namespace emscripten;
  class_<JsSession>("DdpmSession")
      .constructor<std::string>()
      .function("error", &JsSession::error)
      .function("configure", &JsSession::configure)
      .function("step", &JsSession::step)
      .function("done", &JsSession::done)
      .function("stepIndex", &JsSession::stepIndex)
      .function("numSteps", &JsSession::numSteps)
      .function("nextT", &JsSession::nextT)
      .function("timesteps", &JsSession::timesteps)
      .function("batch", &JsSession::batch)
      .function("dim", &JsSession::dim)
      .function("x", &JsSession::x)
      .function("x0", &JsSession::x0)
      .function("info", &JsSession::info)
      .function("scheduleTable", &JsSession::scheduleTable);
  function("normals", &normals);
  function("memoryBytes", &memoryBytes);
}
