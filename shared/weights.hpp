// The JSON weights file (docs/weights-format.md): reading with full validation, writing.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model_config.hpp"
#include "schedule.hpp"

namespace ddpm {

enum class DType { f32, f16 };

struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;  // always decoded to float
};

struct Weights {
  ModelConfig model;
  ScheduleConfig schedule;
  nlohmann::json training = nlohmann::json::object();
  std::map<std::string, Tensor> tensors;
};

// Parse and validate; throws std::runtime_error whose message names the field at fault.
Weights parse_weights(const std::string& json_text);
Weights load_weights(const std::string& path);

std::string serialize_weights(const Weights& weights, DType dtype);
// Writes through write_file_atomic (atomic_file.hpp): an existing file is never left
// half-written.
void save_weights(const Weights& weights, const std::string& path, DType dtype);

nlohmann::json to_json(const ModelConfig& config);
ModelConfig model_config_from_json(const nlohmann::json& j);   // validates
nlohmann::json to_json(const ScheduleConfig& config);
ScheduleConfig schedule_config_from_json(const nlohmann::json& j);

}  // namespace ddpm
