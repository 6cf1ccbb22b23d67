// The UNet's configuration (docs/model.md): shared by the trainer, the Eigen engine and the
// weights file, with its validation and cost model.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ddpm {

// The defaults are the page's default model (web/models/mnist-base12.md): the smallest of the
// candidates measured (base 8, 12, 16) whose samples meet the quality bar.
struct ModelConfig {
  int in_channels = 1;
  int height = 28, width = 28;
  int base_channels = 12;
  std::vector<int> channel_mult{1, 2, 2};
  int num_res_blocks = 1;
  std::vector<int> attention_resolutions{7};
  int groups = 4;
  double dropout = 0.1;
  int num_classes = 10;  // 0 = unconditional; null label = num_classes

  int temb_dim() const { return 4 * base_channels; }
  int levels() const { return static_cast<int>(channel_mult.size()); }
  int image_dim() const { return in_channels * height * width; }
};

// Throws std::invalid_argument naming the field and the expected value (docs/weights-format.md
// limits included).
void validate(const ModelConfig& config);

// Every parameter's name and shape in a fixed order (docs/model.md).
struct ParamSpec {
  std::string name;
  std::vector<int64_t> shape;
};
std::vector<ParamSpec> parameter_specs(const ModelConfig& config);
int64_t parameter_count(const ModelConfig& config);
double mflop_per_image(const ModelConfig& config);  // 2 FLOP per multiply-add

}  // namespace ddpm
