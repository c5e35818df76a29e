"""A sweep in a notebook: a short repr, and compact HTML with the user's text escaped."""

from __future__ import annotations

import dataclasses

import upweight


def test_the_repr_of_a_result_is_one_short_line(swept):
    result, outdir = swept
    text = repr(result)
    assert len(text) < 500 and "\n" not in text
    assert text.startswith("SweepResult(model='logreg', configurations=9, rows=9, best=")
    assert "outdir='" in text  # (the report's tests save it elsewhere too)
    deep = dataclasses.replace(result, outdir=outdir / ("d" * 300) / "results")
    assert repr(deep).endswith("ddd/results')") and len(repr(deep)) < 500
    long = dataclasses.replace(result, settings={**result.settings, "model": "m" * 10_000})
    assert len(repr(long)) < 500


def test_the_repr_of_the_recommendation_and_its_choices(swept):
    rec = swept[0].recommendation
    assert repr(rec) == (
        f"Recommendation(best={rec.best.name!r}, cheapest={rec.cheapest.name!r}, tolerance=0.01)"
    )
    assert repr(rec.best).startswith(f"Choice({rec.best.name!r}, model='logreg', val_log_loss=")
    assert len(repr(rec.best)) < 200


def test_the_html_is_a_table_per_configuration_with_the_users_text_escaped(swept):
    result, _ = swept
    marked = dataclasses.replace(
        result,
        settings={**result.settings, "minority": "<b>x</b>", "data": "<script>alert(1)</script>"},
    )
    page = marked._repr_html_()
    assert page.startswith("<table>") and page.count("<tr>") == 1 + len(result.summary)
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x" not in page
    assert "&lt;script&gt;" in page and "<script>" not in page
    assert ">best" in page and "cheapest<" in page and "<details>" in page
    assert len(page) < 20_000


def test_the_html_of_the_recommendation(swept):
    rec = swept[0].recommendation
    page = rec._repr_html_()
    assert "<table>" in page and page.count("<li>") == len(rec.lines)
    assert "'" not in page.partition("</table>")[2]  # the words escaped too


def test_dir_of_the_sweep_package_lists_its_names():
    import upweight._sweep as sweep_package

    assert set(sweep_package.__all__) <= set(dir(sweep_package))
    assert upweight.SweepResult is sweep_package.SweepResult
