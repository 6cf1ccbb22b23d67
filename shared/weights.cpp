// The JSON weights file (docs/weights-format.md): strict parsing (every field, every tensor's
// shape, base64, finiteness, size limits before any allocation), serializing, atomic saving.
#include "weights.hpp"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include <Eigen/Core>

#include "atomic_file.hpp"

namespace ddpm {

namespace {

constexpr const char* kFormat = "ddpm-weights";
constexpr int kVersion = 1;
constexpr uint64_t kMaxFileBytes = 512ULL * 1024 * 1024;

[[noreturn]] void fail(const std::string& field, const std::string& what) {
  throw std::runtime_error("weights file: " + field + ": " + what);
}

// ---- JSON field access with the field's path in every error ----

const nlohmann::json& member(const nlohmann::json& obj, const std::string& key,
                             const std::string& path) {
  auto it = obj.find(key);
  if (it == obj.end()) fail(path + key, "missing (required)");
  return *it;
}

void require_object(const nlohmann::json& j, const std::string& path) {
  if (!j.is_object()) fail(path, std::string("expected an object, got ") + j.type_name());
}

void refuse_unknown_keys(const nlohmann::json& obj, const std::string& path,
                         const std::set<std::string>& known) {
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (!known.count(it.key())) fail(path + it.key(), "unknown field");
}

int64_t get_int(const nlohmann::json& j, const std::string& field, int64_t lo, int64_t hi) {
  const std::string range = "an integer in " + std::to_string(lo) + ".." + std::to_string(hi);
  if (j.is_number_unsigned()) {
    const uint64_t u = j.get<uint64_t>();
    if (u > static_cast<uint64_t>(hi) || static_cast<int64_t>(u) < lo)
      fail(field, "expected " + range + ", got " + j.dump());
    return static_cast<int64_t>(u);
  }
  if (!j.is_number_integer()) fail(field, "expected " + range + ", got " + j.dump());
  const int64_t v = j.get<int64_t>();
  if (v < lo || v > hi) fail(field, "expected " + range + ", got " + j.dump());
  return v;
}

double get_finite(const nlohmann::json& j, const std::string& field) {
  if (!j.is_number()) fail(field, std::string("expected a number, got ") + j.type_name());
  const double v = j.get<double>();
  if (!std::isfinite(v)) fail(field, "expected a finite number");
  return v;
}

std::vector<int> get_int_list(const nlohmann::json& j, const std::string& field, size_t max_len,
                              int64_t lo, int64_t hi) {
  if (!j.is_array()) fail(field, std::string("expected an array, got ") + j.type_name());
  if (j.size() > max_len)
    fail(field, "expected at most " + std::to_string(max_len) + " entries, got " +
                    std::to_string(j.size()));
  std::vector<int> out;
  for (size_t i = 0; i < j.size(); ++i)
    out.push_back(static_cast<int>(get_int(j[i], field + "[" + std::to_string(i) + "]", lo, hi)));
  return out;
}

// ---- base64 (RFC 4648, standard alphabet, with padding), strict ----

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(const uint8_t* bytes, size_t n) {
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (n - i == 1) {
    const uint32_t v = uint32_t{bytes[i]} << 16;
    out += kAlphabet[(v >> 18) & 63], out += kAlphabet[(v >> 12) & 63], out += "==";
  } else if (n - i == 2) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8);
    out += kAlphabet[(v >> 18) & 63], out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63], out += '=';
  }
  return out;
}

