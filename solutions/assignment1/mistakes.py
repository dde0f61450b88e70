"""Known mistakes of assignment 1, written out for the grader's recognisers.

Hidden from students like the reference: a release records the values these give on the
visible checks' inputs, never this code.
"""
import math

import numpy as np


def _residual(y_true, y_pred):
    return np.sum((np.asarray(y_true, dtype=float) - np.asarray(y_pred)) ** 2)


def r2_around_prediction_mean(y_true, y_pred):
    """R^2 whose total sum of squares is taken around the mean of y_pred."""
    y_pred = np.asarray(y_pred, dtype=float)
    return float(1.0 - _residual(y_true, y_pred) / np.sum((np.asarray(y_true) - y_pred.mean()) ** 2))


def r2_uncentred(y_true, y_pred):
    """R^2 whose total sum of squares is sum(y_true ** 2), not centred at all."""
    return float(1.0 - _residual(y_true, y_pred) / np.sum(np.asarray(y_true, dtype=float) ** 2))


def mae_without_abs(y_true, y_pred):
    return float(np.mean(np.asarray(y_true) - np.asarray(y_pred)))


def mse_summed(y_true, y_pred):
    return float(_residual(y_true, y_pred))


def rmse_of_summed(y_true, y_pred):
    return math.sqrt(mse_summed(y_true, y_pred))
