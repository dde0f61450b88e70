"""Centred finite differences, the relative error, and messages naming the worst entry."""
import numpy as np
import pytest

from course_lib.gradcheck import check_gradient, compare_gradients, numerical_gradient, relative_error


def test_numerical_gradient_of_a_quadratic_and_a_matrix_function():
    A = np.random.default_rng(0).normal(size=(3, 3))
    x = np.random.default_rng(1).normal(size=3)
    assert np.allclose(numerical_gradient(lambda v: v @ A @ v, x), (A + A.T) @ x, rtol=1e-8)
    W = np.random.default_rng(2).normal(size=(2, 4))
    assert np.allclose(numerical_gradient(lambda M: np.sum(np.sin(M)), W), np.cos(W), rtol=1e-8)


def test_numerical_gradient_leaves_its_input_alone_and_works_in_float64():
    x = np.array([[1.0, 2.0]], dtype=np.float32)
    grad = numerical_gradient(lambda v: float(np.sum(v ** 3)), x)
    assert grad.dtype == np.float64 and grad.shape == (1, 2)
    assert np.array_equal(x, np.array([[1.0, 2.0]], dtype=np.float32))
    assert np.allclose(grad, [[3.0, 12.0]], rtol=1e-8)


def test_relative_error_is_symmetric_and_zero_for_zero_against_zero():
    assert relative_error(np.array([1.0, 0.0, -2.0]), np.array([1.1, 0.0, 2.0])) == pytest.approx([0.1 / 1.1, 0.0, 2.0])
    assert relative_error(2.0, 1.0) == relative_error(1.0, 2.0) == 0.5


def test_check_gradient_accepts_the_right_gradient():
    x = np.random.default_rng(3).normal(size=(4, 3))
    ok, message = check_gradient(lambda v: np.sum(v ** 2), x, 2 * x)
    assert ok, message
    assert "largest relative error" in message


def test_check_gradient_names_the_worst_entry_with_received_and_expected():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    wrong = 2 * x
    wrong[1, 2] = 100.0  # expected 12
    ok, message = check_gradient(lambda v: np.sum(v ** 2), x, wrong)
    assert not ok
    assert "at index (1, 2)" in message and "received 100" in message and "expected 12" in message
    assert "1 of 6 entries above 1e-06" in message


def test_check_gradient_catches_a_gradient_off_by_a_constant_factor():
    x = np.random.default_rng(4).normal(size=5)
    ok, message = check_gradient(lambda v: np.mean(v ** 2), x, 2 * x)  # forgot the 1/N
    assert not ok and "0.8" in message


def test_compare_gradients_reports_shape_and_non_finite_values():
    ok, message = compare_gradients(np.zeros(3), np.zeros((3, 1)), name="dW")
    assert not ok and "expected shape (3, 1), received shape (3,)" in message
    ok, message = compare_gradients(np.array([1.0, np.nan]), np.ones(2), name="db")
    assert not ok and "non-finite" in message and "(1,)" in message
