"""SamplingPlan: the math, its forms, and its refusals."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import upweight
from upweight import LabelError, PlanError, SamplingPlan


def test_course_example_factor_25():
    p = upweight.plan({0: 99_000, 1: 1_000}, factor=25)
    assert p[0].factor == 25 and p[0].keep_rate == 0.04
    assert p.kept == {0: 3_960, 1: 1_000}
    assert p.class_weights == {0: 25.0, 1: 1.0}
    # 99 % / 1 % downsampled by 25 becomes about 80 % / 20 %
    assert p.training_shares[1] == pytest.approx(0.2016, abs=1e-4)
    assert p.weighted_totals == {0: 99_000.0, 1: 1_000.0}


def test_target_share_gives_the_course_factor():
    p = upweight.plan({0: 99_000, 1: 1_000}, target_share=0.2)
    assert p[0].factor == pytest.approx(24.75)
    assert p.training_shares[1] == pytest.approx(0.2, abs=1e-4)


def test_target_share_equal_to_current_share_is_the_identity():
    p = upweight.plan({0: 80, 1: 20}, target_share=0.2)
    assert p.factors == {0: 1.0, 1: 1.0}


def test_factor_one_is_the_identity():
    p = upweight.plan([0, 0, 0, 1], factor=1)
    assert p.kept == p.counts
    assert p.class_weights == {0: 1.0, 1: 1.0}


def test_upweight_differs_from_factor():
    p = upweight.plan({0: 1_000, 1: 10}, factor=10, upweight=5)
    assert p.class_weights == {0: 5.0, 1: 1.0}


def test_a_single_upweight_applies_only_to_downsampled_classes():
    p = upweight.plan({0: 900, 1: 90, 2: 10}, factor={0: 10, 1: 1}, upweight=5)
    assert p.class_weights == {0: 5.0, 1: 1.0, 2: 1.0}
    # a single factor targets the majority, even at factor 1
    assert upweight.plan({0: 900, 1: 10}, factor=1, upweight=3).class_weights[0] == 3.0


def test_factor_equal_to_the_class_size_keeps_one_row():
    assert upweight.plan({0: 10, 1: 3}, factor=10).kept[0] == 1


def test_hand_made_plans_must_be_consistent():
    from upweight import ClassPlan

    good = upweight.plan({0: 100, 1: 10}, factor=10, weights="exact")
    assert SamplingPlan(good.classes, weight_mode="exact") == good
    bad_kept = (ClassPlan(0, 100, 25.0, 100, 25.0), ClassPlan(1, 10, 1.0, 10, 1.0))
    with pytest.raises(PlanError, match="does not match count / factor"):
        SamplingPlan(bad_kept)
    bad_weight = (ClassPlan(0, 100, 10.0, 10, 3.0), ClassPlan(1, 10, 1.0, 10, 1.0))
    with pytest.raises(PlanError, match="weight mode 'exact'"):
        SamplingPlan(bad_weight, weight_mode="exact")
    with pytest.raises(PlanError, match="weight mode 'none'"):
        SamplingPlan(bad_weight, weight_mode="none")


def test_a_class_named_twice_is_refused():
    with pytest.raises(PlanError, match="twice"):
        upweight.plan({"a": 990, "b": 10}, factor={"a": 2, b"a": 3})


def test_nan_class_in_counts_is_refused():
    with pytest.raises(LabelError, match="NaN"):
        upweight.plan({float("nan"): 5, 1: 2}, factor=2)


def test_upweight_per_class():
    p = upweight.plan({"a": 1_000, "b": 500, "c": 10}, factor={"a": 10, "b": 5}, upweight={"a": 8})
    assert p.class_weights == {"a": 8.0, "b": 5.0, "c": 1.0}


def test_weights_exact_restores_totals_exactly():
    p = upweight.plan({0: 1_003, 1: 7}, factor=10, weights="exact")
    assert p.kept[0] == 100
    assert p.class_weights[0] == pytest.approx(10.03)
    assert p.weighted_totals == pytest.approx({0: 1_003.0, 1: 7.0})


def test_weights_none():
    p = upweight.plan({0: 1_000, 1: 10}, factor=10, weights="none")
    assert p.class_weights == {0: 1.0, 1: 1.0}
    assert p.prior_ratios == {0: 10.0, 1: 1.0}


def test_multiclass_factor_dict_and_majority_option():
    counts = {"a": 5_000, "b": 3_000, "c": 50}
    p = upweight.plan(counts, factor={"a": 10, "b": 4})
    assert p.kept == {"a": 500, "b": 750, "c": 50}
    assert p.downsampled == ("a", "b")
    q = upweight.plan(counts, factor=6, majority="b")
    assert q.factors == {"a": 1.0, "b": 6.0, "c": 1.0}


def test_multiclass_target_share_counts_all_minority_classes():
    p = upweight.plan({"a": 9_000, "b": 600, "c": 400}, target_share=0.5)
    assert p.kept["a"] == 1_000


def test_rounding_is_half_up():
    assert upweight.plan({0: 25, 1: 1}, factor=10).kept[0] == 3  # 2.5 -> 3
    assert upweight.plan({0: 35, 1: 1}, factor=10).kept[0] == 4  # 3.5 -> 4


def test_plan_from_labels_and_from_a_profile_agree():
    y = np.array([0] * 900 + [1] * 100)
    assert upweight.plan(y, factor=3) == upweight.plan(upweight.profile(y), factor=3)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"factor": 0.5}, "upsampling"),
        ({"factor": 0}, ">= 1"),
        ({"factor": -3}, ">= 1"),
        ({"factor": "25"}, "must be a number"),
        ({"factor": None}, "give a factor"),
        ({"factor": True}, "must be a number"),
        ({"factor": math.nan}, "finite"),
        ({"factor": math.inf}, "finite"),
        ({"factor": {7: 2}}, "class 7, which is not in the labels"),
        ({"factor": {0: 0.5}}, "factor for class 0"),
        ({"factor": 2, "target_share": 0.2}, "not both"),
        ({"target_share": 0.0}, "strictly between 0 and 1"),
        ({"target_share": 1.0}, "strictly between 0 and 1"),
        ({"target_share": 1.5}, "strictly between 0 and 1"),
        ({"target_share": "0.2"}, "strictly between 0 and 1"),
        ({"target_share": 0.005}, "below the current minority share"),
        ({"factor": 2000}, "larger than the 990 rows of class 0"),
        ({"factor": 991}, "use a factor of at most 990"),
        ({"factor": 2, "upweight": 0}, "positive"),
        ({"factor": 2, "upweight": 3, "weights": "exact"}, "cannot be combined"),
        ({"factor": 2, "upweight": {9: 3}}, "not in the labels"),
        ({"factor": 2, "weights": "double"}, "weights must be one of"),
        ({"factor": 2, "majority": 9}, "majority class 9"),
        ({"factor": {0: 2}, "majority": 0}, "a factor dict names its classes"),
    ],
)
def test_bad_arguments_get_one_clear_line(kwargs, needle):
    with pytest.raises(PlanError, match=needle) as info:
        upweight.plan({0: 990, 1: 10}, **kwargs)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("y", [[1, 1, 1], {0: 10}, [0, np.nan, 1]])
def test_bad_labels(y):
    with pytest.raises(LabelError):
        upweight.plan(y, factor=2)


def test_applied_records_what_was_kept():
    p = upweight.plan({0: 1_000, 1: 10}, factor=10, weights="exact")
    q = p.applied({0: 95, 1: 10}, method="bernoulli", seed=7)
    assert (q.method, q.seed, q.kept[0]) == ("bernoulli", 7, 95)
    assert q.class_weights[0] == pytest.approx(1_000 / 95)
    assert q.weighted_totals[0] == pytest.approx(1_000)
    factor_mode = upweight.plan({0: 1_000, 1: 10}, factor=10).applied(
        {0: 95, 1: 10}, method="bernoulli", seed=7
    )
    assert factor_mode.class_weights[0] == 10.0


def test_applied_refuses_an_emptied_class():
    p = upweight.plan({0: 1_000, 1: 10}, factor=10)
    with pytest.raises(PlanError, match="no row of class 0"):
        p.applied({0: 0, 1: 10}, method="bernoulli", seed=1)


def test_plan_is_frozen():
    p = upweight.plan({0: 10, 1: 2}, factor=2)
    with pytest.raises(AttributeError):
        p.weight_mode = "none"  # type: ignore[misc]


labels = st.one_of(
    st.integers(-1_000, 1_000),
    st.text(min_size=1, max_size=8),
)


@st.composite
def plans(draw):
    kind = draw(st.sampled_from(["int", "str"]))
    label_strategy = st.integers(-50, 50) if kind == "int" else st.text(min_size=1, max_size=6)
    classes = draw(st.lists(label_strategy, min_size=2, max_size=5, unique=True))
    counts = {c: draw(st.integers(1, 100_000)) for c in classes}
    majority = max(counts, key=lambda c: counts[c])
    factor = draw(st.floats(1.0, float(counts[majority]), allow_nan=False))
    weights = draw(st.sampled_from(["factor", "exact", "none"]))
    return upweight.plan(counts, factor=factor, weights=weights)


@given(plans())
def test_json_round_trip(p):
    text = p.to_json()
    assert json.loads(text)["format"] == "upweight.plan/1"
    assert SamplingPlan.from_json(text) == p
    assert SamplingPlan.from_dict(p.to_dict()) == p


@given(plans())
def test_invariants(p):
    for c in p:
        assert 1 <= c.kept <= c.count
        assert c.kept == math.floor(c.count / c.factor + 0.5)
        if not c.downsampled:
            assert c.kept == c.count and c.weight == 1.0
        if p.weight_mode == "exact":
            assert c.kept * c.weight == pytest.approx(c.count)
        if p.weight_mode == "factor":
            assert c.weight == c.factor


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"format": "other"},
        {"format": "upweight.plan/1"},
        {"format": "upweight.plan/1", "weight_mode": "factor", "classes": [{"label": 0}]},
    ],
)
def test_from_dict_rejects_what_is_not_a_plan(data):
    with pytest.raises(PlanError):
        SamplingPlan.from_dict(data)


def test_from_json_rejects_bad_json():
    with pytest.raises(PlanError, match="not valid JSON"):
        SamplingPlan.from_json("{")


_PLAN = upweight.plan({0: 900, 1: 100}, factor=5)
_APPLIED = _PLAN.applied({0: 180, 1: 100}, method="exact", seed=3)


def _edited(plan, edit):
    data = json.loads(plan.to_json())
    edit(data)
    return data


def _set_class(field, value, index=0):
    return lambda data: data["classes"][index].__setitem__(field, value)


def _set(field, value):
    return lambda data: data.__setitem__(field, value)


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (_set_class("count", math.inf), "count must be a positive integer"),  # BA01
        (_set_class("count", -5), "count must be a positive integer"),
        (_set_class("count", True), "count must be a positive integer"),
        (_set_class("count", 900.5), "count must be a positive integer"),
        (_set_class("count", "900"), "count must be a positive integer"),
        (_set_class("count", math.nan), "count must be a positive integer"),
        (_set_class("count", 10**400), "at most 2\\*\\*63 - 1 rows; got a number of about 401"),
        (_set_class("kept", 1_000), "kept must be 0 to 900"),
        (_set_class("kept", -1), "kept must be 0 to 900"),
        (_set_class("kept", 1.5), "kept must be 0 to 900"),
        (_set_class("weight", 0), "weight must be a positive finite number"),
        (_set_class("weight", -1.0), "weight must be a positive finite number"),
        (_set_class("weight", math.inf), "weight must be a positive finite number"),
        (_set_class("weight", "5"), "weight must be a positive finite number"),
        (_set_class("weight", 10**400), "weight must be a positive finite number"),
        (_set_class("factor", 0.5), "factor must be >= 1"),
        (_set_class("factor", math.nan), "factor must be a finite number"),
        (_set_class("factor", 10**400), "factor must be a finite number"),
        (_set_class("factor", True), "factor must be a number"),
        (_set_class("keep_rate", 0.5), "keep_rate 0.5 is not 1 / factor"),
        (_set_class("label", 1.5), "1.5, not a whole number"),  # BA06
        (_set_class("label", math.inf), "inf, not a whole number"),
        (_set_class("label", math.nan), "NaN"),
        (_set_class("label", None), "integers, booleans or strings"),
        (_set_class("label", [0]), "integers, booleans or strings"),
        (_set_class("label", 1), "lists a class twice"),
        (_set_class("label", True), "of one type"),
        (_set_class("label", "a"), "of one type"),
        (_set_class("extra", 1), "unknown field\\(s\\) \\['extra'\\]"),
        (lambda data: data["classes"][0].pop("count"), "no field\\(s\\) \\['count'\\]"),
        (_set("extra", 1), "unknown field\\(s\\) \\['extra'\\]"),
        (lambda data: data.pop("classes"), "no field\\(s\\) \\['classes'\\]"),
        (lambda data: data.pop("weight_mode"), "no field\\(s\\) \\['weight_mode'\\]"),
        (_set("classes", {}), "classes must be a list"),
        (_set("classes", [1, 2]), "class 0 of the sampling plan must be an object"),
        (_set("weight_mode", "some"), "weight_mode must be one of"),
        (_set("method", "all"), "method must be one of"),
        (_set("seed", 3), "both its method and its seed"),
        (_set("format", "upweight.plan/2"), "upgrade upweight"),
        (_set("format", None), "not an upweight sampling plan"),
    ],
)
def test_from_json_checks_every_field(edit, needle):
    text = json.dumps(_edited(_PLAN, edit))
    with pytest.raises(PlanError, match=needle) as info:
        SamplingPlan.from_json(text)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("seed", "needle"),
    [
        (-5, "non-negative integer; got -5"),  # BA05
        (2**70, "below 2\\*\\*64"),
        (3.0, "non-negative integer; got 3.0"),
        (True, "non-negative integer; got True"),
        ("3", "non-negative integer; got '3'"),
        (None, "both its method and its seed"),
    ],
)
def test_from_json_checks_the_seed_as_everywhere(seed, needle):
    text = json.dumps(_edited(_APPLIED, _set("seed", seed)))
    with pytest.raises(PlanError, match=needle):
        SamplingPlan.from_json(text)
    assert SamplingPlan.from_json(_APPLIED.to_json()) == _APPLIED
    with pytest.raises(PlanError, match="seed must be below 2"):
        SamplingPlan(_APPLIED.classes, method="exact", seed=2**64)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (_PLAN.to_json().replace('"count": 900', '"count": Infinity'), "count"),  # BA01
        (_PLAN.to_json().replace('"count": 900', '"count": ' + "9" * 5_000), "too long"),  # BA02
        ("[" * 100_000 + "]" * 100_000, "too deep"),
        (b"\xff\xfe\x00", "not JSON text"),
        ("[]", "expected a JSON object"),
        ("null", "expected a JSON object"),
        (12, "reads JSON text \\(str or bytes\\); got int"),  # BA07b
        (None, "got NoneType"),
        ({}, "use SamplingPlan.from_dict"),
    ],
)
def test_from_json_refuses_what_is_not_plan_text(text, needle):
    with pytest.raises(PlanError, match=needle):
        SamplingPlan.from_json(text)


def test_from_json_reads_what_plans_write():
    for p in (_PLAN, _APPLIED, upweight.plan({"a": 50, "b": 7}, factor=3.7, weights="exact")):
        assert SamplingPlan.from_json(p.to_json()) == p
        assert SamplingPlan.from_json(p.to_json().encode("utf-16")) == p
    data = json.loads(_PLAN.to_json())
    for optional in ("upweight_version", "method", "seed"):
        del data[optional]
    for c in data["classes"]:
        del c["keep_rate"]
    assert SamplingPlan.from_dict(data) == _PLAN


def test_labels_are_whole_numbers_booleans_or_strings():
    with pytest.raises(LabelError, match=r"1\.5, not a whole number"):
        upweight.plan({1: 10, 1.5: 4}, factor=2)
    with pytest.raises(PlanError, match="of one type"):
        upweight.plan({0: 10, True: 4}, factor=2)
    assert upweight.plan({1.0: 10, 2.0: 4}, factor=2).labels == (1, 2)


def test_numbers_too_large_for_a_float_are_refused():
    with pytest.raises(PlanError, match="factor must be a finite number"):
        upweight.plan({0: 10, 1: 2}, factor=10**400)
    with pytest.raises(LabelError, match="at most 2\\*\\*63 - 1 rows"):
        upweight.plan({0: 10**400, 1: 2}, factor=2)


def test_weights_that_overflow_float64_counting_are_refused():
    with pytest.raises(PlanError, match="weights too large"):
        upweight.plan({0: 19_783, 1: 217}, factor=5, upweight=1e308)
    with pytest.raises(PlanError, match="weights too large"):
        upweight.plan({0: 19_783, 1: 217}, factor=5, upweight=1e13)
    assert upweight.plan({0: 19_783, 1: 217}, factor=5, upweight=1e9)[0].weight == 1e9


# -- notebook display ---------------------------------------------------------------------------
def test_the_repr_is_short_and_says_what_each_class_keeps():
    p = upweight.plan({0: 9_900, 1: 100}, factor=25)
    assert repr(p) == (
        "SamplingPlan({0: 9,900 -> 396 x 25, 1: 100 -> 100 x 1}, weight_mode='factor')"
    )
    applied = p.applied({0: 400, 1: 100}, method="bernoulli", seed=7)
    assert repr(applied).endswith("weight_mode='factor', method='bernoulli', seed=7)")
    many = upweight.plan({"x" * 300 + str(i): 1_000 + i for i in range(3_000)}, factor=2)
    assert len(repr(many)) < 500


def test_the_html_is_a_table_with_labels_escaped():
    page = upweight.plan({"<b>x</b>": 9_900, "y": 100}, factor=25)._repr_html_()
    assert "<table>" in page and "&lt;b&gt;x&lt;/b&gt;" in page and "<b>" not in page
    assert "<td>396</td><td>25</td>" in page


# -- factors that go too far ----------------------------------------------------------------
NINE_TO_ONE = {"fraud": 100, "legit": 900}


def test_a_factor_that_keeps_the_majority_at_least_as_large_is_not_too_far():
    for k in (1, 2, 5, 9):
        assert upweight.plan(NINE_TO_ONE, factor=k).over_downsampled is None


def test_a_factor_that_makes_the_majority_the_smaller_class_is_named_with_its_fix():
    problem = upweight.plan(NINE_TO_ONE, factor=150).over_downsampled
    assert problem == (
        "factor 150 keeps 6 rows of 'legit', fewer than the 100 of untouched 'fraud'; "
        "factor <= 9 keeps 'legit' at least as large as 'fraud'"
    )
    assert "\n" not in problem


def test_a_factor_on_the_smallest_class_is_named_with_its_fix():
    problem = upweight.plan(NINE_TO_ONE, factor={"fraud": 5}).over_downsampled
    assert problem == (
        "factor 5 downsamples the smallest class, 'fraud': 20 of its 100 rows kept, against "
        "the 900 of untouched 'legit'; leave 'fraud' out of --factor / factor="
    )


def test_numeric_labels_are_named_as_classes():
    problem = upweight.plan({0: 9_000, 1: 1_000}, factor=20).over_downsampled
    assert problem is not None
    assert problem.startswith("factor 20 keeps 450 rows of class 0, fewer than the 1,000 of")
    assert problem.endswith("factor <= 9 keeps class 0 at least as large as class 1")


def test_multiclass_names_every_class_that_goes_too_far():
    counts = {"a": 5_000, "b": 3_000, "c": 50}
    assert upweight.plan(counts, factor={"a": 100, "b": 60}).over_downsampled is None
    problem = upweight.plan(counts, factor={"a": 200, "b": 100}).over_downsampled
    assert problem is not None
    assert "25 rows of 'a'" in problem and "30 rows of 'b'" in problem
    assert "factor <= 60 keeps 'b'" in problem


def test_downsampling_a_class_below_a_larger_untouched_one_is_too_far():
    problem = upweight.plan({"a": 300, "b": 100, "c": 1_000}, factor={"a": 2}).over_downsampled
    assert problem is not None and "'a' is smaller to begin with" in problem


@given(
    st.integers(2, 100_000),
    st.integers(1, 100_000),
)
def test_the_suggested_factor_keeps_the_class_at_least_as_large(n_major, n_minor):
    if n_major <= n_minor:
        return
    counts = {0: n_major, 1: n_minor}
    k = n_major  # as far as it goes
    problem = upweight.plan(counts, factor=k).over_downsampled
    if round(n_major / k) >= n_minor:
        assert problem is None
        return
    assert problem is not None
    limit = float(problem.rpartition("factor <= ")[2].split()[0])
    assert limit >= 1
    assert upweight.plan(counts, factor=limit).over_downsampled is None


def test_an_applied_plan_gives_the_planned_answer():
    y = np.array([1] * 100 + [0] * 900)
    applied = upweight.select(y, factor=9, method="bernoulli", random_state=3).plan
    assert applied.kept[0] != 100  # a Bernoulli draw: about 100 kept
    assert applied.over_downsampled is None


def test_making_or_reading_a_plan_never_warns():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = upweight.plan(NINE_TO_ONE, factor=150)
        assert SamplingPlan.from_json(p.to_json()) == p
        assert p.over_downsampled is not None


def test_the_kept_profile_says_the_balance_is_inverted():
    prof = upweight.plan({"fraud": 700, "legit": 9_000}, factor=1_500).kept_profile()
    assert prof.counts == (700, 6) and prof.severity == "extreme"
    assert prof.inverted and prof.majority_before == "legit"
    assert prof.severity_text == (
        "extreme (inverted: 'legit', the majority before downsampling, is now the smallest class)"
    )
    sane = upweight.plan({"fraud": 700, "legit": 9_000}, factor=5).kept_profile()
    assert not sane.inverted and sane.severity_text == sane.severity
