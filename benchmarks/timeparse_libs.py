"""Measure Chinese date/time parsers on the booking test set.

Runs jionlp and Duckling (pyduckling-native-phihos) raw, and ``bot.timeparse`` (the
wrapper the bot uses), on every case of ``tests/bot/timeparse_cases.yml`` at its three
reference times, and prints exact-match accuracy per library and reference time, a
day-level accuracy (is the date right?), and the per-call latency.

    cd /work/main && .venv/bot/bin/python benchmarks/timeparse_libs.py [--failures]

How the raw libraries are scored (the same rule for both):
* a message can hold several mentions; the longest one the library returns is used;
* an exact expectation matches when the mention's start equals it;
* a vague expectation [earliest, latest] matches when the mention's window equals it
  (a day is 00:00 .. 23:59:59; Duckling's exclusive interval end is moved back 1 s
  when it falls on midnight);
* "no time" matches when the library returns nothing.
The wrapper is scored as in tests/bot/test_timeparse.py: its value must be None for
a vague expectation, and its grain must match when the case gives one.

jionlp converts a unix-timestamp ``time_base`` with the machine's local zone (UTC on
these machines), so it gets the naive Shanghai wall-clock time instead.  Duckling gets
the reference as a unix timestamp with the zone "Asia/Shanghai".
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Optional

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_t0 = time.perf_counter()
from bot.timeparse import SHANGHAI, parse_time  # noqa: E402

BOT_IMPORT = time.perf_counter() - _t0
JIONLP = None  # set in main()

CASES_FILE = ROOT / "tests" / "bot" / "timeparse_cases.yml"

# A prediction: (start, end, is_exact) in Shanghai time, or None for "no time found".
Prediction = Optional[tuple[datetime, datetime, bool]]


def load_cases(path: Path = CASES_FILE):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    refs = {k: datetime.fromisoformat(v) for k, v in data["references"].items()}
    cases = []
    for case in data["cases"]:
        for key in refs:
            expected = case["all"] if "all" in case else case[key]
            cases.append((case["text"], key, expected, case.get("grain"), case.get("mention")))
    return refs, cases


def _dt(s: str) -> datetime:
    return datetime.fromisoformat(s).astimezone(SHANGHAI)


# --------------------------------------------------------------------------- scoring

def matches(expected, pred: Prediction) -> bool:
    if expected is None:
        return pred is None
    if pred is None:
        return False
    if isinstance(expected, str):
        return pred[0] == _dt(expected)
    return (pred[0], pred[1]) == (_dt(expected[0]), _dt(expected[1]))


def day_matches(expected, pred: Prediction) -> bool:
    if expected is None or pred is None:
        return expected is None and pred is None
    first = expected if isinstance(expected, str) else expected[0]
    return pred[0].date() == _dt(first).date()


def wrapper_matches(expected, grain, mention) -> bool:
    if expected is None:
        return mention is None
    if mention is None:
        return False
    if grain is not None and mention.grain != grain:
        return False
    if isinstance(expected, str):
        return mention.value == _dt(expected)
    return mention.value is None and (mention.earliest, mention.latest) == (
        _dt(expected[0]), _dt(expected[1]))


# --------------------------------------------------------------------------- jionlp

def make_jionlp() -> Callable[[str, datetime], Prediction]:
    with contextlib.redirect_stdout(io.StringIO()):  # jionlp prints a banner on import
        import jionlp
    extract = jionlp.ner.extract_time

    def parse(text: str, ref: datetime) -> Prediction:
        wall_clock = ref.astimezone(SHANGHAI).replace(tzinfo=None)
        try:
            entities = extract(text, time_base=wall_clock, with_parsing=True)
        except Exception:
            return None
        best = None
        for ent in entities:
            times = (ent.get("detail") or {}).get("time")
            if not isinstance(times, list) or len(times) != 2:
                continue
            try:
                start, end = (datetime.strptime(t, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
                              for t in times)
            except (TypeError, ValueError):  # 'inf' and the like
                continue
            if best is None or len(ent["text"]) > best[0]:
                best = (len(ent["text"]), start, end)
        return None if best is None else (best[1], best[2], False)

    return parse


# --------------------------------------------------------------------------- duckling

def make_jionlp_parse_time() -> Callable[[str, datetime], Prediction]:
    """jionlp.parse_time, the parser behind extract_time, fed the expected span only."""
    with contextlib.redirect_stdout(io.StringIO()):
        import jionlp

    def parse(text: str, ref: datetime) -> Prediction:
        wall_clock = ref.astimezone(SHANGHAI).replace(tzinfo=None)
        try:
            times = jionlp.parse_time(text, time_base=wall_clock)["time"]
            start, end = (datetime.strptime(t, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
                          for t in times)
        except Exception:  # unparsable, or an open end ('inf')
            return None
        return start, end, False

    return parse


def make_duckling() -> Callable[[str, datetime], Prediction]:
    import duckling

    tzdb = duckling.load_time_zones("/usr/share/zoneinfo")
    locale = duckling.default_locale_lang(duckling.parse_lang("ZH"))
    dims = duckling.parse_dimensions(["time"])
    grain_length = {"day": timedelta(days=1), "week": timedelta(weeks=1)}

    def parse(text: str, ref: datetime) -> Prediction:
        ref_time = duckling.parse_ref_time(tzdb, "Asia/Shanghai", int(ref.timestamp()))
        context = duckling.Context(ref_time, locale)
        try:
            results = duckling.parse(text, context, dims, False)
        except Exception:
            return None
        if not results:
            return None
        best = max(results, key=lambda r: r["end"] - r["start"])  # first of the longest
        value = best["value"]
        if value.get("type") == "interval":
            start = value.get("from", {}).get("value")
            end = value.get("to", {}).get("value")
            if start is None or end is None:
                return None
            start, end = _dt(start), _dt(end)
            if end.hour == end.minute == end.second == 0:
                end -= timedelta(seconds=1)
            return start, end, False
        start = _dt(value["value"])
        if value["grain"] in grain_length:
            return start, start + grain_length[value["grain"]] - timedelta(seconds=1), False
        return start, start, True

    return parse


# --------------------------------------------------------------------------- wrapper

def wrapper(text: str, ref: datetime) -> Prediction:
    m = parse_time(text, ref)
    if m is None:
        return None
    return (m.value or m.earliest, m.latest if m.value is None else m.value, m.value is not None)


# --------------------------------------------------------------------------- report

def latency_ms(fn, cases, refs, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        for text, key, *_ in cases:
            t0 = time.perf_counter()
            fn(text, refs[key])
            samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples), sorted(samples)[int(len(samples) * 0.99) - 1]


def kind(expected) -> str:
    return "no time" if expected is None else "exact" if isinstance(expected, str) else "window"


def score(name, fn, cases, refs):
    """One row per case: (reference key, kind, exact match, day match, prediction)."""
    rows = []
    for text, key, expected, grain, mention in cases:
        ref = refs[key]
        if name.endswith("(span)"):  # the library sees the expected time span only
            text = mention or text
        if fn is None:  # the wrapper, scored strictly as in the tests
            mention = parse_time(text, ref)
            ok, pred = wrapper_matches(expected, grain, mention), wrapper(text, ref)
        elif fn == "fallback":  # the wrapper, and jionlp when the wrapper finds nothing
            mention = parse_time(text, ref)
            if mention is not None:
                ok, pred = wrapper_matches(expected, grain, mention), wrapper(text, ref)
            else:
                pred = JIONLP(text, ref)
                ok = matches(expected, pred)
        else:
            pred = fn(text, ref)
            ok = matches(expected, pred)
        rows.append((key, kind(expected), ok, day_matches(expected, pred), text, expected, pred))
    return rows


def pct(rows, index=2) -> str:
    return f"{sum(r[index] for r in rows) / len(rows):.1%}" if rows else "-"


def main() -> None:
    global JIONLP
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--failures", action="store_true", help="list every failing case")
    ap.add_argument("--cases", type=Path, default=CASES_FILE, help="a case file (YAML)")
    args = ap.parse_args()

    refs, cases = load_cases(args.cases)
    t0 = time.perf_counter()
    JIONLP = make_jionlp()
    jionlp_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    duck = make_duckling()
    duckling_import = time.perf_counter() - t0
    systems = {"jionlp (raw)": JIONLP, "duckling (raw)": duck,
               "jionlp.parse_time (span)": make_jionlp_parse_time(), "duckling (span)": duck,
               "bot.timeparse": None, "bot.timeparse+jionlp": "fallback"}
    results = {name: score(name, fn, cases, refs) for name, fn in systems.items()}

    print(f"{len(cases) // len(refs)} phrasings x {len(refs)} reference times = {len(cases)} cases "
          f"({args.cases.relative_to(ROOT) if args.cases.is_relative_to(ROOT) else args.cases})")
    print("references: " + ", ".join(f"{k} = {v:%a %Y-%m-%d %H:%M}" for k, v in refs.items()))
    print()
    print("exact-match accuracy (day ok: the date alone is right)")
    header = f"{'library':<26}" + "".join(f"{k:>9}" for k in refs) + f"{'all':>9}{'day ok':>9}"
    print(header)
    print("-" * len(header))
    for name, rows in results.items():
        print(f"{name:<26}" + "".join(f"{pct([r for r in rows if r[0] == k]):>9}" for k in refs)
              + f"{pct(rows):>9}{pct(rows, 3):>9}")
    print()
    kinds = ["exact", "window", "no time"]
    counts = {k: sum(1 for r in results["bot.timeparse"] if r[1] == k) for k in kinds}
    print("exact-match accuracy by expected kind (all references)")
    header = f"{'library':<26}" + "".join(f"{f'{k} ({counts[k]})':>16}" for k in kinds)
    print(header)
    print("-" * len(header))
    for name, rows in results.items():
        print(f"{name:<26}" + "".join(f"{pct([r for r in rows if r[1] == k]):>16}" for k in kinds))
    print()

    print("latency per call (median / p99 over all cases)")
    for name, fn in [("jionlp (raw)", JIONLP), ("duckling (raw)", duck), ("bot.timeparse", wrapper)]:
        med, p99 = latency_ms(fn, cases, refs, repeat=5 if fn is wrapper else 1)
        print(f"  {name:<20} {med:7.3f} ms / {p99:7.3f} ms")
    print(f"  import time: jionlp {jionlp_import:.2f} s, duckling {duckling_import:.2f} s,"
          f" bot.timeparse {BOT_IMPORT:.3f} s")

    if args.failures:
        for name, rows in results.items():
            bad = [r for r in rows if not r[2]]
            print(f"\nfailures of {name} ({len(bad)}):")
            for key, _, _, _, text, expected, pred in bad:
                got = None if pred is None else (
                    f"{pred[0]:%Y-%m-%d %H:%M}" if pred[2] else
                    f"{pred[0]:%m-%d %H:%M:%S}..{pred[1]:%m-%d %H:%M:%S}")
                print(f"  [{key}] {text}: expected {expected}, got {got}")


if __name__ == "__main__":
    main()
