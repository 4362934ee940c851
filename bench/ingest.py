"""Customer import throughput: ``python -m bench.ingest [--quick]``.

Generates realistic point-of-sale customers (names in Italian, Danish, Russian, Spanish
and English, phones in mixed formats, emails, birthdays, tags, notes, a few bad rows
and repeated customers) into a CSV file, imports it with ``regulars import`` into a
fresh SQLite file database, and compares with saving the same rows one by one with
``Model.save()`` (customer + phone rows).

Figures: rows/s of the full import (target ≥ 25,000), peak memory of the importing
process (< 400 MB), and the speed-up over row-by-row saving on a sample (≥ 10×).
Each measurement runs in a child process with its own fresh database; repeated
measurements report their median.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from anyascii import anyascii

from bench.common import (
    figure,
    median,
    peak_rss_mb,
    print_result,
    run_child,
    setup_django,
    temp_dir,
)
from regulars.demo.names import CULTURES

FULL_ROWS = 1_000_000
QUICK_ROWS = 20_000
FULL_SAMPLE = 20_000
QUICK_SAMPLE = 2_000

HEADER = [
    "Customer ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone",
    "Birthday",
    "Tags",
    "Notes",
    "Language",
]


def _culture_names(code: str) -> tuple[list[str], list[str]]:
    """Given and family names of the demo business's culture ``code``."""
    culture = CULTURES[code]
    given = [name for name, _short, _day in (*culture.female, *culture.male)]
    family = [masculine for masculine, _feminine in culture.family]
    return given, family


# Per locale: given names and family names (the demo business's lists).
NAMES: dict[str, tuple[list[str], list[str]]] = {
    code: _culture_names(code) for code in ("it", "da", "ru", "es", "en")
}
LOCALES = ("it", "it", "it", "da", "ru", "es", "en")  # an Italian business, a mixed clientele
TAGS = ["VIP", "regular", "caffè", "wholesale", "newsletter", "allergie", "stamgæst", "постоянный"]
NOTES = [
    "Prefers the table by the window",
    'Orders "the usual": cappuccino, no sugar',
    "Allergic to nuts.\nAlways ask about the cake.",
    "Любит чай с лимоном",
    "Vuole lo scontrino fiscale",
    "Kommer om fredagen 🙂",
    "Cliente dal 2015, molto affezionato",
]


def _ascii(name: str) -> str:
    """ "Søren" → "soren", "Сергей" → "sergei": for e-mail addresses."""
    return re.sub(r"[^a-z]", "", anyascii(name).lower())


def _phone(locale: str, index: int, rng: random.Random) -> str:
    """A unique mobile number of the customer's country, in a POS-typical format."""
    if locale == "it":
        national = f"3{20 + index % 80:02d}{index:07d}"
        code = "39"
    elif locale == "da":
        national = f"{20000000 + index:08d}"
        code = "45"
    elif locale == "ru":
        national = f"9{16 + index % 10:02d}{index:07d}"
        code = "7"
    elif locale == "es":
        national = f"6{index:08d}"
        code = "34"
    else:
        national = f"7{index:09d}"
        code = "44"
    return styled_phone(code, national, locale, rng)


def styled_phone(code: str, national: str, locale: str, rng: random.Random) -> str:
    """A number written the way point-of-sale exports do, in one of four styles."""
    style = rng.random()
    if style < 0.40:
        return f"+{code} {national[:3]} {national[3:]}"
    if style < 0.70:
        return f"+{code}{national}"
    if style < 0.85 or locale != "it":
        return f"00{code} {national[:3]}-{national[3:]}"
    return f"{national[:3]} {national[3:]}"  # national format: the location is in Italy


def contact_extras(
    first: str, last: str, index: int, locale: str, rng: random.Random
) -> tuple[str, str, str]:
    """(e-mail for 70 %, tags for 20 %, a note for 10 %) of one generated customer."""
    domain = "uk" if locale == "en" else locale
    email = f"{_ascii(first)}.{_ascii(last)}{index}@example.{domain}" if rng.random() < 0.7 else ""
    tags = ";".join(rng.sample(TAGS, rng.randint(1, 2))) if rng.random() < 0.2 else ""
    notes = rng.choice(NOTES) if rng.random() < 0.1 else ""
    return email, tags, notes


def _birthday(rng: random.Random) -> str:
    if rng.random() < 0.35:
        return ""
    year, month, day = rng.randint(1940, 2006), rng.randint(1, 12), rng.randint(1, 28)
    style = rng.random()
    if style < 0.5:
        return f"{day:02d}/{month:02d}/{year}"
    if style < 0.8:
        return f"{year}-{month:02d}-{day:02d}"
    return f"{day:02d}.{month:02d}.{year}"


