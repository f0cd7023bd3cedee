/* Per-note binary cross-entropy with logits, and its gradient, one output row at a time. */
#ifndef ACCOMPD_TRAIN_LOSS_H
#define ACCOMPD_TRAIN_LOSS_H

/* For n logits z and targets y (pos_weight pw per output, NULL for 1):
 * returns sum_j pw_j y_j (-log sigmoid z_j) + (1 - y_j)(-log(1 - sigmoid z_j)),
 * and overwrites z with scale × d(that sum)/dz. The log-sigmoid form cannot
 * overflow: with sp(z) = log(1 + e^z) = max(z, 0) + log1p(e^-|z|),
 * -log sigmoid(z) = sp(z) - z and -log(1 - sigmoid(z)) = sp(z). */
float acd_train_bce_row(float *z, const float *y, const float *pw, int n, float scale);

#endif
