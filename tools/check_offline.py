"""Check that a built HTML site loads nothing from the network.

Every page, stylesheet and script of the site is read: a ``<script src>``, a
``<link href>`` (stylesheets, fonts, preloads, icons), an ``<img>``/``<source>``/
``<iframe>``/``<embed>`` source, and a CSS ``url(...)`` or ``@import`` must point inside the
site. Links a reader clicks (``<a href>``) may point anywhere. Prints one line per
offending reference and exits 1 if there is any; else prints what it read.

Usage: python tools/check_offline.py docs/_build/html
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""", re.IGNORECASE)
# Script text that fetches from elsewhere at run time (a CDN loader, a font service).
SCRIPT_FETCH = re.compile(
    r"""["'](https?:)?//(cdn|fonts|unpkg|ajax|www\.googletagmanager)[^"']*["']"""
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
}


class _Loads(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and (values.get("rel") or "") in {"canonical", "alternate"}:
            return
        for attr in LOADED.get(tag, ()):
            value = values.get(attr)
            if value and any(REMOTE.match(part) for part in value.split(",")):
                self.found.append(f"<{tag} {attr}={value!r}>")
        if values.get("style"):
            self.found += [
                f"style url {u!r}"
                for u in CSS_URL.findall(values["style"] or "")
                if REMOTE.match(u)
            ]


def offending(site: Path) -> list[str]:
    """Every reference in ``site`` that would be fetched from the network."""
    problems: list[str] = []
    for path in sorted(site.rglob("*")):
        if path.suffix not in {".html", ".css", ".js"} or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        where = path.relative_to(site)
        if path.suffix == ".html":
            parser = _Loads()
            parser.feed(text)
            problems += [f"{where}: {item}" for item in parser.found]
            for style in re.findall(r"<style[^>]*>(.*?)</style>", text, re.DOTALL):
                problems += [
                    f"{where}: css {u!r}" for u in CSS_URL.findall(style) if REMOTE.match(u)
                ]
        elif path.suffix == ".css":
            problems += [f"{where}: css {u!r}" for u in CSS_URL.findall(text) if REMOTE.match(u)]
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
