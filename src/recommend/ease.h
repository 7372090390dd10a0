// EASE (Steck, 2019): a closed-form item-item model for implicit feedback. With X the
// binary users x items matrix, P = (XᵀX + λI)⁻¹ and B = I − P · diag(1 / diag(P)), so that
// B has a zero diagonal; a user's scores are x_u B.
//
// With dropout p > 0 this is EDLAE: λI becomes λI + p/(1−p)·diag(XᵀX).
// With a user exponent e > 0 every user's row weighs n_u^−e in the Gram matrix,
// XᵀX becomes Xᵀ diag(n_u^−e) X (n_u the user's number of items): B is then the
// zero-diagonal ridge regression of each item on the others with those row weights, so
// heavy users, whose many co-occurrences say less about any one pair, count less.
// Fit is O(items³) time and O(items²) memory: fine up to tens of thousands of items.
// Thread-safety: as Recommender.
#pragma once

#include <Eigen/Dense>

#include "recommend/recommender.h"

namespace aidmp::recommend {

struct EaseOptions {
  double lambda = 250;  // L2 regularisation added to the Gram matrix's diagonal
  // EDLAE (Steck 2020): emphasised dropout with probability p adds p/(1-p)·diag(XᵀX) to
  // the diagonal as well, regularising popular items more. 0 is plain EASE.
  double dropout = 0;
  // Row weight n_u^−e of each user in the Gram matrix; 0 is plain EASE. The Gram's scale
  // shrinks with e, so λ must shrink too (MovieLens 100k: e = 0.5 with λ = 35).
  double user_exponent = 0;
  // Refuse catalogues above this many items (the dense B would not fit comfortably).
  int32_t max_items = 40000;
};

class Ease : public Recommender {
 public:
  explicit Ease(EaseOptions options) : options_(options) {}
  absl::Status Fit(const TrainSet& train, const FitContext& context) override;
  void ScoreItems(int32_t user, std::span<float> scores) const override;

  // The learned B (items x items): B(i, j) is item i's weight towards item j.
  Eigen::MatrixXf Weights() const { return weights_.transpose(); }

 private:
  EaseOptions options_;
  SparseMatrix matrix_;
  Eigen::MatrixXf weights_;  // stored transposed: column i holds row i of B
};

}  // namespace aidmp::recommend
