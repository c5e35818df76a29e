"""The code examples of the user guide run, and print what the pages say they print.

Every ``>>>`` example of ``docs/guide/*.rst``, ``docs/install.rst`` and ``docs/cli.rst`` is
run by doctest's parser and runner (as :func:`doctest.testfile` would), one test per page,
with ``ELLIPSIS`` and ``NORMALIZE_WHITESPACE``; a page fails if any of its outputs is
wrong. The pages use small data so the whole file runs in well under 30 s.

Optional frameworks: an example marked ``# doctest: +REQUIRES_TORCH`` (or
``+REQUIRES_KERAS``) is skipped, alone, when that framework is not installed; the rest of
its page still runs. Keras runs on its torch backend (``KERAS_BACKEND=torch``), as the
project's tests do. Spark's examples are ``.. code-block:: python`` on the page, not
doctests: starting a JVM for a local Spark session takes longer than this whole file
should (``tests/test_spark.py`` covers the same calls).
"""

from __future__ import annotations

import doctest
import importlib.util
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
_spec = importlib.util.spec_from_file_location("_cli_help", DOCS / "_cli_help.py")
assert _spec is not None and _spec.loader is not None
cli_help = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cli_help)
PAGES = [*sorted((DOCS / "guide").glob("*.rst")), DOCS / "install.rst", DOCS / "cli.rst"]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

#: option flag -> the module an example with it needs
REQUIRES = {
    doctest.register_optionflag("REQUIRES_TORCH"): "torch",
    doctest.register_optionflag("REQUIRES_KERAS"): "keras",
}


class _OptionalRunner(doctest.DocTestRunner):
    """Skips the examples whose framework is missing (as ``+SKIP`` would)."""

    def run(self, test, *args, **kwargs):  # type: ignore[no-untyped-def]
        for example in test.examples:
            for flag, module in REQUIRES.items():
                if example.options.get(flag) and importlib.util.find_spec(module) is None:
                    example.options[doctest.SKIP] = True
        return super().run(test, *args, **kwargs)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_page_examples(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    # the pages show what a user sees from a pipe or a file, as the cli page's help texts do
    monkeypatch.setenv("COLUMNS", str(cli_help.WIDTH))
    for name in cli_help.TERMINAL_FORCED:
        monkeypatch.delenv(name, raising=False)
    text = page.read_text(encoding="utf-8")
    parser = doctest.DocTestParser()
    test = parser.get_doctest(text, {"__name__": "__main__"}, page.name, str(page), 0)
    if not test.examples:
        pytest.skip(f"{page.name} has no examples")
    runner = _OptionalRunner(optionflags=FLAGS)
    try:
        runner.run(test)
    finally:
        test.globs.clear()
    result = runner.summarize(verbose=False)
    assert result.failed == 0, (
        f"{result.failed} of {result.attempted} examples in {page.name} failed"
    )
