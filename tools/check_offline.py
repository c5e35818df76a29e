"""Check that a built HTML site loads nothing from the network.

Every page, stylesheet, script and SVG of the site is read: a ``<script src>``, a
``<link href>`` (stylesheets, fonts, preloads, icons), the source of an ``<img>``,
``<source>``, ``<iframe>`` (and its ``srcdoc``), ``<embed>``, ``<object>``, ``<track>`` or
SVG ``<image>``, a meta refresh, and a CSS ``url(...)`` or ``@import`` must point inside the
site; a script, inline or in a file, must not fetch or import an absolute URL. Links a
reader clicks (``<a href>``) may point anywhere. Prints one line per
offending reference and exits 1 if there is any; else prints what it read.

Usage: python tools/check_offline.py docs/_build/html
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

REMOTE = re.compile(r"^\s*(?:(?:[a-z][a-z0-9+.-]*:)?//|(?:https?|wss?|ftp):)", re.IGNORECASE)
CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""", re.IGNORECASE)
URL = r"""["'`](?:(?:https?|wss?):)?//[^"'`]+["'`]"""
# Script text that fetches from elsewhere at run time: a call or import of an absolute URL,
# or a string naming a CDN or a font service (a loader that builds its calls from it).
SCRIPT_FETCH = re.compile(
    r"(?:\b(?:fetch|import|importScripts|WebSocket|EventSource|sendBeacon|open)\s*\(\s*"
    + URL
    + r"|\bimport\b[^;\n]*?\bfrom\s*"
    + URL
    + r"|\bimport\s*"
    + URL
    + r"""|["'](?:https?:)?//(?:cdn|fonts|unpkg|ajax|esm\.sh|www\.googletagmanager)[^"']*["'])"""
)
# MathJax's accessibility extensions (speech, the expression explorer) load these only when
# a reader turns them on from MathJax's context menu; docs/conf.py turns that menu off
# (mathjax3_config: enableMenu False), so no page can ask for them.
MATHJAX_MENU_ONLY = ("speech-rule-engine", "sre-mathmaps-ie", "wicked-good-xpath")
LOADED = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "iframe": ("src",),
    "embed": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "object": ("data",),
    "image": ("href", "xlink:href"),
    "input": ("src",),
    "use": ("href", "xlink:href"),
}


class _Loads(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self._in_script = tag == "script"
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            target = (values.get("content") or "").partition("url=")[2]
            if REMOTE.match(target):
                self.found.append(f"<meta refresh to {target!r}>")
        if tag == "iframe" and values.get("srcdoc"):
            inner = _Loads()
            inner.feed(values["srcdoc"] or "")
            self.found += [f"<iframe srcdoc> {item}" for item in inner.found]
        if tag == "link" and (values.get("rel") or "") in {"canonical", "alternate"}:
            return
        for attr in LOADED.get(tag, ()):
            value = values.get(attr)
            if value and any(REMOTE.match(part) for part in value.split(",")):
                self.found.append(f"<{tag} {attr}={value!r}>")
        self.found += [f"style url {u!r}" for u in _remote_css(values.get("style") or "")]


def _remote_css(text: str) -> list[str]:
    """The ``url(...)`` and ``@import`` targets in CSS text that lie outside the site."""
    return [u for u in CSS_URL.findall(text) if REMOTE.match(u)]


def offending(site: Path) -> list[str]:
    """Every reference in ``site`` that would be fetched from the network."""
    problems: list[str] = []
    for path in sorted(site.rglob("*")):
        if path.suffix not in {".html", ".css", ".js", ".mjs", ".svg"} or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        where = path.relative_to(site)
        if path.suffix in {".html", ".svg"}:
            parser = _Loads()
            parser.feed(text)
            problems += [f"{where}: {item}" for item in parser.found]
            problems += [
                f"{where}: inline script fetches {m.group(0)}"
                for script in parser.scripts
                for m in SCRIPT_FETCH.finditer(script)
            ]
            for style in re.findall(r"<style[^>]*>(.*?)</style>", text, re.DOTALL):
                problems += [f"{where}: css {u!r}" for u in _remote_css(style)]
        elif path.suffix == ".css":
            problems += [f"{where}: css {u!r}" for u in _remote_css(text)]
        else:
            problems += [
                f"{where}: script fetches {m.group(0)}"
                for m in SCRIPT_FETCH.finditer(text)
                if not any(name in m.group(0) for name in MATHJAX_MENU_ONLY)
            ]
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not Path(argv[1]).is_dir():
        print("usage: python tools/check_offline.py SITE_DIR (a built HTML site)", file=sys.stderr)
        return 2
    site = Path(argv[1])
    conf = Path(__file__).resolve().parent.parent / "docs" / "conf.py"
    if '"enableMenu": False' not in conf.read_text(encoding="utf-8"):
        print("docs/conf.py must turn MathJax's menu off (it loads speech from a CDN)")
        return 1
    problems = offending(site)
    for line in problems:
        print(f"network load: {line}")
    if problems:
        print(f"{len(problems)} reference(s) would load from the network; serve them locally")
        return 1
    pages = sum(1 for _ in site.rglob("*.html"))
    print(f"offline check: {pages} pages, nothing loaded from the network")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
