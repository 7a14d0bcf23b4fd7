"""`faqbot bench`: measure start-up, latency, memory and scaling on this machine.

Figures:

- cold start: median wall time of `faqbot ask "..."` in a new process (the index cache is warm),
  and of `faqbot --help`;
- warm latency: p50/p99 of `Engine.reply` over the evaluation questions, and throughput;
- memory: peak RSS of a process that loaded the shipped data and answered those questions;
- scale: synthetic knowledge bases of growing size (bot/tools/synthetic.py), generated
  deterministically from the shipped data and written as real knowledge/ + intents/ +
  config.toml folders, so the real loader and engine run. Each size is
  built in a fresh process (build time with no cache, then latency and peak RSS), started again
  from the cache in another fresh process (start time, latency, RSS), and compared on the same
  questions with a naive baseline: rapidfuzz `process.extractOne` over every example, as
  ChatterBot's best match does. The questions are the evaluation questions (timed only) and
  held-out questions about generated intents (timed and scored).

Latency is measured on questions the engine has not seen: every pass starts with empty memos.

Measurements that need a fresh process run this module as a worker: ``python -m bot.tools.bench WORKER``.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.tools.synthetic import write_synthetic_kb

QUESTION = "Qu'est-ce que la DCI ?"
STDERR_TAIL_CHARS = 2000  # of a failed command's error output, quoted in the error


@dataclass(frozen=True)
class Plan:
    """How much to measure."""

    cold_runs: int
    warm_passes: int
    sizes: tuple[int, ...]
    eval_queries: int | None  # None: every evaluation question
    synthetic_queries: int


FULL = Plan(cold_runs=5, warm_passes=5, sizes=(1_000, 10_000, 50_000), eval_queries=None, synthetic_queries=100)
QUICK = Plan(cold_runs=2, warm_passes=1, sizes=(1_000, 2_000), eval_queries=20, synthetic_queries=10)


# -- small helpers -----------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-quantile (0-1) of `values`, nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def peak_rss_mb() -> float:
    """Return this process's peak resident set size in MB."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _faqbot_command() -> list[str]:
    """Return the command that starts `faqbot` the way a user does."""
    script = Path(sys.executable).with_name("faqbot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def _run_worker(*args: str) -> dict[str, Any]:
    """Run `python -m bot.tools.bench WORKER ...` in a fresh process and return its JSON result."""
    done = subprocess.run([sys.executable, "-m", "bot.tools.bench", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    if done.returncode != 0:
        raise RuntimeError(f"bench worker {args[0]} failed:\n{done.stderr.strip()[-STDERR_TAIL_CHARS:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _timed_runs(command: list[str], runs: int) -> list[float]:
    """Return the wall times of `runs` runs of `command` (after one untimed run that fills the cache)."""
    times = []
    for n in range(runs + 1):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"`{' '.join(command)}` failed:\n{done.stderr.strip()[-STDERR_TAIL_CHARS:]}")
        if n:
            times.append(time.perf_counter() - start)
    return times


# -- measurements in this process --------------------------------------------------------------
def _eval_questions(config: Any, limit: int | None) -> list[dict[str, str]]:
    from bot.tools.evaluation import load_evaluation

    questions, _ = load_evaluation(config.paths.evaluation)
    picked = [{"text": q.text, "intent": q.intent} for q in questions]
    if limit is not None and len(picked) > limit:
        step = len(picked) / limit
        picked = [picked[int(i * step)] for i in range(limit)]
    return picked


# Untimed questions that warm up the code paths before timing; none is in the evaluation set.
WARM_UP = ("bonjour", "c'est quoi ?", "merci beaucoup", "qui êtes-vous ?", "le numéro svp", "où est le bureau ?")


def _forget_normalisations() -> None:
    """Empty the normalisation cache so that every timed question is normalised, as a new one is."""
    from bot import text

    cached = getattr(text, "_normalize_cached", None)
    if cached is not None and hasattr(cached, "cache_clear"):
        cached.cache_clear()


def _forget_answers(engine: Any) -> None:
    """Empty the engine's per-question and per-word memos (the next pass sees new questions)."""
    state = getattr(engine, "_state", None)
    for part in (engine.matcher, getattr(state, "guard", None)):
        if hasattr(part, "clear_caches"):
            part.clear_caches()


def _latencies(make: Callable[[int], Callable[[str], Any]], texts: Sequence[str], passes: int) -> list[float]:
    """Return the wall time (s) of each call, each pass on a fresh answerer that never saw the questions.

    `make(n)` returns the answering function for pass n; the engine's per-question memos and the
    normalisation cache would otherwise make repeated questions look faster than new ones.
    """
    times = []
    clock = time.perf_counter
    for n in range(passes):
        func = make(n)
        _forget_normalisations()
        for text in WARM_UP:
            func(text)
        for text in texts:
            start = clock()
            func(text)
            times.append(clock() - start)
    return times


def _summary(times: Sequence[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(times, 0.50) * 1e3, 3), "p99_ms": round(percentile(times, 0.99) * 1e3, 3),
            "mean_ms": round(statistics.fmean(times) * 1e3, 3) if times else 0.0,
            "throughput_qps": round(len(times) / sum(times), 1) if times and sum(times) else 0.0}


def _accuracy(questions: list[dict[str, str]], answers: dict[str, str]) -> float | None:
    """Return the share of labelled questions whose answer (intent id, "" for none) is the expected one."""
    labelled = [q for q in questions if q["intent"]]
    return round(sum(answers.get(q["text"]) == q["intent"] for q in labelled) / len(labelled), 4) if labelled else None


# -- workers (each in a fresh process) ---------------------------------------------------------
def worker_serve(config_path: str, questions_path: str, passes: int) -> dict[str, Any]:
    """Load the data (from the cache when it is there), answer the questions, report time and RSS."""
    from bot.config import load_config
    from bot.dialogue import Conversation
    from bot.engine import ANSWERED, Engine

    start = time.perf_counter()
    config = load_config(config_path)
    engine = Engine(config)
    start_s = time.perf_counter() - start
    rss_loaded = peak_rss_mb()
    questions = json.loads(Path(questions_path).read_text(encoding="utf-8"))
    answers: dict[str, str] = {}
    ranked_first: dict[str, str] = {}

    def make(n: int) -> Callable[[str], Any]:
        if n:
            _forget_answers(engine)

        def answer(text: str) -> None:
            reply = engine.reply(text, Conversation())
            answers[text] = reply.intent if reply.status == ANSWERED and reply.intent else ""
            candidates = reply.explanation.candidates
            ranked_first[text] = candidates[0].intent if candidates else ""
        return answer

    times = _latencies(make, [q["text"] for q in questions], passes)
    return {"start_s": round(start_s, 3), "examples": len(engine.matcher.examples_), "intents": len(engine.kb.intents),
            "queries": len(questions), **_summary(times), "accuracy": _accuracy(questions, answers),
            "top1": _accuracy(questions, ranked_first), "answers_nothing": engine.silent_languages,
            "rss_after_load_mb": round(rss_loaded, 1), "rss_mb": round(peak_rss_mb(), 1),
            "sklearn_imported": "sklearn" in sys.modules, "scipy_imported": "scipy" in sys.modules}


def worker_naive(config_path: str, questions_path: str, passes: int) -> dict[str, Any]:
    """Answer with the intent of the example nearest by rapidfuzz over every example (ChatterBot's best match)."""
    from rapidfuzz import process

    from bot.config import load_config
    from bot.reader import load_knowledge

    config = load_config(config_path)
    kb = load_knowledge(config.paths.knowledge, config.paths.intents)
    examples, owners = [], []
    for intent_id, intent in kb.intents.items():
        for example in intent.examples:
            examples.append(kb.normalize(example))
            owners.append(intent_id)
    questions = json.loads(Path(questions_path).read_text(encoding="utf-8"))
    answers: dict[str, str] = {}

    def best(text: str) -> None:
        match = process.extractOne(kb.normalize(text), examples)  # default scorer: WRatio
        answers[text] = owners[match[2]] if match else ""

    times = _latencies(lambda n: best, [q["text"] for q in questions], passes)
    return {**_summary(times), "accuracy": _accuracy(questions, answers)}


WORKERS: dict[str, Callable[..., dict[str, Any]]] = {"serve": worker_serve, "naive": worker_naive}


# -- the benchmark -----------------------------------------------------------------------------
def run_bench(config: Any, quick: bool = False, sizes: Sequence[int] | None = None) -> dict[str, Any]:
    """Run every measurement and return the figures (see the module docstring)."""
    plan = QUICK if quick else FULL
    sizes = tuple(sizes) if sizes else plan.sizes
    result: dict[str, Any] = {"machine": machine(), "quick": quick}
    cmd = _faqbot_command()
    _log(f"cold start: {plan.cold_runs} runs of `faqbot ask` and `faqbot --help`")
    ask = _timed_runs(cmd + ["ask", "--config", str(config.path), QUESTION], plan.cold_runs)
    helps = _timed_runs(cmd + ["--help"], plan.cold_runs)
    result["cold_start"] = {"runs": plan.cold_runs, "ask_median_s": round(statistics.median(ask), 3),
                            "ask_runs_s": [round(t, 3) for t in ask],
                            "help_median_s": round(statistics.median(helps), 3)}
    with tempfile.TemporaryDirectory(prefix="faqbot-bench-") as tmp:
        questions = _eval_questions(config, plan.eval_queries)
        qpath = Path(tmp) / "questions.json"
        qpath.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
        _log(f"warm latency and memory on the shipped data ({len(questions)} questions x {plan.warm_passes})")
        result["shipped"] = _run_worker("serve", str(config.path), str(qpath), str(plan.warm_passes))
        result["scale"] = [_scale(config, size, Path(tmp), questions, plan) for size in sizes]
    result["machine"]["load_after"] = _load()
    return result


def _scale(config: Any, size: int, tmp: Path, questions: list[dict[str, str]], plan: Plan) -> dict[str, Any]:
    root = tmp / f"kb-{size}"
    _log(f"scale {size:,}: generating the knowledge base")
    held_out = write_synthetic_kb(config, size, root, plan.synthetic_queries)
    qpath = root / "questions.json"
    # The evaluation questions are realistic traffic but about shipped intents this knowledge base
    # does not have: they are timed, and accuracy counts only the held-out questions.
    traffic = [{"text": q["text"], "intent": ""} for q in questions] + held_out
    qpath.write_text(json.dumps(traffic, ensure_ascii=False), encoding="utf-8")
    cfg = str(root / "config.toml")
    _log(f"scale {size:,}: build (no cache)")
    built = _run_worker("serve", cfg, str(qpath), "0")
    _log(f"scale {size:,}: start from the cache and {len(traffic)} questions")
    served = _run_worker("serve", cfg, str(qpath), "1")
    _log(f"scale {size:,}: naive baseline")
    naive = _run_worker("naive", cfg, str(qpath), "1")
    return {"size": size, "examples": built["examples"], "intents": built["intents"], "queries": built["queries"],
            "build_s": built["start_s"], "build_rss_mb": built["rss_mb"], "start_cached_s": served["start_s"],
            "rss_mb": served["rss_mb"], "p50_ms": served["p50_ms"], "p99_ms": served["p99_ms"],
            "throughput_qps": served["throughput_qps"], "accuracy": served["accuracy"], "top1": served["top1"],
            "answers_nothing": served["answers_nothing"],
            "naive_p50_ms": naive["p50_ms"], "naive_p99_ms": naive["p99_ms"], "naive_accuracy": naive["accuracy"],
            "speedup_p50": round(naive["p50_ms"] / served["p50_ms"], 1) if served["p50_ms"] else None}


def machine() -> dict[str, Any]:
    """Describe the machine the figures come from."""
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "platform": platform.platform(),
            "load_before": _load()}


def _load() -> list[float] | None:
    """Return the 1, 5 and 15 minute load averages (other work on the machine skews the figures)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def format_table(result: dict[str, Any]) -> str:
    """Render the figures for a person."""
    m, c, s = result["machine"], result["cold_start"], result["shipped"]
    smoke = "  (--quick: smoke run, figures not meaningful)" if result["quick"] else ""
    load = f", load average {m['load_before'][0]:.2f} at start" if m.get("load_before") else ""
    lines = [f"machine: {m['cpus']} CPUs, {m['cpu']}, Python {m['python']}{load}{smoke}",
             "",
             f"cold start  faqbot ask (median of {c['runs']})   {c['ask_median_s']:.3f} s",
             f"            faqbot --help                {c['help_median_s']:.3f} s",
             f"shipped     {s['examples']:,} examples, {s['intents']} intents, {s['queries']} questions, "
             "each pass on new questions",
             f"            warm p50 / p99               {s['p50_ms']:.3f} ms / {s['p99_ms']:.3f} ms",
             f"            throughput                   {s['throughput_qps']:.0f} questions/s (one thread)",
             f"            peak RSS                     {s['rss_mb']:.0f} MB",
             "",
             "scale: synthetic knowledge bases; naive = rapidfuzz extractOne over every example (ChatterBot-style);",
             "       accuracy = held-out questions answered with the right intent (naive: its nearest example's);",
             "       top-1 = those whose best-ranked candidate is the right intent, answered or not"]
    head = ("examples", "intents", "build", "build RSS", "cached start", "RSS", "p50 ms", "p99 ms",
            "naive p50", "naive p99", "speed-up", "accuracy", "top-1", "naive acc.")
    rows = [head] + [(f"{r['examples']:,}", f"{r['intents']:,}", f"{r['build_s']:.1f} s", f"{r['build_rss_mb']:.0f} MB",
                      f"{r['start_cached_s']:.2f} s", f"{r['rss_mb']:.0f} MB", f"{r['p50_ms']:.2f}",
                      f"{r['p99_ms']:.2f}", f"{r['naive_p50_ms']:.2f}", f"{r['naive_p99_ms']:.2f}",
                      f"{r['speedup_p50']}x", _share(r["accuracy"]) + ("*" if r["answers_nothing"] else ""),
                      _share(r["top1"]), _share(r["naive_accuracy"]))
                     for r in result["scale"]]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines += ["  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    if any(r["answers_nothing"] for r in result["scale"]):
        lines.append("* its learned decision answers nothing: no out-of-fold probability reaches [decision] "
                     "target_precision (see faqbot check)")
    return "\n".join(lines)


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _main(argv: list[str]) -> int:
    """Worker entry point: `python -m bot.tools.bench WORKER ARGS...` prints one JSON line."""
    name, *args = argv
    func = WORKERS[name]
    print(json.dumps(func(args[0], args[1], int(args[2]))))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