def generate(path: Path, rows: int, seed: int) -> None:
    """Write ``rows`` customer rows: ~0.5 % bad (phone or date), ~1 % repeats of an
    earlier customer with the phone written differently."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for index in range(rows):
            roll = rng.random()
            if roll < 0.01 and index > 10:
                index = rng.randrange(index)  # the same person again, later in the export
            locale = LOCALES[index % len(LOCALES)]
            given, family = NAMES[locale]
            first = given[(index * 7 + 3) % len(given)]
            last = family[(index * 13 + 5) % len(family)]
            phone = _phone(locale, index, rng)
            birthday = _birthday(rng)
            if 0.01 <= roll < 0.0125:
                phone = "call the shop"
            elif 0.0125 <= roll < 0.015:
                birthday = "31/02/1990"
            email, tags, notes = contact_extras(first, last, index, locale, rng)
            writer.writerow(
                [f"C{index:07d}", first, last, email, phone, birthday, tags, notes, locale]
            )


# --- child processes ------------------------------------------------------------------


def _child(mode: str, csv_path: Path, data_dir: Path) -> dict[str, Any]:
    setup_django(data_dir)
    from regulars.accounts.services import create_location

    location = create_location(
        name="Bologna", timezone_name="Europe/Rome", currency="EUR", country="IT"
    )
    started = time.perf_counter()
    if mode == "bulk":
        from regulars.customers.importers.base import ImportKind
        from regulars.customers.importers.cli import use_parallel
        from regulars.customers.importers.runner import run_import

        # What ``regulars import customers FILE`` does.
        summary = run_import(
            kind=ImportKind.CUSTOMERS,
            path=csv_path,
            location=location,
            report_path=data_dir / "report.csv",
            parallel=use_parallel(csv_path),
        )
        rows = summary.rows
        counts = summary.counts()
    else:
        rows, counts = _save_one_by_one(csv_path, location)
    seconds = time.perf_counter() - started
    from regulars.customers.models import Customer, Phone

    return {
        "mode": mode,
        "rows": rows,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "peak_rss_mb": peak_rss_mb(),
        "cpu_s": _cpu_seconds(),
        "customers": Customer.objects.count(),
        "phones": Phone.objects.count(),
        **counts,
    }


def _cpu_seconds() -> float:
    """CPU time of this (the writing) process: steadier than wall time on a busy machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _save_one_by_one(csv_path: Path, location: Any) -> tuple[int, dict[str, int]]:
    """The baseline: the same parsing, then ``Model.save()`` per customer and per phone."""
    from django.utils import timezone

    from regulars.core.models import Source
    from regulars.customers.importers.base import ImportKind
    from regulars.customers.importers.columns import resolve_columns
    from regulars.customers.importers.context import ImportContext
    from regulars.customers.importers.customer_rows import CustomerParser
    from regulars.customers.importers.source import CsvSource
    from regulars.customers.models import Customer, Phone

    ctx = ImportContext(kind=ImportKind.CUSTOMERS, location=location)
    rows = created = bad = 0
    with CsvSource(csv_path) as source:
        parser = CustomerParser(resolve_columns(source.header, ImportKind.CUSTOMERS), ctx)
        for line, fields, _raw, _problem in source.records():
            if not fields:
                continue
            rows += 1
            record = parser.parse(line, fields)
            if isinstance(record, list):
                bad += 1
                continue
            customer = Customer(**record.values, import_key=record.import_key)
            customer.set_provenance(list(record.values), source=Source.IMPORTED, by=None)
            customer.save()
            for number, label in record.phones:
                Phone(
                    customer=customer,
                    number=number,
                    label=label,
                    source=Source.IMPORTED,
                    entered_at=timezone.now(),
                ).save()
            created += 1
    return rows, {"created": created, "bad": bad}


# --- the benchmark ------------------------------------------------------------------------


def _measure(mode: str, csv_path: Path, work: Path, times: int) -> list[dict[str, Any]]:
    results = []
    for attempt in range(times):
        data_dir = work / f"{mode}-{csv_path.stem}-{attempt}"
        result = run_child(
            "bench.ingest", ["--child", mode, "--csv", str(csv_path), "--data", str(data_dir)]
        )
        shutil.rmtree(data_dir, ignore_errors=True)
        print(
            f"  {mode:<5} {csv_path.name}: {result['rows']:,} rows in {result['seconds']:.2f} s "
            f"= {result['rows_per_s']:,.0f} rows/s, peak {result['peak_rss_mb']:.0f} MB, "
            f"{result['customers']:,} customers, {result['phones']:,} phones",
            file=sys.stderr,
            flush=True,
        )
        results.append(result)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rows", type=int, help="override the number of rows")
    parser.add_argument("--repeat", type=int, help="runs of the full import (median)")
    parser.add_argument("--child", choices=["bulk", "save"], help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        import json

        print(json.dumps(_child(args.child, args.csv, args.data)))
        return 0

    rows = args.rows or (QUICK_ROWS if args.quick else FULL_ROWS)
    sample = min(rows, QUICK_SAMPLE if args.quick else FULL_SAMPLE)
    repeat = args.repeat or (3 if args.quick else 1)
    work = temp_dir("ingest")
    try:
        full_csv, sample_csv = work / "customers.csv", work / "sample.csv"
        started = time.perf_counter()
        generate(full_csv, rows, seed=1)
        generate(sample_csv, sample, seed=2)
        print(
            f"generated {rows:,} + {sample:,} rows in {time.perf_counter() - started:.1f} s "
            f"({full_csv.stat().st_size / 1e6:.0f} MB)",
            file=sys.stderr,
        )
        full = _measure("bulk", full_csv, work, repeat)
        bulk_sample = _measure("bulk", sample_csv, work, 3)
        save_sample = _measure("save", sample_csv, work, 3)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rate = median(r["rows_per_s"] for r in full)
    memory = median(r["peak_rss_mb"] for r in full)
    speedup = median(r["rows_per_s"] for r in bulk_sample) / median(
        r["rows_per_s"] for r in save_sample
    )
    print(
        f"import: {rate:,.0f} rows/s, peak {memory:.0f} MB; "
        f"{speedup:.1f}x faster than Model.save() on {sample:,} rows",
    )
    print_result(
        "ingest",
        rows,
        {
            "rows_per_s": figure(rate, "rows/s", 25000, "higher"),
            "peak_rss_mb": figure(memory, "MB", 400, "lower"),
            "speedup_vs_save": figure(speedup, "x", 10, "higher"),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
