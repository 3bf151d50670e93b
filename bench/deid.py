"""`python -m bench.deid`: recall and precision of the de-identification engine, per class, on the
held-out part of the planted corpus (bench/deid_corpus.py), with the record's known values given
to it as the consultation app gives them.

    python -m bench.deid                  # held-out part (the figures to report)
    python -m bench.deid --part dev       # the part the rules were tuned on
    python -m bench.deid --no-known       # detectors only: what the engine finds without the record
    python -m bench.deid --part freeform  # hand-written notes in other styles, detectors only
    python -m bench.deid --misses 20      # print some misses (dev only: the held-out part is not for tuning)

Recall: a planted identifier counts as found when every letter and digit of it lies inside a
proposed span (whatever class the span names: a redaction removes it either way). Per class and
split by first line (value in the record) and second line (only in the text).
Precision: a proposed span is right when it overlaps a planted identifier; per proposed class.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from bench.deid_corpus import DATA, TODAY, load
from kapstone.deid import Known, KnownPerson, deidentify


def known_of(record: dict[str, Any]) -> Known:
    return Known(
        people=tuple(KnownPerson(p["name"], p["role"], tuple(p["aliases"])) for p in record["people"]),
        values={k: tuple(v) for k, v in record["values"].items()},
        dates=tuple(dt.date.fromisoformat(d) for d in record["dates"]),
        date_of_birth=dt.date.fromisoformat(record["date_of_birth"]),
    )


@dataclass
class Tally:
    planted: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    found: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    proposed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    right: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    misses: list[tuple[str, str, str]] = field(default_factory=list)
    false: list[tuple[str, str]] = field(default_factory=list)
    notes: int = 0
    seconds: float = 0.0

    def recall(self, key: str) -> float:
        return self.found[key] / self.planted[key] if self.planted[key] else 1.0

    def precision(self, key: str) -> float:
        return self.right[key] / self.proposed[key] if self.proposed[key] else 1.0


def evaluate(notes: list[dict[str, Any]], *, use_known: bool = True) -> Tally:
    tally = Tally()
    started = time.perf_counter()
    for note in notes:
        text = note["text"]
        known = known_of(note["record"]) if use_known else Known()
        result = deidentify(text, known, today=TODAY)
        covered = {i for s in result.spans for i in range(s.start, s.end)}
        for gold in note["spans"]:
            wanted = {i for i in range(gold["start"], gold["end"]) if text[i].isalnum()}
            ok = wanted <= covered
            line = "known" if gold["known"] else "free"
            for key in (gold["class"], f"line:{line}", "all"):
                tally.planted[key] += 1
                tally.found[key] += ok
            if not ok:
                tally.misses.append((gold["class"], line, text[gold["start"] : gold["end"]]))
        for span in result.spans:
            hit = any(g["start"] < span.end and span.start < g["end"] for g in note["spans"])
            for key in (span.cls, "all"):
                tally.proposed[key] += 1
                tally.right[key] += hit
            if not hit:
                tally.false.append((span.cls, text[span.start : span.end]))
        tally.notes += 1
    tally.seconds = time.perf_counter() - started
    return tally


def report(tally: Tally, title: str) -> list[str]:
    lines = [
        f"{title}: {tally.notes} notes, {tally.planted['all']} planted identifiers, "
        f"{tally.seconds / max(tally.notes, 1) * 1000:.1f} ms per note",
        f"{'class':<20} {'planted':>8} {'recall':>8} {'proposed':>9} {'precision':>10}",
    ]
    classes = sorted({k for k in (*tally.planted, *tally.proposed) if ":" not in k and k != "all"})
    for key in [*classes, "line:known", "line:free", "all"]:
        recall = f"{tally.recall(key):.4f}" if tally.planted[key] else "-"
        precision = f"{tally.precision(key):.4f}" if tally.proposed[key] else "-"
        lines.append(
            f"{key:<20} {tally.planted[key]:>8} {recall:>8} {tally.proposed[key]:>9} {precision:>10}"
        )
    return lines


TAG = re.compile(r"\[\[([a-z_]+)\|([^\]]+)\]\]")


def freeform() -> list[dict[str, Any]]:
    """The hand-written notes in bench/data/deid/freeform.txt, tags turned into offsets (no record)."""
    raw = (DATA / "freeform.txt").read_text(encoding="utf-8")
    body = "\n".join(line for line in raw.splitlines() if not line.startswith("#"))
    notes = []
    for number, chunk in enumerate(body.split("\n---\n")):
        text, spans, at = "", [], 0
        for m in TAG.finditer(chunk):
            text += chunk[at : m.start()]
            spans.append(
                {"class": m.group(1), "start": len(text), "end": len(text) + len(m.group(2)), "known": False}
            )
            text += m.group(2)
            at = m.end()
        text += chunk[at:]
        empty = {"people": [], "values": {}, "dates": [], "date_of_birth": "1900-01-01"}
        notes.append({"id": f"freeform-{number}", "text": text.strip("\n"), "spans": spans, "record": empty})
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.deid", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", choices=("heldout", "dev", "freeform"), default="heldout")
    parser.add_argument("--no-known", action="store_true", help="detectors only, without the record")
    parser.add_argument("--misses", type=int, default=0, help="print this many misses and false alarms (dev)")
    args = parser.parse_args(argv)
    if args.misses and args.part != "dev":
        parser.error("misses are for the dev part: the held-out parts are not read while tuning")
    notes = freeform() if args.part == "freeform" else load(args.part)
    alone = args.no_known or args.part == "freeform"
    tally = evaluate(notes, use_known=not alone)
    title = f"de-identification, {args.part} part, {'detectors only' if alone else 'record + detectors'}"
    print("\n".join(report(tally, title)))
    for miss in tally.misses[: args.misses]:
        print("MISS", *miss)
    for false in tally.false[: args.misses]:
        print("FALSE", *false)
    return 0


if __name__ == "__main__":
    sys.exit(main())
