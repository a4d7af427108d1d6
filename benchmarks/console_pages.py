"""Time each console page against a running console (`jinqiu demo --serve` prints the URL and a
sign-in): `python -m benchmarks.console_pages --url URL --user staff-341600 --token TOKEN`.
Prints median and worst of each page over N requests. A benchmark, not a test."""

from __future__ import annotations

import argparse
import statistics
import time

import httpx
from rich.console import Console
from rich.table import Table

PAGES = ["/review", "/apply", "/imports", "/funds", "/ledger?account=fund:central:{org}", "/employment",
         "/confirmations", "/notice/{org}", "/self", "/reports/demand.xlsx", "/reports/activity.xlsx",
         "/reports/employment.xlsx"]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--org", default="341600")
    p.add_argument("--requests", type=int, default=20)
    args = p.parse_args()
    with httpx.Client(base_url=args.url, timeout=30, follow_redirects=False) as client:
        signed = client.post("/login", data={"user": args.user, "token": args.token})
        if signed.status_code != 303:
            raise SystemExit(f"sign-in failed: HTTP {signed.status_code}")
        pages = [page.format(org=args.org) for page in PAGES]
        listing = client.get(pages[0]).text + client.get(pages[4]).text  # a case from the queue, else the ledger
        case = listing.split('href="/applications/')[1].split('"')[0] if 'href="/applications/' in listing else None
        pages += [f"/applications/{case}"] if case else []
        table = Table(title=f"console pages, {args.requests} requests each")
        for column in ("page", "status", "median ms", "worst ms", "bytes"):
            table.add_column(column)
        for page in pages:
            times, response = [], None
            for _ in range(args.requests):
                started = time.perf_counter()
                response = client.get(page)
                times.append((time.perf_counter() - started) * 1000)
            table.add_row(page, str(response.status_code), f"{statistics.median(times):.0f}", f"{max(times):.0f}",
                          str(len(response.content)))
    Console().print(table)


if __name__ == "__main__":
    main()