// Decodes exactly `n` bytes into `out`; the text must be the canonical encoding of n bytes
// (length 4 * ceil(n / 3), padding only at the end, unused bits zero).
void base64_decode(const std::string& text, size_t n, uint8_t* out, const std::string& field) {
  const size_t expected_len = (n + 2) / 3 * 4;
  if (text.size() != expected_len)
    fail(field, "base64 length " + std::to_string(text.size()) + ", expected " +
                    std::to_string(expected_len) + " for " + std::to_string(n) + " bytes");
  int8_t table[256];
  std::memset(table, -1, sizeof table);
  for (int i = 0; i < 64; ++i) table[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);

  const size_t pad = n % 3 == 0 ? 0 : 3 - n % 3;
  size_t written = 0;
  for (size_t q = 0; q < text.size(); q += 4) {
    uint32_t v = 0;
    const bool last = q + 4 == text.size();
    for (size_t k = 0; k < 4; ++k) {
      const char c = text[q + k];
      const bool pad_slot = last && k >= 4 - pad;
      if (pad_slot) {
        if (c != '=')
          fail(field, "invalid base64: expected '=' padding at " + std::to_string(q + k));
        v <<= 6;
        continue;
      }
      const int8_t d = table[static_cast<uint8_t>(c)];
      if (d < 0) fail(field, "invalid base64 character at offset " + std::to_string(q + k));
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    const uint8_t b[3] = {static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8),
                          static_cast<uint8_t>(v)};
    const size_t take = last ? 3 - pad : 3;
    for (size_t k = take; k < 3; ++k)
      if (b[k] != 0) fail(field, "invalid base64: non-zero bits before the padding");
    for (size_t k = 0; k < take; ++k) out[written++] = b[k];
  }
}

// ---- little-endian f32 / f16 values ----

size_t dtype_bytes(DType dtype) {
  return dtype == DType::f32 ? 4 : 2;
}

// Turns n little-endian values stored at the start of `bytes` into floats in `out`, which
// shares that storage (4 n bytes): f16 values are widened from the last one backwards, so that
// float i (bytes 4i..4i+3) never overwrites a value j < i not yet read (bytes 2j, 2j+1).
void decode_values_in_place(const uint8_t* bytes, DType dtype, float* out, size_t n) {
  if (dtype == DType::f32) {
    for (size_t i = 0; i < n; ++i) {
      const uint8_t* p = &bytes[4 * i];
      const uint32_t u =
          uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
      std::memcpy(&out[i], &u, 4);
    }
    return;
  }
  for (size_t i = n; i-- > 0;) {
    const uint16_t u = static_cast<uint16_t>(bytes[2 * i] | bytes[2 * i + 1] << 8);
    const float f = static_cast<float>(Eigen::numext::bit_cast<Eigen::half>(u));
    std::memcpy(&out[i], &f, 4);
  }
}

std::vector<uint8_t> encode_values(const std::vector<float>& values, DType dtype,
                                   const std::string& name) {
  std::vector<uint8_t> bytes(values.size() * dtype_bytes(dtype));
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t u;
    if (dtype == DType::f32) {
      std::memcpy(&u, &values[i], 4);
      for (int k = 0; k < 4; ++k) bytes[4 * i + k] = static_cast<uint8_t>(u >> (8 * k));
    } else {
      const Eigen::half h(values[i]);
      if (!(Eigen::numext::isfinite)(h))
        fail("tensors." + name, "value " + std::to_string(values[i]) + " does not fit f16");
      u = Eigen::numext::bit_cast<uint16_t>(h);
      bytes[2 * i] = static_cast<uint8_t>(u), bytes[2 * i + 1] = static_cast<uint8_t>(u >> 8);
    }
  }
  return bytes;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// ---- tensors ----

