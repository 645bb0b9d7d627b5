"""The load generator of bench/web_load.py, run as its own process.

    .venv/bin/python bench/web_load_driver.py PLAN.json

PLAN.json (written by web_load.py) holds the base URL, one signed-in session cookie
per simulated user with the companies that user may open and the mailbox to check
from, search terms, the duration and think times. Each user is a thread with its own
HTTP connection that loops: think, then one page chosen by weight (inbox, sometimes
the next inbox page; a search; a customer page; a pre-send check of a draft). Every
response must be 200 and the right page; anything else counts as an error.

Prints one JSON object: per page the request count, p50/p95/p99 in milliseconds, and
the errors (with the first few reasons); the slowest searches with their user and words.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import requests

PAGES = (("inbox", 35), ("search", 25), ("customer", 25), ("compose_check", 15))
_NEXT = re.compile(r'rel="next" href="\?cursor=([^"]+)"')


class User(threading.Thread):
    def __init__(self, plan: dict, spec: dict, seed: int, results: dict, lock) -> None:
        super().__init__(daemon=True)
        self.plan, self.spec, self.results, self.lock = plan, spec, results, lock
        self.random = random.Random(seed)
        self.http = requests.Session()
        self.http.cookies.set("sessionid", spec["session"], domain="127.0.0.1", path="/")
        self.cursor: str | None = None

    def _record(self, page: str, started: float, problem: str | None, what: str = "") -> None:
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            if time.monotonic() >= self.plan["_measure_from"]:
                self.results["latency"][page].append(elapsed)
                if what:
                    self.results["samples"][page].append((elapsed, self.spec["user"], what))
                if problem:
                    self.results["errors"][page].append(problem)

    def _get(
        self, page: str, path: str, params: dict | None = None, expect: str = "", what: str = ""
    ) -> str:
        started = time.perf_counter()
        problem = None
        text = ""
        try:
            response = self.http.get(self.plan["base"] + path, params=params, timeout=30)
            text = response.text
            if response.status_code != 200:
                problem = f"{path}: HTTP {response.status_code}"
            elif expect and expect not in text:
                problem = f"{path}: page without {expect!r}"
        except requests.RequestException as exc:
            problem = f"{path}: {type(exc).__name__}"
        self._record(page, started, problem, what)
        return text

    def inbox(self) -> None:
        params = {"cursor": self.cursor} if self.cursor and self.random.random() < 0.3 else None
        text = self._get("inbox", "/", params, expect="message-list")
        found = _NEXT.search(text)
        self.cursor = found.group(1) if found else None

    def search(self) -> None:
        term = self.random.choice(self.plan["terms"])
        self._get("search", "/search", {"q": term}, expect="search", what=term)

    def customer(self) -> None:
        company = self.random.choice(self.spec["companies"])
        self._get("customer", f"/customers/{company}/", expect="company-name")

    def compose_check(self) -> None:
        token = self.http.cookies.get("csrftoken")
        if not token:
            self.http.get(self.plan["base"] + "/mailbox/compose/", timeout=30)
            token = self.http.cookies.get("csrftoken", "")
        words = self.random.sample(self.plan["terms"], k=min(5, len(self.plan["terms"])))
        draft = {
            "account": self.spec["account"],
            "to": "buyer@example.com",
            "subject": "Quotation " + " ".join(words[:2]),
            "body": "Dear Ana,\n\nThank you for your inquiry about "
            + ", ".join(words)
            + ". Please find our best price attached.\n\nBest regards,\nLi Wei",
        }
        started = time.perf_counter()
        problem = None
        try:
            response = self.http.post(
                self.plan["base"] + "/writing/compose/check/",
                data=draft,
                headers={"X-CSRFToken": token, "Referer": self.plan["base"] + "/mailbox/compose/"},
                timeout=30,
            )
            if response.status_code != 200:
                problem = f"compose check: HTTP {response.status_code}"
        except requests.RequestException as exc:
            problem = f"compose check: {type(exc).__name__}"
        self._record("compose_check", started, problem)

    def run(self) -> None:
        names, weights = zip(*PAGES, strict=True)
        deadline = self.plan["_stop_at"]
        # Users arrive over the first seconds, not all in the same millisecond.
        time.sleep(self.random.uniform(0, self.plan["think_max"]))
        while time.monotonic() < deadline:
            getattr(self, self.random.choices(names, weights)[0])()
            time.sleep(self.random.uniform(self.plan["think_min"], self.plan["think_max"]))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main(plan_path: str) -> int:
    plan = json.loads(Path(plan_path).read_text())
    now = time.monotonic()
    plan["_measure_from"] = now + plan["warmup"]
    plan["_stop_at"] = now + plan["warmup"] + plan["duration"]
    results = {
        "latency": defaultdict(list),
        "errors": defaultdict(list),
        "samples": defaultdict(list),
    }
    lock = threading.Lock()
    users = [
        User(plan, spec, seed=index, results=results, lock=lock)
        for index, spec in enumerate(plan["users"])
    ]
    for user in users:
        user.start()
    for user in users:
        user.join(timeout=plan["warmup"] + plan["duration"] + 60)
    pages = {}
    for name, _weight in PAGES:
        values = results["latency"][name]
        errors = results["errors"][name]
        pages[name] = {
            "requests": len(values),
            "p50_ms": round(percentile(values, 0.50), 1),
            "p95_ms": round(percentile(values, 0.95), 1),
            "p99_ms": round(percentile(values, 0.99), 1),
            "mean_ms": round(statistics.fmean(values), 1) if values else 0.0,
            "errors": len(errors),
            "error_samples": sorted(set(errors))[:5],
        }
    total = sum(p["requests"] for p in pages.values())
    print(
        json.dumps(
            {
                "users": len(users),
                "seconds": plan["duration"],
                "requests": total,
                "requests_per_s": round(total / plan["duration"], 1),
                "errors": sum(p["errors"] for p in pages.values()),
                "pages": pages,
                # Which searches were slowest (user, words): where the time goes.
                "search_slowest": [
                    [round(ms), user, what]
                    for ms, user, what in sorted(results["samples"]["search"], reverse=True)[:8]
                ],
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
