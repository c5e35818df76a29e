"""The recommendation's rules: intervals, ties, cost, numbers, never a contradiction."""

from __future__ import annotations

from typing import Any

from upweight._sweep._choice import describe
from upweight._sweep._recommend import change, change_within, fmt, recommend


def _entry(
    factor: float,
    correction: str,
    loss: float,
    *,
    lo: float,
    hi: float,
    seconds: float,
    rows: int | None = None,
    worse_than: str | None = None,
) -> dict[str, Any]:
    upweight = factor if correction == "upweight" else None
    e: dict[str, Any] = {
        "model": "logreg",
        "factor": float(factor),
        "upweight": upweight,
        "correction": correction,
        "name": describe(factor, upweight, correction),
        "rows_trained_mean": rows if rows is not None else 100_000 / factor,
        "fit_seconds_mean": seconds,
        "fit_seconds_min": seconds,
        "val_log_loss_mean": loss,
        "val_log_loss_vs_best": None,
        "val_log_loss_vs_best_lo": lo,
        "val_log_loss_vs_best_hi": hi,
        "clearly_worse_than": worse_than,
        "val_prediction_bias_mean": 0.0,
    }
    for m in ("log_loss", "prediction_bias", "average_precision", "roc_auc"):
        e[f"test_{m}_mean"] = loss if m == "log_loss" else 0.5
    e["test_recall_at_precision_mean"] = 0.5
    return e


def _recommend(summary: list[dict[str, Any]], cost: str = "time") -> Any:
    for e in summary:
        e["val_log_loss_vs_best"] = e["val_log_loss_mean"] - min(
            x["val_log_loss_mean"] for x in summary
        )
    return recommend(
        summary, [], tolerance=0.01, train_rows=100_000, batch_size=32, cost=cost, evidence={}
    )


def test_the_cheapest_shown_within_the_tolerance_is_picked():
    summary = [
        _entry(1, "upweight", 0.200, lo=0, hi=0, seconds=10.0),
        _entry(10, "upweight", 0.2005, lo=-0.0005, hi=0.0015, seconds=1.0),  # within 1 %
        _entry(50, "upweight", 0.2010, lo=-0.001, hi=0.004, seconds=0.2),  # not shown
    ]
    rec = _recommend(summary)
    assert rec.cheapest.factor == 10 and rec.basis == "within tolerance"
    assert "with 95% confidence" in rec.text


def test_when_nothing_is_shown_close_the_cheapest_indistinguishable_that_saves_is_picked():
    summary = [
        _entry(1, "upweight", 0.200, lo=0, hi=0, seconds=10.0),
        _entry(10, "upweight", 0.204, lo=-0.004, hi=0.012, seconds=1.0),
        _entry(50, "upweight", 0.230, lo=0.01, hi=0.05, seconds=0.2),  # clearly worse
    ]
    rec = _recommend(summary)
    assert rec.cheapest.factor == 10 and rec.basis == "indistinguishable"
    assert "cannot tell the configurations apart" in rec.text


def test_a_tie_in_time_is_no_reason_to_give_up_the_best():
    summary = [
        _entry(1, "upweight", 0.200, lo=0, hi=0, seconds=0.010),
        _entry(2, "upweight", 0.204, lo=-0.004, hi=0.012, seconds=0.009),
    ]
    rec = _recommend(summary)
    assert rec.cheapest.factor == 1 and rec.basis == "best"
    # counted in rows, k=2 saves: it is picked
    assert _recommend(summary, cost="rows").cheapest.factor == 2