void parse_tensors(const nlohmann::json& list, Weights& w) {
  if (!list.is_array()) fail("tensors", std::string("expected an array, got ") + list.type_name());
  const auto specs = parameter_specs(w.model);
  std::unordered_map<std::string, const ParamSpec*> by_name;
  for (const auto& s : specs) by_name[s.name] = &s;

  for (size_t i = 0; i < list.size(); ++i) {
    const auto& t = list[i];
    const std::string at = "tensors[" + std::to_string(i) + "]";
    require_object(t, at);
    refuse_unknown_keys(t, at + ".", {"name", "shape", "dtype", "data"});
    const auto& name_j = member(t, "name", at + ".");
    if (!name_j.is_string()) fail(at + ".name", "expected a string");
    const std::string name = name_j.get<std::string>();
    const std::string field = "tensors." + name;
    auto spec = by_name.find(name);
    if (spec == by_name.end()) fail(field, "not a parameter of this model configuration");
    if (w.tensors.count(name)) fail(field, "appears more than once");

    // shape must be exactly what the configuration implies: this bounds every allocation
    const auto& shape_j = member(t, "shape", field + ".");
    if (!shape_j.is_array()) fail(field + ".shape", "expected an array");
    std::vector<int64_t> shape;
    for (size_t d = 0; d < shape_j.size() && d < 8; ++d)
      shape.push_back(
          get_int(shape_j[d], field + ".shape[" + std::to_string(d) + "]", 0, int64_t{1} << 40));
    if (shape_j.size() > 8 || shape != spec->second->shape)
      fail(field + ".shape",
           "expected " + shape_string(spec->second->shape) + ", got " + shape_j.dump());

    const auto& dtype_j = member(t, "dtype", field + ".");
    if (dtype_j != "f32" && dtype_j != "f16")
      fail(field + ".dtype", "expected \"f32\" or \"f16\", got " + dtype_j.dump());
    const DType dtype = dtype_j == "f32" ? DType::f32 : DType::f16;
    const auto& data_j = member(t, "data", field + ".");
    if (!data_j.is_string()) fail(field + ".data", "expected a base64 string");

    // the text's length first, so that a short or missing string allocates nothing; then
    // decode into the tensor's own storage and refuse NaN and infinity
    int64_t count = 1;
    for (int64_t d : shape) count *= d;
    const std::string& text = data_j.get_ref<const std::string&>();
    const size_t nbytes = static_cast<size_t>(count) * dtype_bytes(dtype);
    if (text.size() != (nbytes + 2) / 3 * 4)
      fail(field + ".data", "base64 length " + std::to_string(text.size()) + ", expected " +
                                std::to_string((nbytes + 2) / 3 * 4) + " for " +
                                std::to_string(nbytes) + " bytes");
    Tensor tensor{shape, std::vector<float>(static_cast<size_t>(count))};
    auto* bytes = reinterpret_cast<uint8_t*>(tensor.data.data());
    base64_decode(text, nbytes, bytes, field + ".data");
    decode_values_in_place(bytes, dtype, tensor.data.data(), tensor.data.size());
    for (size_t k = 0; k < tensor.data.size(); ++k)
      if (!std::isfinite(tensor.data[k]))
        fail(field + ".data", "element " + std::to_string(k) + " is " +
                                  (std::isnan(tensor.data[k]) ? "NaN" : "infinite"));
    w.tensors.emplace(name, std::move(tensor));
  }
  for (const auto& s : specs)
    if (!w.tensors.count(s.name)) fail("tensors." + s.name, "missing");
}

// Checks that a Weights object holds exactly the tensors its configuration implies.
void check_tensors(const Weights& w) {
  const auto specs = parameter_specs(w.model);
  for (const auto& s : specs) {
    auto it = w.tensors.find(s.name);
    if (it == w.tensors.end()) fail("tensors." + s.name, "missing");
    int64_t count = 1;
    for (int64_t d : s.shape) count *= d;
    if (it->second.shape != s.shape || static_cast<int64_t>(it->second.data.size()) != count)
      fail("tensors." + s.name,
           "expected shape " + shape_string(s.shape) + ", got " + shape_string(it->second.shape));
  }
  if (w.tensors.size() != specs.size()) {
    std::set<std::string> known;
    for (const auto& s : specs) known.insert(s.name);
    for (const auto& kv : w.tensors)
      if (!known.count(kv.first)) fail("tensors." + kv.first, "not a parameter of this model");
  }
}

}  // namespace

// ---- configuration objects ----

nlohmann::json to_json(const ModelConfig& c) {
  return {{"type", "unet"},
          {"in_channels", c.in_channels},
          {"image_size", {c.height, c.width}},
          {"base_channels", c.base_channels},
          {"channel_mult", c.channel_mult},
          {"num_res_blocks", c.num_res_blocks},
          {"attention_resolutions", c.attention_resolutions},
          {"groups", c.groups},
          {"dropout", c.dropout},
          {"num_classes", c.num_classes}};
}

