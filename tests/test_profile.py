"""Profile: counts, severity, and the exact batch view."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import hypergeom

import upweight
from upweight import LabelError, PlanError
from upweight._profile import hypergeom_cdf_below


def test_course_example_no_minority_in_a_batch_of_20():
    # 200 majority + 2 minority examples, batches of 20: P(no minority) = C(200,20)/C(202,20)
    view = upweight.profile({0: 200, 1: 2}, batch_size=20).batch
    assert view.p_none == pytest.approx((182 * 181) / (202 * 201))
    assert round(view.p_none, 3) == 0.811


def test_course_example_batch_of_100_holds_about_one_minority_example():
    view = upweight.profile({0: 200, 1: 2}, batch_size=100).batch
    assert view.expected == pytest.approx(0.99, abs=0.01)


def test_counts_shares_roles():
    y = np.array(["legit"] * 95 + ["fraud"] * 4 + ["chargeback"] * 1)
    prof = upweight.profile(y)
    assert prof.classes == ("chargeback", "fraud", "legit")
    assert prof.count_map == {"chargeback": 1, "fraud": 4, "legit": 95}
    assert prof.majority == "legit"
    assert prof.minority == ("chargeback", "fraud")
    assert prof.rarest == "chargeback"
    assert prof.minority_share == pytest.approx(0.05)
    assert prof.imbalance_ratio == 95.0
    assert sum(prof.shares.values()) == pytest.approx(1.0)
    assert prof.batch is None


@pytest.mark.parametrize(
    ("minority", "severity"),
    [
        (50, "balanced"),
        (40, "balanced"),
        (39, "mild"),
        (20, "mild"),
        (19, "moderate"),
        (1, "moderate"),
        (0.99, "extreme"),
        (0.01, "extreme"),
    ],
)
def test_severity_thresholds_follow_the_course(minority, severity):
    scale = 10_000
    counts = {0: round((100 - minority) * scale), 1: round(minority * scale)}
    assert upweight.profile(counts).severity == severity


def test_severity_of_balanced_multiclass_is_balanced():
    assert upweight.profile({0: 100, 1: 100, 2: 100}).severity == "balanced"


@given(
    population=st.one_of(st.integers(2, 5_000), st.integers(5_000, 2_000_000)),
    data=st.data(),
)
def test_hypergeometric_probabilities_match_scipy(population, data):
    successes = data.draw(st.integers(1, population - 1))
    draws = data.draw(st.integers(1, min(population, 20_000)))
    m = data.draw(st.integers(0, draws + 1))
    ours = hypergeom_cdf_below(m, population, successes, draws)
    reference = hypergeom.cdf(m - 1, population, successes, draws) if m > 0 else 0.0
    assert ours == pytest.approx(reference, rel=1e-8, abs=1e-12)


def test_large_batches_do_not_underflow():
    # the first term of the support is ~1e-400 here; every probability must survive it
    view = upweight.profile({0: 80_000, 1: 20_000}, batch_size=4096).batch
    assert view.p_fewer_than(800) == pytest.approx(hypergeom.cdf(799, 100_000, 20_000, 4096))
    k = upweight.profile({0: 90_000, 1: 10_000}).recommend_factor(10_000, min_minority=1_000)
    assert k == 2


def test_batch_view_fewer_than():
    view = upweight.profile({0: 990, 1: 10}, batch_size=50).batch
    assert view.p_fewer_than(0) == 0.0
    assert view.p_fewer_than(1) == view.p_none
    assert view.p_fewer_than(3) == pytest.approx(hypergeom.cdf(2, 1000, 10, 50))
    assert view.p_fewer_than(11) == 1.0


def test_batch_larger_than_the_data_takes_everything():
    view = upweight.profile({0: 10, 1: 2}, batch_size=100).batch
    assert view.draws == 12
    assert view.p_none == 0.0


@pytest.mark.parametrize(
    ("counts", "batch", "m", "conf"),
    [
        ({0: 99_000, 1: 1_000}, 20, 1, 0.95),
        ({0: 99_000, 1: 1_000}, 20, 2, 0.99),
        ({0: 200, 1: 2}, 20, 1, 0.95),
        ({0: 999_900, 1: 100}, 64, 1, 0.9),
        ({"a": 5_000, "b": 300, "c": 40}, 32, 1, 0.95),
    ],
)
def test_recommended_factor_is_the_smallest_that_works(counts, batch, m, conf):
    prof = upweight.profile(counts)
    k = prof.recommend_factor(batch, min_minority=m, confidence=conf)
    n_major = counts[prof.majority]
    rest = prof.n_rows - n_major
    n_class = counts[prof.rarest]

    def p_enough(factor: int) -> float:
        population = rest + int(np.floor(n_major / factor + 0.5))
        return hypergeom.sf(m - 1, population, n_class, min(batch, population))

    assert p_enough(k) >= conf - 1e-9
    if k > 1:
        assert p_enough(k - 1) < conf


def test_recommend_factor_is_one_when_already_enough():
    assert upweight.profile({0: 60, 1: 40}).recommend_factor(20) == 1


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"batch_size": 5, "min_minority": 6}, "cannot hold"),
        ({"batch_size": 20, "min_minority": 3}, "only 2 rows"),
        ({"batch_size": 20, "confidence": 1.0}, "confidence"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 20, "label": 0}, "majority"),
        ({"batch_size": 20, "label": 7}, "not in the labels"),
    ],
)
def test_recommend_factor_rejects_what_cannot_be_met(kwargs, needle):
    batch = kwargs.pop("batch_size")
    with pytest.raises(PlanError, match=needle):
        upweight.profile({0: 200, 1: 2}).recommend_factor(batch, **kwargs)


def test_to_dict_is_json():
    prof = upweight.profile({0: 990, 1: 10}, batch_size=20)
    data = json.loads(json.dumps(prof.to_dict()))
    assert data["severity"] == "moderate"
    assert data["classes"][1] == {"label": 1, "count": 10, "share": 0.01}
    assert data["batch"]["p_none"] == pytest.approx(prof.batch.p_none)


@pytest.mark.parametrize(
    ("y", "error"),
    [
        ([1, 1, 1], LabelError),
        ({0: 5}, LabelError),
        ({0: 5, 1: 0}, LabelError),
        ({0: 5, 1: 2.5}, LabelError),
    ],
)
def test_bad_labels(y, error):
    with pytest.raises(error):
        upweight.profile(y)


@pytest.mark.parametrize("batch_size", [0, -3, 2.5, "20", True])
def test_bad_batch_size(batch_size):
    with pytest.raises(PlanError, match="batch_size"):
        upweight.profile([0, 1], batch_size=batch_size)


def test_many_classes_are_profiled_in_linear_time():
    import time

    counts = {i: 2 + i % 7 for i in range(200_000)}
    start = time.monotonic()
    prof = upweight.profile(counts)
    _ = prof.imbalance_ratio, prof.severity, prof.minority_share, prof.to_dict()
    assert time.monotonic() - start < 10


# -- notebook display ---------------------------------------------------------------------------
def test_the_repr_is_short_whatever_the_classes():
    prof = upweight.profile({0: 990, 1: 10}, batch_size=20)
    assert repr(prof) == (
        "ImbalanceProfile(rows=1,000, classes={0: 990, 1: 10}, minority_share=1.00%, "
        "severity='moderate', batch_size=20)"
    )
    many = upweight.profile({f"class {'x' * 500} {i}": 10 + i for i in range(5_000)})
    assert len(repr(many)) < 500 and "... 4,994 more" in repr(many)


def test_the_html_is_a_table_with_labels_escaped():
    page = upweight.profile({"<b>x</b>": 90, "y & z": 10}, batch_size=8)._repr_html_()
    assert page.startswith("<table>") and "&lt;b&gt;x&lt;/b&gt; (majority)" in page
    assert "<b>" not in page and "y &amp; z" in page
    many = upweight.profile({i: 10 + i for i in range(5_000)})._repr_html_()
    assert "4,980 more rows" in many and len(many) < 5_000


# -- a profile of kept rows: inverted when the former majority is now the smallest ------------
def test_a_profile_of_kept_rows_says_when_the_balance_is_inverted():
    prof = upweight.profile({"fraud": 100, "legit": 6}, majority_before="legit")
    assert prof.severity == "moderate" and prof.inverted
    assert "inverted: 'legit', the majority before downsampling" in prof.severity_text
    assert "inverted=True" in repr(prof) and "inverted" in prof._repr_html_()
    data = prof.to_dict()
    assert data["majority_before"] == "legit" and data["inverted"] is True


def test_a_profile_of_kept_rows_that_kept_the_majority_is_not_inverted():
    for counts in ({"fraud": 100, "legit": 400}, {"fraud": 100, "legit": 100}):
        prof = upweight.profile(counts, majority_before="legit")
        assert not prof.inverted and prof.severity_text == prof.severity


def test_a_profile_of_data_as_it_is_reads_as_before():
    prof = upweight.profile({0: 6, 1: 100})
    assert prof.majority_before is None and not prof.inverted
    assert prof.severity_text == prof.severity
    assert "majority_before" not in prof.to_dict() and "inverted" not in repr(prof)


def test_majority_before_must_be_a_class():
    with pytest.raises(PlanError, match="majority_before 'other' is not one of the classes"):
        upweight.profile({"fraud": 100, "legit": 6}, majority_before="other")
    assert upweight.profile({0: 100, 1: 6}, majority_before=np.int64(1)).inverted