def test_a_configuration_called_worse_is_never_the_pick():
    summary = [
        _entry(1, "upweight", 0.200, lo=0, hi=0, seconds=10.0),
        _entry(10, "offset", 0.2005, lo=-0.001, hi=0.0015, seconds=1.0),
        _entry(10, "none", 0.2008, lo=-0.001, hi=0.0019, seconds=1.0, worse_than="k=10, offset"),
    ]
    summary[2]["val_prediction_bias_mean"] = 40.0
    rec = _recommend(summary)
    assert rec.cheapest.correction == "offset"
    summary[1]["val_log_loss_mean"] = 0.2015  # now only "none" is within: still not picked
    summary[1]["val_log_loss_vs_best_hi"] = 0.004
    rec = _recommend(summary)
    assert rec.cheapest.correction != "none"
    assert "No correction does clearly worse at k=10" in rec.text


def test_no_correction_is_called_worse_only_where_it_clearly_is():
    summary = [
        _entry(1, "upweight", 0.200, lo=0, hi=0, seconds=10.0),
        _entry(5, "offset", 0.201, lo=-0.002, hi=0.004, seconds=2.0),
        _entry(5, "none", 0.203, lo=-0.002, hi=0.008, seconds=2.0),
    ]
    summary[2]["val_prediction_bias_mean"] = 12.0
    text = _recommend(summary).text
    assert "No correction does clearly worse" not in text and "not clearly worse" in text


def test_slower_downsampled_fits_are_flagged_and_time_decides():
    summary = [
        _entry(1, "upweight", 0.200, lo=0, hi=0, seconds=0.2),
        _entry(10, "upweight", 0.2001, lo=-0.001, hi=0.001, seconds=2.5),
    ]
    rec = _recommend(summary)
    assert rec.cheapest.factor == 1  # fewer rows, but ten times slower to fit
    assert "Slower to fit than all rows" in rec.text and "k=10, upweighted by 10" in rec.text
    assert _recommend(summary, cost="rows").cheapest.factor == 10


def test_numbers_that_make_sense():
    assert fmt(0.000012345) == "1.234e-05" and fmt(0.21224) == "0.2122"
    assert change(0.202, 0.2) == "+1.0%"
    assert change(0.3, 1e-9) == "+0.3"  # a base near zero: the difference, not 3e10 %
    assert change(5.0, 0.01) == "+4.99"  # beyond ten times the base
    assert change_within(0.202, 0.2, (-0.001, 0.005)) == "+1.0% (95% interval -0.5% to +2.5%)"


def test_an_interval_the_base_cannot_carry_is_absolute():
    """A loss of 0.0059 cannot fall by 137 %: the difference is given as it is."""
    assert change_within(0.00275, 0.0059, (-0.008, 0.0004)) == (
        "-0.00315 (95% interval -0.008 to +0.0004)"
    )


def test_a_pick_that_inverts_the_balance_says_so_in_its_own_sentence():
    summary = [
        _entry(1, "upweight", 0.200, lo=0, hi=0, seconds=10.0),
        _entry(60, "upweight", 0.2005, lo=-0.001, hi=0.0015, seconds=0.5),
    ]
    for e in summary:
        e["val_log_loss_vs_best"] = e["val_log_loss_mean"] - 0.2
    rec = recommend(
        summary, [], tolerance=0.01, train_rows=100_000, batch_size=32, evidence={"over": [60.0]}
    )
    assert rec.cheapest.factor == 60
    assert "k=60 downsamples a class below" in rec.lines[1]


def test_a_tie_in_cost_goes_to_the_lower_validation_loss():
    """classif_60k_1800 (benchmarks/_real_sets.py) picked k=25 offset over k=25 upweighted
    for 5 ms of fit time, at +3.9 % on validation against +0.8 %, and +10 % on test."""
    summary = [
        _entry(1, "upweight", 0.0956, lo=0, hi=0, seconds=0.396),
        _entry(25, "upweight", 0.0961, lo=-0.0006, hi=0.0021, seconds=0.023),
        _entry(25, "offset", 0.0991, lo=-0.0001, hi=0.0076, seconds=0.018),
    ]
    rec = _recommend(summary)
    assert (rec.cheapest.factor, rec.cheapest.correction) == (25, "upweight")