ModelConfig model_config_from_json(const nlohmann::json& j) {
  const std::string p = "model.";
  require_object(j, "model");
  refuse_unknown_keys(
      j, p,
      {"type", "in_channels", "image_size", "base_channels", "channel_mult", "num_res_blocks",
       "attention_resolutions", "groups", "dropout", "num_classes"});
  if (member(j, "type", p) != "unet")
    fail(p + "type", "expected \"unet\", got " + j["type"].dump());

  // ranges here only keep the values inside int; validate() applies the real limits
  constexpr int64_t big = 1 << 20;
  ModelConfig c;
  c.in_channels =
      static_cast<int>(get_int(member(j, "in_channels", p), p + "in_channels", 0, big));
  const auto size = get_int_list(member(j, "image_size", p), p + "image_size", 2, 0, big);
  if (size.size() != 2) fail(p + "image_size", "expected [H, W]");
  c.height = size[0], c.width = size[1];
  c.base_channels =
      static_cast<int>(get_int(member(j, "base_channels", p), p + "base_channels", 0, big));
  c.channel_mult = get_int_list(member(j, "channel_mult", p), p + "channel_mult", 64, 0, big);
  c.num_res_blocks =
      static_cast<int>(get_int(member(j, "num_res_blocks", p), p + "num_res_blocks", 0, big));
  c.attention_resolutions =
      get_int_list(member(j, "attention_resolutions", p), p + "attention_resolutions", 64, 0, big);
  c.groups = static_cast<int>(get_int(member(j, "groups", p), p + "groups", 0, big));
  if (j.contains("dropout")) c.dropout = get_finite(j["dropout"], p + "dropout");
  c.num_classes =
      static_cast<int>(get_int(member(j, "num_classes", p), p + "num_classes", 0, big));
  try {
    validate(c);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("weights file: ") + e.what());
  }
  return c;
}

nlohmann::json to_json(const ScheduleConfig& c) {
  nlohmann::json j = {{"kind", to_string(c.kind)}, {"timesteps", c.timesteps}};
  if (c.kind == ScheduleKind::linear) {
    j["beta_start"] = c.beta_start;
    j["beta_end"] = c.beta_end;
  } else {
    j["s"] = c.cosine_s;
  }
  return j;
}

ScheduleConfig schedule_config_from_json(const nlohmann::json& j) {
  const std::string p = "schedule.";
  require_object(j, "schedule");
  ScheduleConfig c;
  const auto& kind = member(j, "kind", p);
  if (kind == "linear") {
    refuse_unknown_keys(j, p, {"kind", "timesteps", "beta_start", "beta_end"});
    c.kind = ScheduleKind::linear;
    c.beta_start = get_finite(member(j, "beta_start", p), p + "beta_start");
    c.beta_end = get_finite(member(j, "beta_end", p), p + "beta_end");
    if (!(c.beta_start > 0 && c.beta_start <= c.beta_end && c.beta_end < 1))
      fail(p + "beta_start/beta_end", "expected 0 < beta_start <= beta_end < 1");
  } else if (kind == "cosine") {
    refuse_unknown_keys(j, p, {"kind", "timesteps", "s"});
    c.kind = ScheduleKind::cosine;
    if (j.contains("s")) c.cosine_s = get_finite(j["s"], p + "s");
    if (!(c.cosine_s >= 0)) fail(p + "s", "expected s >= 0");
  } else {
    fail(p + "kind", "expected \"linear\" or \"cosine\", got " + kind.dump());
  }
  c.timesteps =
      static_cast<int>(get_int(member(j, "timesteps", p), p + "timesteps", 1, kMaxTimesteps));
  try {
    validate(c);
  } catch (const std::invalid_argument& e) {
    fail("schedule", e.what());
  }
  return c;
}

// ---- whole file ----

