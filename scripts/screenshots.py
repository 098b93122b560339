"""Screenshots of the sample site as readers see it: phone (360x740) and desktop (1280x900).

    python scripts/screenshots.py [--out screenshots/] [--site .]

Publishes the site (the bundled sample by default) with the html channel into a
temporary folder, then has headless Chromium photograph the home page, a section, an
English and a Chinese article at both sizes. Needs the Debian package chromium.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

from syndicate.cli import cli

REPO = Path(__file__).resolve().parent.parent
SIZES = {"phone": (360, 740), "desktop": (1280, 900)}
PAGES = {
    "home": "index.html",
    "section": "finance/index.html",
    "article-en": "finance/financial-focus/sora-film-industry/index.html",
    "article-zh": "cross-strait/exchanges/liangan-qingnian-chuangye/index.html",
}
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)


def publish(site: Path, out: Path) -> None:
    config = site / "syndicate.yaml"
    args = ["--config", str(config), "-q", "publish", "--channels", "html", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    if result.exit_code != 0:
        raise SystemExit(f"publish failed:\n{result.output}")


def shoot(chromium: str, page: Path, target: Path, size: tuple[int, int], profile: Path) -> None:
    command = [
        chromium,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        f"--window-size={size[0]},{size[1]}",
        f"--screenshot={target}",
        page.as_uri(),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    if not target.is_file():
        raise SystemExit(f"chromium wrote no screenshot for {page}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "screenshots")
    parser.add_argument("--site", type=Path, default=REPO, help="folder with syndicate.yaml")
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium is not installed (Debian package chromium)", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="syndicate-shots-") as temp:
        public, profile = Path(temp) / "public", Path(temp) / "profile"
        publish(args.site.resolve(), public)
        for name, rel in PAGES.items():
            for label, size in SIZES.items():
                target = args.out / f"{name}-{label}-{size[0]}x{size[1]}.png"
                shoot(chromium, public / rel, target.resolve(), size, profile)
                print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
