"""tools/check_offline.py finds every way a built page could load from the network."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parent.parent / "tools" / "check_offline.py"
_spec = importlib.util.spec_from_file_location("check_offline", TOOL)
assert _spec is not None and _spec.loader is not None
check_offline = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_offline)

LOADS = {
    "script src": '<script src="https://cdn.example/x.js"></script>',
    "scheme-relative": '<script src="//cdn.example/x.js"></script>',
    "no slashes": '<script src="https:cdn.example/x.js"></script>',
    "stylesheet": '<link rel="stylesheet" href="https://fonts.example/a.css">',
    "preload": '<link rel="preload" as="font" href="https://fonts.example/a.woff2">',
    "srcset": '<img srcset="local.png 1x, https://img.example/b.png 2x">',
    "inline style": '<div style="background: url(https://img.example/c.png)"></div>',
    "style import": "<style>@import url(https://fonts.example/d.css);</style>",
    "inline fetch": '<script>fetch("https://api.example.com/x")</script>',
    "module import": '<script type="module">import "https://esm.example/m.js";</script>',
    "import from": '<script type="module">import {a} from "https://esm.example/m.js";</script>',
    "object": '<object data="https://x.example/y.svg"></object>',
    "track": '<video><track src="https://x.example/t.vtt"></video>',
    "meta refresh": '<meta http-equiv="refresh" content="0; url=https://x.example/">',
    "srcdoc": '<iframe srcdoc="<script src=&quot;https://x.example/s.js&quot;></script>"></iframe>',
    "websocket": '<script>new WebSocket("wss://x.example/socket")</script>',
}


def _site(tmp_path: Path, body: str, name: str = "page.html") -> Path:
    site = tmp_path / "site"
    site.mkdir()
    (site / name).write_text(f"<html><head></head><body>{body}</body></html>", "utf-8")
    return site


@pytest.mark.parametrize("body", LOADS.values(), ids=LOADS.keys())
def test_a_load_from_the_network_is_found(tmp_path, body):
    assert check_offline.offending(_site(tmp_path, body)), body


def test_files_that_load_are_read_too(tmp_path):
    site = _site(tmp_path, '<script src="local.mjs"></script>')
    (site / "local.mjs").write_text('const m = await import("https://esm.example/x.js");')
    (site / "style.css").write_text('@font-face { src: url("https://fonts.example/f.woff2"); }')
    (site / "logo.svg").write_text('<svg><image href="https://img.example/i.png"/></svg>')
    assert len(check_offline.offending(site)) == 3


def test_links_a_reader_follows_and_local_files_are_fine(tmp_path):
    body = (
        '<a href="https://github.com/upweight/upweight">source</a>'
        '<script src="_static/local.js"></script><img src="_images/plot.png">'
        '<link rel="canonical" href="https://example.org/page.html">'
        "<script>const home = 'https://example.org'; document.title = home;</script>"
    )
    assert check_offline.offending(_site(tmp_path, body)) == []
