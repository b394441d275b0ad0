"""Take docs/dashboard.png: the overview of a running dashboard, in headless Chromium.

    listener run --config config/demo.toml      # let the demo reach its third day, then:
    python scripts/screenshot_dashboard.py --url http://127.0.0.1:8000 --user demo --password demo
"""

from __future__ import annotations

import argparse
import shutil

from playwright.sync_api import sync_playwright


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="demo")
    parser.add_argument("--password", default="demo")
    parser.add_argument("--path", default="/?brand=Acme", help="Page to capture, with its filters.")
    parser.add_argument("--output", default="docs/dashboard.png")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=args.chromium, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        page = browser.new_page(base_url=args.url, viewport={"width": 1400, "height": 900})
        page.goto("/login?next=" + args.path.replace("?", "%3F").replace("&", "%26").replace("=", "%3D"))
        page.fill("input[name=username]", args.user)
        page.fill("input[name=password]", args.password)
        page.click("button[type=submit]")
        page.wait_for_selector("body[data-ready=true] #volume-chart .main-svg")
        page.wait_for_timeout(500)  # plotly's transitions
        page.screenshot(path=args.output, full_page=True)
        browser.close()


if __name__ == "__main__":
    main()
