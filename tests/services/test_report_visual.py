"""Visual regression of the HTML report: seed 000's report screenshotted by headless Chromium
(Debian ``chromium``, installed by .ci/run) and compared with a committed, downscaled reference.

Regenerate with EVISYNTH_UPDATE_REFERENCES=1 (see tests/plotting/test_visual.py).
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from evisynth.services import review as review_services
from tests.plotting.test_visual import assert_matches_reference

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FC_LIST = shutil.which("fc-list")
WIDTH, HEIGHT, SCALE = 1000, 4000, 4


def _system_font(family: str) -> bool:
    """Whether fontconfig, which Chromium asks for the page's fonts, knows ``family``."""
    return FC_LIST is not None and family in subprocess.run(
        [FC_LIST, ":", "family"], capture_output=True, text=True, check=False).stdout


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (apt-get install chromium; "
                                              ".ci/run installs it)")
@pytest.mark.skipif(not _system_font("Noto Sans CJK SC"),
                    reason="Chromium drew the reference's page text with Noto Sans CJK SC (the figures "
                           "use the font shipped with evisynth): apt-get install fonts-noto-cjk")
def test_seed_000_report_looks_as_before(tmp_path: Path) -> None:
    out = review_services.demo(tmp_path / "vitk2")
    assert out.html is not None
    shot = tmp_path / "report.png"
    assert CHROMIUM is not None
    subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--hide-scrollbars",
                    "--force-device-scale-factor=1", f"--window-size={WIDTH},{HEIGHT}",
                    f"--screenshot={shot}", out.html.as_uri()],
                   check=True, capture_output=True, timeout=120)
    image = Image.open(shot).convert("RGB")
    assert image.size == (WIDTH, HEIGHT)
    small = image.resize((WIDTH // SCALE, HEIGHT // SCALE), Image.Resampling.BOX)
    buffer = io.BytesIO()
    small.save(buffer, format="PNG", optimize=True)
    assert_matches_reference("report-seed000-zh", buffer.getvalue(), tmp_path, mean_tolerance=1.5,
                             share_tolerance=0.01)
