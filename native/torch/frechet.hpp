// The Fréchet distance between two sets of feature vectors, each summarised by a Gaussian
// (mean, covariance): the FID of Heusel et al. 2017 on any feature extractor.
#pragma once

#include <cstdint>
#include <vector>

#include <Eigen/Dense>

namespace ddpm::native {

// Mean and covariance (unbiased, divided by n - 1) of n row vectors of `dim` floats.
struct FeatureStats {
  Eigen::VectorXd mean;
  Eigen::MatrixXd cov;
  int64_t count = 0;
};

// features: n * dim floats, row-major. Throws std::invalid_argument when n < 2 or dim < 1.
FeatureStats feature_stats(const std::vector<float>& features, int64_t n, int dim);

// d^2 = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1^1/2 S2 S1^1/2)^1/2), the squared Fréchet
// (Wasserstein-2) distance between N(mu1, S1) and N(mu2, S2) (Dowson & Landau 1982). Both
// square roots are taken on symmetric positive semi-definite matrices through their
// eigendecomposition (tiny negative eigenvalues from rounding are clamped to 0). Throws
// std::invalid_argument on mismatched dimensions.
double frechet_distance(const FeatureStats& a, const FeatureStats& b);

}  // namespace ddpm::native
