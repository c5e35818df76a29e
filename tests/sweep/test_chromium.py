"""The report in a real browser: headless Chromium shows every plot."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from upweight._sweep._plots import PLOTS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# Appended to a copy of the report: after load, write what each image looks like.
PROBE = """
<script>
window.addEventListener("load", () => {
  const seen = [...document.images].map((img) => {
    const box = img.getBoundingClientRect();
    return {complete: img.complete, natural: img.naturalWidth, width: box.width,
            height: box.height, alt: img.alt};
  });
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify(seen);
  document.body.appendChild(out);
});
</script>
"""

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,2000",
]


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)",
)
def test_chromium_shows_every_plot(swept, tmp_path):
    _, outdir = swept
    page = tmp_path / "probe.html"
    html = (outdir / "report.html").read_text(encoding="utf-8")
    page.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    profile = tmp_path / "chromium-profile"
    dom = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, "the page did not finish loading in chromium"
    images = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    drawn = list((outdir / "plots").glob("*.png"))
    assert len(images) == len(drawn) == len(PLOTS) - 1  # all but the per-class one (2 classes)
    for img in images:
        assert img["complete"] and img["natural"] > 0, f"plot not decoded: {img['alt']}"
        assert img["width"] > 300 and img["height"] > 150, f"plot not visible: {img}"


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_chromium_screenshot_is_not_blank(swept, tmp_path):
    from PIL import Image

    _, outdir = swept
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            f"--screenshot={shot}",
            (outdir / "report.html").as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    image = Image.open(shot).convert("L")
    histogram = image.histogram()
    white = histogram[255] / sum(histogram)
    assert white < 0.97  # text, tables and plots drawn, not an empty page
