"""pass@k and pass^k against hand-computed values (τ-bench definitions)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.evals.report import pass_at_k, pass_hat_k


def test_pass_hat_k_of_three_passing_in_five_at_k2_is_three_tenths() -> None:
    # C(3,2)/C(5,2) = 3/10
    assert pass_hat_k(5, 3, 2) == pytest.approx(0.3)


def test_pass_at_k_of_three_passing_in_five_at_k2_is_nine_tenths() -> None:
    # 1 - C(2,2)/C(5,2) = 1 - 1/10
    assert pass_at_k(5, 3, 2) == pytest.approx(0.9)


def test_at_k1_both_are_the_share_of_passing_runs() -> None:
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert pass_hat_k(4, 1, 1) == pytest.approx(0.25)


def test_at_k_equal_n_pass_hat_k_needs_every_run_and_pass_at_k_any() -> None:
    assert pass_hat_k(3, 2, 3) == 0
    assert pass_at_k(3, 2, 3) == 1
    assert pass_hat_k(3, 3, 3) == 1


def test_no_passing_run_gives_zero_for_both() -> None:
    assert pass_at_k(4, 0, 2) == 0
    assert pass_hat_k(4, 0, 2) == 0


@pytest.mark.parametrize(("n", "c", "k"), [(3, 1, 0), (3, 1, 4), (3, 4, 1), (3, -1, 1)])
def test_impossible_counts_are_rejected(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError, match="1 <= k <= n"):
        pass_at_k(n, c, k)
    with pytest.raises(ValueError, match="1 <= k <= n"):
        pass_hat_k(n, c, k)


@given(
    st.integers(1, 12).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n))
    )
)
def test_pass_at_k_is_one_minus_all_k_failing(nck: tuple[int, int, int]) -> None:
    n, c, k = nck
    assert pass_at_k(n, c, k) == pytest.approx(1 - pass_hat_k(n, n - c, k))
    assert pass_hat_k(n, c, k) <= pass_at_k(n, c, k) + 1e-12