namespace {

// What a file that is not JSON most likely is, from its first bytes ("" when unknown).
std::string known_binary(const std::string& text) {
  if (text.rfind("PK\x03\x04", 0) == 0)
    return "a zip archive, not JSON (a training checkpoint? ddpm export writes its weights file)";
  if (text.rfind("\x89PNG", 0) == 0) return "a PNG image, not a weights file";
  return "";
}

// The parser's message with control and non-ASCII bytes shown as '?' (it quotes the input),
// and its quote of the input ("last read: '...'") cut to 60 characters: in a truncated file
// it is a whole tensor's base64.
std::string printable(std::string text) {
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
  const size_t quote = text.find("last read: '");
  const size_t start = quote == std::string::npos ? quote : quote + 12;
  const size_t end = quote == std::string::npos ? quote : text.find("'", start);
  if (end != std::string::npos && end - start > 60)
    text.replace(start, end - start, text.substr(start, 28) + "..." + text.substr(end - 28, 28));
  return text;
}

}  // namespace

Weights parse_weights(const std::string& json_text) {
  if (json_text.size() > kMaxFileBytes) fail("(file)", "larger than the limit of 512 MiB");
  const std::string binary = known_binary(json_text);
  if (!binary.empty()) fail("(file)", binary);
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::parse_error& e) {
    fail("(file)", "not valid JSON: " + printable(e.what()));
  } catch (const nlohmann::json::out_of_range& e) {  // a number beyond double, e.g. 1e400
    fail("(file)", "a number out of range: " + printable(e.what()));
  }
  require_object(doc, "(document)");
  refuse_unknown_keys(doc, "", {"format", "version", "model", "schedule", "training", "tensors"});
  const auto& format = member(doc, "format", "");
  if (format != kFormat)
    fail("format", std::string("expected \"") + kFormat + "\", got " + format.dump());
  const auto& version = member(doc, "version", "");
  if (!version.is_number_integer() || version != kVersion)
    fail("version", "unsupported version " + version.dump() + " (this reader knows 1)");

  Weights w;
  w.model = model_config_from_json(member(doc, "model", ""));
  w.schedule = schedule_config_from_json(member(doc, "schedule", ""));
  if (doc.contains("training")) {
    require_object(doc["training"], "training");
    w.training = doc["training"];
  }
  parse_tensors(member(doc, "tensors", ""), w);
  return w;
}

Weights load_weights(const std::string& path) {
  // a regular file only: a folder "opens" with a huge size, a FIFO would block the read
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
    throw std::runtime_error("weights file " + path +
                             ": not a regular file (a folder, FIFO or device)");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("weights file " + path + ": cannot open for reading");
  const std::streamoff size = in.tellg();
  if (size < 0) throw std::runtime_error("weights file " + path + ": cannot read its size");
  if (static_cast<uint64_t>(size) > kMaxFileBytes)
    throw std::runtime_error("weights file " + path + ": " + std::to_string(size) +
                             " bytes, more than the limit of 512 MiB");
  std::string text(static_cast<size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(&text[0], size)) throw std::runtime_error("weights file " + path + ": read error");
  try {
    return parse_weights(text);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

std::string serialize_weights(const Weights& w, DType dtype) {
  try {
    validate(w.model);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("weights: ") + e.what());
  }
  check_tensors(w);
  nlohmann::json doc = {{"format", kFormat},
                        {"version", kVersion},
                        {"model", to_json(w.model)},
                        {"schedule", to_json(w.schedule)}};
  if (!w.training.is_null()) doc["training"] = w.training;

  // tensors in the fixed order of parameter_specs
  nlohmann::json list = nlohmann::json::array();
  for (const auto& spec : parameter_specs(w.model)) {
    const Tensor& t = w.tensors.at(spec.name);
    for (size_t k = 0; k < t.data.size(); ++k)
      if (!std::isfinite(t.data[k]))
        fail("tensors." + spec.name, "element " + std::to_string(k) + " is " +
                                         (std::isnan(t.data[k]) ? "NaN" : "infinite"));
    const auto bytes = encode_values(t.data, dtype, spec.name);
    list.push_back({{"name", spec.name},
                    {"shape", t.shape},
                    {"dtype", dtype == DType::f32 ? "f32" : "f16"},
                    {"data", base64_encode(bytes.data(), bytes.size())}});
  }
  doc["tensors"] = std::move(list);
  return doc.dump();
}

void save_weights(const Weights& weights, const std::string& path, DType dtype) {
  write_file_atomic(path, serialize_weights(weights, dtype));
}

}  // namespace ddpm
