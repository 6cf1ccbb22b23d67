// The Fréchet distance between two Gaussians fitted to feature vectors, with the matrix
// square roots taken through symmetric eigendecompositions (Eigen's SelfAdjointEigenSolver).
#include "torch/frechet.hpp"

#include <stdexcept>
#include <string>

namespace ddpm::native {
namespace {

// The PSD square root of a symmetric matrix: V diag(sqrt(max(l, 0))) V^T.
Eigen::MatrixXd psd_sqrt(const Eigen::MatrixXd& m) {
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(m);
  if (eig.info() != Eigen::Success)
    throw std::runtime_error("Fréchet distance: eigendecomposition did not converge");
  const Eigen::VectorXd root = eig.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  return eig.eigenvectors() * root.asDiagonal() * eig.eigenvectors().transpose();
}

}  // namespace

FeatureStats feature_stats(const std::vector<float>& features, int64_t n, int dim) {
  if (n < 2 || dim < 1)
    throw std::invalid_argument("feature statistics need >= 2 vectors of >= 1 value, got " +
                                std::to_string(n) + " of " + std::to_string(dim));
  if (int64_t(features.size()) != n * dim)
    throw std::invalid_argument("feature statistics: expected " + std::to_string(n * dim) +
                                " values, got " + std::to_string(features.size()));
  const Eigen::MatrixXd x =
      Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
          features.data(), n, dim)
          .cast<double>();
  FeatureStats s;
  s.count = n;
  s.mean = x.colwise().mean().transpose();
  const Eigen::MatrixXd centred = x.rowwise() - s.mean.transpose();
  s.cov = centred.transpose() * centred / double(n - 1);
  return s;
}

double frechet_distance(const FeatureStats& a, const FeatureStats& b) {
  if (a.mean.size() != b.mean.size() || a.cov.rows() != a.mean.size() ||
      b.cov.rows() != b.mean.size())
    throw std::invalid_argument("Fréchet distance: feature dimensions differ (" +
                                std::to_string(a.mean.size()) + " vs " +
                                std::to_string(b.mean.size()) + ")");
  // tr((S1^1/2 S2 S1^1/2)^1/2) (Dowson & Landau 1982): the inner matrix is symmetric PSD
  const Eigen::MatrixXd s1_half = psd_sqrt(a.cov);
  Eigen::MatrixXd inner = s1_half * b.cov * s1_half;
  inner = 0.5 * (inner + inner.transpose());  // exact symmetry against rounding
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(inner, Eigen::EigenvaluesOnly);
  if (eig.info() != Eigen::Success)
    throw std::runtime_error("Fréchet distance: eigendecomposition did not converge");
  const double cross = eig.eigenvalues().cwiseMax(0.0).cwiseSqrt().sum();
  const double d2 =
      (a.mean - b.mean).squaredNorm() + a.cov.trace() + b.cov.trace() - 2.0 * cross;
  return d2 < 0.0 ? 0.0 : d2;  // rounding can leave -1e-12 for identical sets
}

}  // namespace ddpm::native
