// Tests of the model configuration (parameter list, counts, cost) and of the weights file
// parser: a good file round-trips, every kind of bad file is refused naming the field.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>

#include "atomic_file.hpp"
#include "model_config.hpp"
#include "weights.hpp"

using ddpm::DType;
using ddpm::ModelConfig;
using ddpm::Weights;
using nlohmann::json;

namespace {

// A small conditional model: 2 levels, attention at height 4, 2 classes.
ModelConfig small_config() {
  ModelConfig c;
  c.height = c.width = 8;
  c.base_channels = 8;
  c.channel_mult = {1, 2};
  c.attention_resolutions = {4};
  c.groups = 4;
  c.num_classes = 2;
  return c;
}

// Weights whose value k of every tensor is (k % 17 - 8) / 16: exact in f16 and f32.
Weights small_weights() {
  Weights w;
  w.model = small_config();
  for (const auto& spec : ddpm::parameter_specs(w.model)) {
    ddpm::Tensor t{spec.shape, {}};
    int64_t n = 1;
    for (int64_t d : spec.shape) n *= d;
    for (int64_t k = 0; k < n; ++k) t.data.push_back(static_cast<float>(k % 17 - 8) / 16.0f);
    w.tensors[spec.name] = std::move(t);
  }
  w.training = {{"dataset", "test"}};
  return w;
}

json good_doc(DType dtype = DType::f32) {
  return json::parse(ddpm::serialize_weights(small_weights(), dtype));
}

json& tensor_named(json& doc, const std::string& name) {
  for (auto& t : doc["tensors"])
    if (t["name"] == name) return t;
  throw std::logic_error("test setup: no tensor " + name);
}

// The parse error's message for a document.
std::string parse_error(const json& doc) {
  try {
    ddpm::parse_weights(doc.dump());
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("parameter count and MFLOP of a base-32 model match an independent count",
          "[model_config]") {
  // Reference: a python3 re-implementation of docs/model.md's walk, counting weights, biases,
  // norms and the (K+1) x temb class table, and 2 FLOP per multiply-add in convs, linears and
  // the two attention products (4 C (HW)^2). Base 32, 1,2,2, attention 7, 10 classes.
  ModelConfig c;
  c.base_channels = 32, c.groups = 8;
  REQUIRE_NOTHROW(ddpm::validate(c));
  CHECK(ddpm::parameter_count(c) == 1114209);
  CHECK(ddpm::mflop_per_image(c) == Approx(380.079104).epsilon(1e-12));
  c.num_classes = 0;
  CHECK(ddpm::parameter_count(c) == 1112801);

  // a CIFAR-like configuration: 3 channels, 32x32, 4 levels, 2 blocks, attention at 16
  ModelConfig cifar;
  cifar.in_channels = 3, cifar.height = cifar.width = 32, cifar.base_channels = 64;
  cifar.channel_mult = {1, 2, 2, 2}, cifar.num_res_blocks = 2;
  cifar.attention_resolutions = {16}, cifar.num_classes = 0;
  CHECK(ddpm::parameter_count(cifar) == 8952067);
  CHECK(ddpm::mflop_per_image(cifar) == Approx(3198.418944).epsilon(1e-12));
  CHECK(ddpm::parameter_count(small_config()) == 45065);
}

TEST_CASE("the default configuration is that of the page's default model", "[model_config]") {
  const std::string path = std::string(DDPM_SOURCE_DIR) + "/web/models/mnist-base12.json";
  const ddpm::Weights w = ddpm::load_weights(path);
  const ModelConfig d;
  CHECK(ddpm::to_json(d) == ddpm::to_json(w.model));
}

TEST_CASE("parameter_specs lists every parameter once, in the documented order",
          "[model_config]") {
  ModelConfig c;  // base 32, the shapes of docs/model.md's examples
  c.base_channels = 32, c.groups = 8;
  const auto specs = ddpm::parameter_specs(c);
  REQUIRE(specs.size() > 10);
  CHECK(specs[0].name == "time_embed.linear1.weight");
  CHECK(specs[0].shape == std::vector<int64_t>{128, 32});
  CHECK(specs[4].name == "class_embed.weight");
  CHECK(specs[4].shape == std::vector<int64_t>{11, 128});
  CHECK(specs[5].name == "conv_in.weight");
  CHECK(specs[5].shape == std::vector<int64_t>{32, 1, 3, 3});
  CHECK(specs.back().name == "conv_out.bias");
  std::set<std::string> names;
  for (const auto& s : specs) names.insert(s.name);
  CHECK(names.size() == specs.size());

  // shapes of documented examples: concatenated input of the first up block at level 2
  // (64 channels of h + 64 of the downsample skip), the attention's qkv, a 1x1 skip
  auto shape_of = [&](const std::string& n) {
    for (const auto& s : specs)
      if (s.name == n) return s.shape;
    return std::vector<int64_t>{};
  };
  CHECK(shape_of("up.2.res.0.conv1.weight") == std::vector<int64_t>{64, 128, 3, 3});
  CHECK(shape_of("mid.attn.qkv.weight") == std::vector<int64_t>{192, 64, 1, 1});
  CHECK(shape_of("down.1.res.0.skip.weight") == std::vector<int64_t>{64, 32, 1, 1});
  CHECK(shape_of("down.0.res.0.skip.weight").empty());
  CHECK(shape_of("down.2.attn.0.proj.bias") == std::vector<int64_t>{64});
  CHECK(shape_of("up.0.upsample.conv.weight").empty());
  CHECK(shape_of("up.1.upsample.conv.weight") == std::vector<int64_t>{64, 64, 3, 3});
}

TEST_CASE("validate refuses configurations outside the limits, naming the field",
          "[model_config]") {
  auto message = [](ModelConfig c) {
    try {
      ddpm::validate(c);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  ModelConfig c;
  c.groups = 5;
  CHECK_THAT(message(c), Catch::Contains("model.base_channels"));
  c = {}, c.height = 30;
  CHECK_THAT(message(c), Catch::Contains("model.image_size[0]"));
  c = {}, c.base_channels = 4096;
  CHECK_THAT(message(c), Catch::Contains("model.base_channels"));
  c = {}, c.channel_mult = {1, 2, 256};  // 12 x 256 channels > 2048
  CHECK_THAT(message(c), Catch::Contains("model.channel_mult[2]"));
  c = {}, c.height = c.width = 512;
  CHECK_THAT(message(c), Catch::Contains("model.image_size"));
  c = {}, c.attention_resolutions = {5};  // heights are 28, 14, 7: 5 would add no attention
  CHECK_THAT(message(c),
             Catch::Contains("model.attention_resolutions[0]") && Catch::Contains("28, 14, 7"));
  c = {}, c.attention_resolutions = {7, 14, 7};
  CHECK_THAT(message(c), Catch::Contains("model.attention_resolutions[2]: expected a height not "
                                         "listed before (it repeats entry 0), got 7"));
  c = {}, c.num_classes = 1001;
  CHECK_THAT(message(c), Catch::Contains("model.num_classes"));
  c = {}, c.channel_mult = std::vector<int>(17, 1), c.height = c.width = 256;
  CHECK_THAT(message(c), Catch::Contains("model.channel_mult"));
  c = {}, c.base_channels = 512, c.channel_mult = {1, 2, 4}, c.num_res_blocks = 8;
  CHECK_THAT(message(c), Catch::Contains("parameter count"));
}

TEST_CASE("a weights file round-trips exactly in f32 and f16", "[weights]") {
  const Weights w = small_weights();
  for (DType dtype : {DType::f32, DType::f16}) {
    const Weights back = ddpm::parse_weights(ddpm::serialize_weights(w, dtype));
    CHECK(back.model.channel_mult == w.model.channel_mult);
    CHECK(back.model.attention_resolutions == w.model.attention_resolutions);
    CHECK(back.model.num_classes == 2);
    CHECK(back.schedule.timesteps == 1000);
    CHECK(back.training["dataset"] == "test");
    REQUIRE(back.tensors.size() == w.tensors.size());
    for (const auto& kv : w.tensors) {
      const auto& t = back.tensors.at(kv.first);
      CHECK(t.shape == kv.second.shape);
      CHECK(t.data == kv.second.data);
    }
  }
}

TEST_CASE("tensor data is little-endian base64 as python's struct and base64 write it",
          "[weights]") {
  // python3: base64.b64encode(struct.pack('<f', 1.0)) == b'AACAPw==', '<e' 1.0 -> b'ADw=',
  // '<f' -0.375 -> b'AADAvg==', '<e' -0.375 -> b'ALY='
  Weights w = small_weights();
  w.tensors["conv_out.bias"].data = {1.0f};
  json f32 = json::parse(ddpm::serialize_weights(w, DType::f32));
  json f16 = json::parse(ddpm::serialize_weights(w, DType::f16));
  CHECK(tensor_named(f32, "conv_out.bias")["data"] == "AACAPw==");
  CHECK(tensor_named(f16, "conv_out.bias")["data"] == "ADw=");
  CHECK(tensor_named(f16, "conv_out.bias")["dtype"] == "f16");

  tensor_named(f32, "conv_out.bias")["data"] = "AADAvg==";
  CHECK(ddpm::parse_weights(f32.dump()).tensors.at("conv_out.bias").data[0] == -0.375f);
  tensor_named(f16, "conv_out.bias")["data"] = "ALY=";
  CHECK(ddpm::parse_weights(f16.dump()).tensors.at("conv_out.bias").data[0] == -0.375f);
}

TEST_CASE("bad tensors are refused with the tensor's name", "[weights]") {
  json doc = good_doc();
  SECTION("wrong shape") {
    tensor_named(doc, "conv_in.weight")["shape"] = {8, 1, 3, 2};
    CHECK_THAT(parse_error(doc), Catch::Contains("tensors.conv_in.weight.shape"));
  }
  SECTION("missing tensor") {
    auto& list = doc["tensors"];
    for (size_t i = 0; i < list.size(); ++i)
      if (list[i]["name"] == "mid.attn.qkv.bias") list.erase(i);
    CHECK_THAT(parse_error(doc), Catch::Contains("tensors.mid.attn.qkv.bias: missing"));
  }
  SECTION("extra tensor") {
    json extra = tensor_named(doc, "conv_out.bias");
    extra["name"] = "conv_out.scale";
    doc["tensors"].push_back(extra);
    CHECK_THAT(parse_error(doc), Catch::Contains("tensors.conv_out.scale"));
  }
  SECTION("duplicate tensor") {
    doc["tensors"].push_back(tensor_named(doc, "conv_out.bias"));
    CHECK_THAT(parse_error(doc), Catch::Contains("tensors.conv_out.bias: appears more"));
  }
  SECTION("NaN and infinity") {
    tensor_named(doc, "conv_out.bias")["data"] = "AADAfw==";  // '<f' nan
    CHECK_THAT(parse_error(doc), Catch::Contains("tensors.conv_out.bias.data: element 0 is NaN"));
    json half = good_doc(DType::f16);
    tensor_named(half, "conv_out.bias")["data"] = "AHw=";  // '<e' inf
    CHECK_THAT(parse_error(half), Catch::Contains("element 0 is infinite"));
  }
  SECTION("bad base64") {
    auto& t = tensor_named(doc, "conv_out.bias");
    t["data"] = "AACA*w==";
    CHECK_THAT(parse_error(doc),
               Catch::Contains("tensors.conv_out.bias.data") && Catch::Contains("character"));
    t["data"] = "AACAPw=";
    CHECK_THAT(parse_error(doc), Catch::Contains("base64 length"));
    t["data"] = "AACAPwA=";  // padding missing where 4 bytes need two '='
    CHECK_THAT(parse_error(doc), Catch::Contains("padding"));
    t["data"] = "AACAPx==";  // non-zero bits in the unused part of the last character
    CHECK_THAT(parse_error(doc), Catch::Contains("non-zero bits"));
    t["data"] = "AACAPwAAAEA=";  // two values where one is expected
    CHECK_THAT(parse_error(doc), Catch::Contains("base64 length"));
  }
  SECTION("bad dtype") {
    tensor_named(doc, "conv_out.bias")["dtype"] = "f64";
    CHECK_THAT(parse_error(doc), Catch::Contains("tensors.conv_out.bias.dtype"));
  }
  SECTION("huge dims in a tensor shape") {
    tensor_named(doc, "conv_out.bias")["shape"] = {int64_t{1} << 40};
    CHECK_THAT(parse_error(doc), Catch::Contains("tensors.conv_out.bias.shape"));
  }
}

TEST_CASE("bad header, model and schedule fields are refused naming the field", "[weights]") {
  json doc = good_doc();
  SECTION("unknown version and format") {
    doc["version"] = 2;
    CHECK_THAT(parse_error(doc), Catch::Contains("version"));
    doc = good_doc(), doc["version"] = "1";
    CHECK_THAT(parse_error(doc), Catch::Contains("version"));
    doc = good_doc(), doc["format"] = "safetensors";
    CHECK_THAT(parse_error(doc), Catch::Contains("format"));
  }
  SECTION("huge dims in the model are refused before any allocation") {
    doc["model"]["image_size"] = {100000, 100000};
    CHECK_THAT(parse_error(doc), Catch::Contains("model.image_size"));
    doc = good_doc(), doc["model"]["base_channels"] = 1000000000000LL;
    CHECK_THAT(parse_error(doc), Catch::Contains("model.base_channels"));
    doc = good_doc(), doc["model"]["channel_mult"] = {1, 2, 4, 8, 16, 32};
    CHECK_THAT(parse_error(doc), Catch::Contains("model.image_size"));
  }
  SECTION("missing, mistyped and unknown model fields") {
    doc["model"].erase("groups");
    CHECK_THAT(parse_error(doc), Catch::Contains("model.groups: missing"));
    doc = good_doc(), doc["model"]["num_res_blocks"] = 1.5;
    CHECK_THAT(parse_error(doc), Catch::Contains("model.num_res_blocks"));
    doc = good_doc(), doc["model"]["type"] = "dit";
    CHECK_THAT(parse_error(doc), Catch::Contains("model.type"));
    doc = good_doc(), doc["model"]["heads"] = 4;
    CHECK_THAT(parse_error(doc), Catch::Contains("model.heads: unknown field"));
    doc = good_doc(), doc["model"].erase("dropout");
    CHECK(parse_error(doc) == "(no error)");
  }
  SECTION("schedule") {
    doc["schedule"]["timesteps"] = 0;
    CHECK_THAT(parse_error(doc), Catch::Contains("schedule.timesteps"));
    doc = good_doc(), doc["schedule"].erase("beta_end");
    CHECK_THAT(parse_error(doc), Catch::Contains("schedule.beta_end: missing"));
    doc = good_doc(), doc["schedule"]["kind"] = "sigmoid";
    CHECK_THAT(parse_error(doc), Catch::Contains("schedule.kind"));
    doc = good_doc(), doc["schedule"] = {{"kind", "cosine"}, {"timesteps", 500}};
    const Weights w = ddpm::parse_weights(doc.dump());
    CHECK(w.schedule.kind == ddpm::ScheduleKind::cosine);
    CHECK(w.schedule.timesteps == 500);
    CHECK(w.schedule.cosine_s == 0.008);
  }
  SECTION("a number beyond double") {
    std::string text = good_doc().dump();
    const std::string key = "\"timesteps\":";
    const size_t at = text.find(key) + key.size();
    text.replace(at, text.find_first_of(",}", at) - at, "1e400");
    try {
      ddpm::parse_weights(text);
      FAIL("no error");
    } catch (const std::runtime_error& e) {
      CHECK_THAT(std::string(e.what()),
                 Catch::Contains("a number out of range") && Catch::Contains("1e400"));
    }
  }
  SECTION("not JSON at all") {
    CHECK_THAT(parse_error(json("x")), Catch::Contains("(document)"));
    try {
      ddpm::parse_weights("{\"format\": ");
      FAIL("no error");
    } catch (const std::runtime_error& e) {
      CHECK_THAT(std::string(e.what()), Catch::Contains("not valid JSON"));
    }
    // cut inside a tensor's data: the parser quotes the whole unfinished string; the message
    // keeps its two ends
    const std::string text = good_doc().dump();
    const std::string cut = text.substr(0, text.find("\"data\":\"") + 9) + std::string(5000, 'A');
    try {
      ddpm::parse_weights(cut);
      FAIL("no error");
    } catch (const std::runtime_error& e) {
      const std::string message = e.what();
      CHECK_THAT(message, Catch::Contains("not valid JSON") && Catch::Contains("AAAA...AAAA"));
      CHECK(message.size() < 400);
    }
  }
  SECTION("a checkpoint, a PNG, other binary data: named, and no raw bytes in the message") {
    const auto error_of = [](const std::string& bytes) {
      try {
        ddpm::parse_weights(bytes);
      } catch (const std::runtime_error& e) {
        return std::string(e.what());
      }
      return std::string("no error");
    };
    CHECK_THAT(error_of(std::string("PK\x03\x04\x14\0\0\0", 8)),
               Catch::Contains("a zip archive") && Catch::Contains("ddpm export"));
    CHECK_THAT(error_of("\x89PNG\r\n\x1a\n"), Catch::Contains("a PNG image"));
    const std::string other = error_of(std::string("\x01\xff\x1b[2J", 6));
    CHECK_THAT(other, Catch::Contains("not valid JSON"));
    CHECK(std::none_of(other.begin(), other.end(), [](char c) {
      return static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e;
    }));
  }
}

TEST_CASE("save_weights writes atomically and load_weights reads it back", "[weights]") {
  const std::string path = std::string(DDPM_BINARY_DIR) + "/test_weights_roundtrip.json";
  std::remove(path.c_str());
  ddpm::save_weights(small_weights(), path, DType::f16);
  std::ifstream tmp(ddpm::temp_path_for(path));
  CHECK_FALSE(tmp.good());
  const Weights back = ddpm::load_weights(path);
  CHECK(back.tensors.at("class_embed.weight").data ==
        small_weights().tensors.at("class_embed.weight").data);
  std::remove(path.c_str());

  // a missing folder: an error naming the path, nothing written
  const std::string bad = std::string(DDPM_BINARY_DIR) + "/no-such-dir/w.json";
  CHECK_THROWS_WITH(ddpm::save_weights(small_weights(), bad, DType::f32),
                    Catch::Contains("no-such-dir"));
  CHECK_THROWS_WITH(ddpm::load_weights(bad), Catch::Contains("cannot open"));

  // serializing a Weights that lacks a tensor is refused too
  Weights broken = small_weights();
  broken.tensors.erase("conv_in.bias");
  CHECK_THROWS_WITH(ddpm::serialize_weights(broken, DType::f32),
                    Catch::Contains("tensors.conv_in.bias"));
}
