"""The results as targets met or missed, and as a markdown table to paste into the README."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks import scale, warc
from benchmarks.extraction import MEASURES

HERE = Path(__file__).resolve().parent
CRAWL_CPU_RATIO = 1.5
PAGE_TO_ITEM_MS = 1.0
TRAFILATURA_SPEEDUP = 4.0
DATEPARSER_SPEEDUP = 300.0
RSS_GROWTH_MIB = 20.0
JUNK_US = 1000.0


def _target(name: str, goal: str, measured: str, met: bool | None) -> dict[str, Any]:
    return {"target": name, "goal": goal, "measured": measured, "met": met}


def _accuracy_verdicts(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, str]:
    verdicts = {}
    for measure, higher_is_better in MEASURES.items():
        mine, other = ours[measure], theirs[measure]
        if mine == other:
            verdicts[measure] = "tie"
        else:
            verdicts[measure] = "better" if (mine > other) == higher_is_better else "worse"
    return verdicts


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    if crawl := results.get("crawl"):
        ratio = crawl["cpu_vs_floor"]
        what_if = crawl["what_if_vs_floor"]
        found.append(
            _target(
                "crawl CPU vs the do-nothing spider (stock Scrapy)",
                f"≤ {CRAWL_CPU_RATIO} ×",
                f"{ratio} × (pairs: {', '.join(map(str, crawl['pair_ratios']))}; net of "
                f"start-up: {crawl['cpu_vs_floor_without_startup']} ×). Floors on the same "
                f"pages: building the lxml tree {what_if['stock floor + parse']} ×, and a "
                f"one-field item {what_if['stock floor + parse + item']} ×, a lean title + "
                f"paragraphs item {what_if['stock floor + lean item']} ×",
                ratio <= CRAWL_CPU_RATIO,
            )
        )
    if grown := results.get("scale", {}).get("growth", {}).get("runs"):
        small, large = grown[-2], grown[-1]
        growth = large["max_rss_mib"] - small["max_rss_mib"]
        found.append(
            _target(
                f"RSS growth {small['articles']:,} → {large['articles']:,} articles",
                f"≤ {RSS_GROWTH_MIB:g} MiB",
                f"{growth:+.1f} MiB ({small['max_rss_mib']} → {large['max_rss_mib']} MiB)",
                growth <= RSS_GROWTH_MIB,
            )
        )
    if extraction := results.get("extraction"):
        ours = extraction["timing"]["ours"]["cpu_ms_per_page"]["median"]
        floors = extraction["floors"]
        found.append(
            _target(
                f"page → item CPU per page ({extraction['corpus']['generated_kib']['median']:.0f}"
                " KiB median)",
                f"≤ {PAGE_TO_ITEM_MS:g} ms",
                f"{ours:.2f} ms. Floors on the same pages: the lxml tree alone "
                f"{floors['tree']['median']:.2f} ms; the tree, the title and the `article p` "
                f"texts {floors['lean']['median']:.2f} ms",
                ours <= PAGE_TO_ITEM_MS,
            )
        )
        speedup = extraction["timing"]["trafilatura"]["times_ours"]
        found.append(
            _target(
                "page → item vs trafilatura.extract: speed",
                f"≥ {TRAFILATURA_SPEEDUP:g} × faster",
                f"{speedup} × (vs trafilatura fast=True: "
                f"{extraction['timing']['trafilatura fast']['times_ours']} ×)",
                speedup >= TRAFILATURA_SPEEDUP,
            )
        )
        accuracy = extraction["accuracy"]["all"]
        verdicts = _accuracy_verdicts(accuracy["ours"], accuracy["trafilatura"])
        worse = [m for m, v in verdicts.items() if v == "worse"]
        ties = [m for m, v in verdicts.items() if v == "tie"]
        found.append(
            _target(
                "page → item vs trafilatura.extract: accuracy",
                "more accurate on every measure",
                ", ".join(f"{m} {v}" for m, v in verdicts.items())
                + (f" (equal on {', '.join(ties)})" if ties else ""),
                None if ties and not worse else not worse,
            )
        )
    if dates := results.get("dates"):
        known = dates["known_forms"]
        disagreements = dates["agreement"]["disagreements"]
        known_disagreements = [d for d in disagreements if d["kind"] in ("visible", "iso")]
        found.append(
            _target(
                "known-format dates vs dateparser.parse: speed",
                f"≥ {DATEPARSER_SPEEDUP:g} × faster",
                f"{known['times_faster_median']} × median over {known['strings']} strings "
                f"(slowest string {known['times_faster_min']} ×)",
                known["times_faster_median"] >= DATEPARSER_SPEEDUP,
            )
        )
        found.append(
            _target(
                "dates: same result where both parse",
                "no disagreement",
                f"{len(known_disagreements)} on known formats; {len(disagreements)} on the "
                f"whole corpus ({dates['agreement']['both_parse']} strings both parse)",
                not known_disagreements,
            )
        )
        found.append(
            _target(
                "junk text through our date parser",
                f"< {JUNK_US:g} µs per call",
                f"max {dates['junk']['ours_max_us']} µs, "
                f"median {dates['junk']['ours_median_us']} µs",
                dates["junk"]["ours_max_us"] < JUNK_US,
            )
        )
    return found


# Benchmarks that need more than this run sets up (politeness on, Redis and PostgreSQL): each
# writes its own section with its command, date and commit, included here as it stands.
# The WARC section is this run's own when it ran it, else the last `python -m benchmarks.warc`'s.
APART = ("FAULTS.md", "DISTRIBUTED.md")


def _measured_apart(*, with_warc: bool) -> list[str]:
    names = (*APART, "WARC.md") if with_warc else APART
    sections = [HERE / name for name in names if (HERE / name).exists()]
    if not sections:
        return []
    lines = [
        "",
        "## Measured apart",
        "",
        "These sections come from their own commands (each names its command, date and code), "
        "copied from "
        + ", ".join(f"`benchmarks/{path.name}`" for path in sections)
        + " when this file was written.",
    ]
    for path in sections:
        text = path.read_text(encoding="utf-8").strip().replace("\n## ", "\n### ")
        lines += ["", "#" + text if text.startswith("## ") else text]
    return lines


def _verdict(met: bool | None) -> str:
    return {True: "**met**", False: "**missed**", None: "met where measurable (ties)"}[met]


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _ms(summary: dict[str, float]) -> str:
    return f"{summary['median']:.2f} ({summary['min']:.2f}–{summary['max']:.2f})"


def _percent(value: float) -> str:
    return f"{value:.1%}"


def markdown(results: dict[str, Any]) -> str:
    lines = [f"# Benchmark results ({results['mode']} run)", ""]
    machine = results["machine"]
    packages = machine["packages"]
    lines += [
        f"`{results['command']}`, started {results['started']}, took "
        f"{results.get('duration_s', '?')} s. Machine: {machine['cpu']}, "
        f"{machine['nproc']} cores, "
        f"{machine['memory_gib']} GiB, {machine['os']}; Python {machine['python']}, Scrapy "
        f"{packages['scrapy']}, lxml {packages['lxml']}, parsel {packages['parsel']}, "
        f"trafilatura {packages['trafilatura']}, dateparser {packages['dateparser']}. Code at "
        f"commit {machine['commit']} (`galamedia/` fingerprint {machine['galamedia_fingerprint']})"
        + (
            " with uncommitted changes in galamedia/"
            if machine["galamedia_changed_since_commit"]
            else ""
        )
        + f". Load average at start {machine['load_average_at_start']}, at end "
        f"{machine.get('load_average_at_end')}.",
        "",
        *(
            [
                "`galamedia/` changed in the working tree while this run went on; every "
                "section measured the code of the start (the crawls ran in a copy of it, the "
                "in-process sections use what they imported at the start).",
                "",
            ]
            if machine.get("galamedia_changed_during_run")
            else []
        ),
        "Times are medians of repeats that alternate between the contenders in the same run; "
        "the claims are the ratios. Brackets give the min–max over the repeats: the machine is "
        "shared, so expect a few percent of noise on the medians.",
        "",
        "## Targets",
        "",
        _row("target", "goal", "measured", "verdict"),
        _row("---", "---", "---", "---"),
    ]
    lines += [
        _row(t["target"], t["goal"], t["measured"], _verdict(t["met"])) for t in results["targets"]
    ]
    if "extraction" in results:
        lines += _extraction(results["extraction"], results["news_please"])
    if "dates" in results:
        lines += _dates(results["dates"])
    if "crawl" in results:
        lines += _crawl(results["crawl"])
    if "scale" in results:
        lines += ["", scale.markdown(results["scale"]).rstrip("\n")]
    if "warc" in results:
        lines += ["", warc.markdown(results["warc"]).rstrip("\n")]
    if "profile" in results:
        crawl_ms = results.get("crawl", {}).get("by_kind", {}).get("crawl", {})
        lines += _profile(results["profile"], crawl_ms.get("cpu_ms_per_article"))
    lines += _measured_apart(with_warc="warc" not in results)
    return "\n".join(lines) + "\n"


def _extraction(data: dict[str, Any], news_please: str) -> list[str]:
    corpus = data["corpus"]
    kib = corpus["generated_kib"]
    lines = [
        "",
        "## Page → item: ours vs trafilatura",
        "",
        f"{corpus['generated_pages']} generated classic-layout pages ({kib['min']:.0f}–"
        f"{kib['max']:.0f} KiB, median {kib['median']:.0f}) and {corpus['fixture_pages']} stored "
        f"article pages of `tests/pages/`; {corpus['repeats']} alternating passes. Ours: "
        "`ArticlePage(response).parse()` + `build_article`, from the page's bytes; trafilatura: "
        '`extract(output_format="json", with_metadata=True)` with htmldate asked for the time and '
        "offset, from the same bytes. Both the generator and the stored pages follow the markup "
        "of SITE.md that the page object was written for, so our perfect scores are an upper "
        "bound for the real site; trafilatura knows nothing of this template. CPU per page:",
        "",
        _row("contender", "CPU ms/page", "× ours", "wall ms/page"),
        _row("---", "---:", "---:", "---:"),
    ]
    for name, timing in data["timing"].items():
        lines.append(
            _row(
                name,
                _ms(timing["cpu_ms_per_page"]),
                timing["times_ours"],
                f"{timing['wall_ms_per_page']['median']:.2f}",
            )
        )
    lines += [
        "",
        "Accuracy against the known truth (title exact; published_at to the minute with its "
        "offset, a date without time or offset counting as wrong; body token F1 over "
        "whitespace-split words as multisets; leaks: a \"Baca Juga\" teaser title, a caption or "
        "a menu title found in the body more often than in the true body):",
        "",
        _row(
            "pages", "contender", "title", "date to minute", "body F1 (min)", "body exact",
            "teaser leaks", "caption leaks", "menu leaks", "forbidden strings",
        ),
        _row("---", "---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"),
    ]  # fmt: skip
    for source, label in (("generated", "generated"), ("fixture", "stored"), ("all", "all")):
        for name, acc in data["accuracy"][source].items():
            forbidden = (
                f"{acc['forbidden_strings']}/{acc['forbidden_checked']}"
                if acc["forbidden_checked"]
                else "–"
            )
            lines.append(
                _row(
                    f"{label} ({acc['pages']})",
                    name,
                    _percent(acc["title_exact"]),
                    _percent(acc["date_to_minute"]),
                    f"{acc['body_f1_mean']:.3f} ({acc['body_f1_min']:.3f})",
                    _percent(acc["body_exact"]),
                    f"{acc['teaser_leaks']}/{acc['teasers']}",
                    f"{acc['caption_leaks']}/{acc['captions']}",
                    acc["menu_leaks"],
                    forbidden,
                )
            )
    names = list(data["timing"])
    lines += [
        "",
        '"forbidden strings": the stored cases\' `must_not_contain` strings found in the body '
        "(datelines, teaser titles, credits, `Editor:` lines …).",
        "",
        "Dates to the minute by how the generated page gives its date:",
        "",
        _row("date form", "pages", *names),
        _row("---", "---:", *(["---:"] * len(names))),
    ]
    for form, row in data["date_forms"].items():
        lines.append(_row(form, row["pages"], *(row[name] for name in names)))
    lines += ["", f"news-please: {news_please}"]
    return lines


def _dates(data: dict[str, Any]) -> list[str]:
    known = data["known_forms"]
    junk = data["junk"]
    lines = [
        "",
        "## Dates: `galamedia.rules.dates.parse_date` vs "
        "`dateparser.parse(text, languages=['id'])`",
        "",
        f"{data['strings']} strings with known truth, fetch time {data['now']}; median time per "
        f"call over {data['repeats']} alternating repeats, then the median over the strings of a "
        "kind. \"right\": the truth's instant to the minute, or None where the truth is None.",
        "",
        _row(
            "kind", "strings", "ours µs", "dateparser µs", "× faster", "ours right",
            "dateparser right",
        ),
        _row("---", "---:", "---:", "---:", "---:", "---:", "---:"),
    ]  # fmt: skip
    for kind, row in data["by_kind"].items():
        lines.append(
            _row(
                kind,
                row["strings"],
                row["ours_us"],
                row["dateparser.parse_us"],
                row["times_faster"],
                f"{row['ours_right']}/{row['strings']}",
                f"{row['dateparser.parse_right']}/{row['strings']}",
            )
        )
    lines += [
        "",
        f"Known formats (visible and ISO, {known['strings']} strings): ours "
        f"{known['ours_us']} µs, dateparser.parse {known['dateparser_us']} µs, "
        f"{known['times_faster_median']} × (slowest string {known['times_faster_min']} ×); a "
        f"`DateDataParser` built once and reused takes {known['dateparser_reused_us']} µs "
        f"({known['times_faster_than_reused']} ×). "
        f"Junk ({junk['strings']} strings up to {junk['longest_chars']} characters): ours median "
        f"{junk['ours_median_us']} µs, max {junk['ours_max_us']} µs (`{junk['slowest']}`, "
        "which has a time and a day-like `2-1` and so reaches dateparser).",
        "",
    ]
    agreement = data["agreement"]
    lines.append(
        f"Both parse {agreement['both_parse']} strings and agree on {agreement['same_instant']}."
    )
    for title, key in (
        ("Disagreements", "disagreements"),
        ("Only ours parses", "only_ours"),
        ("Only dateparser parses", "only_dateparser"),
    ):
        entries = agreement[key]
        lines += ["", f"{title} ({len(entries)}):", ""]
        lines += [
            f"* `{e['text']}` ({e['kind']}): truth {e['truth']}, ours {e['ours']}, dateparser "
            f"{e['dateparser']}" + (f" — {e['why']}" if "why" in e else "")
            for e in entries
        ] or ["* none"]
    return lines


def _crawl(data: dict[str, Any]) -> list[str]:
    site = data["site"]
    lines = [
        "",
        f"## End to end: {data['articles']:,} articles",
        "",
        f"A generated site on 127.0.0.1 ({site['article_kib']} KiB article pages, "
        f"{site['index_pages']} index pages, {site['requests_per_run']:,} requests a run with "
        "robots.txt), served by a `ThreadingHTTPServer` (HTTP/1.1 keep-alive) in the benchmark "
        "process; every run requests exactly the same pages (checked). Settings: "
        + ", ".join(f"`{k}={v}`" for k, v in data["settings"].items())
        + f". {data['repeats']} alternating runs each; CPU and peak RSS are the Scrapy "
        "process's own (`os.wait4` in `benchmarks/launcher.py`).",
        "",
        _row(
            "contender", "wall s", "CPU s", "CPU ms/article", "articles/s", "CPU busy",
            "peak RSS MiB", "server CPU share", "items (wrong)",
        ),
        _row("---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"),
    ]  # fmt: skip
    for kind, row in data["by_kind"].items():
        items = f"{row['items'][0]:,} ({row['items_wrong']})" if row["items"] else "–"
        lines.append(
            _row(
                kind,
                _ms(row["wall_s"]),
                _ms(row["cpu_s"]),
                row["cpu_ms_per_article"],
                row["articles_per_s"],
                _percent(row["cpu_busy"]),
                row["max_rss_mib"]["median"],
                _percent(row["server_cpu_share"]),
                items,
            )
        )
    lines += [
        "",
        "`crawl`: `scrapy crawl articles … -O out.jsonl`. `stock floor`, the do-nothing "
        "spider of the target: `benchmarks/floor_spider.py` by `scrapy runspider` outside the "
        "repository (stock Scrapy settings), requesting the same pages and dropping them "
        "unparsed. `floor`: the same spider in the repository (the project's settings, "
        "middlewares and extensions, `CONCURRENT_ITEMS=1` among them). What-if floors, one run "
        "each, all stock: `CONCURRENT_ITEMS=1` (Scrapy 2.13+ starts that many asyncio tasks "
        "for every response, scrapy/scrapy#5182), `+ parse` builds each page's lxml tree "
        "(`response.selector`), `+ parse + item` also yields a one-field item per article "
        "into `-O` — the least any HTML crawler must do — and `+ lean item` yields the title "
        "and the `article p` texts read with `response.css()`. "
        f"Start-up and shut-down alone cost "
        f"{data['startup_cpu_s']} s CPU. CPU busy ≈ 100 % means the crawler, not the server, "
        "sets the pace; the server's share of a core is the last column.",
    ]
    if large := data.get("large"):
        lines += [
            "",
            f"Peak RSS at {data['articles']:,} vs {large['articles']:,} articles:",
            "",
            _row("contender", "articles", "peak RSS MiB", "CPU ms/article", "wall s"),
            _row("---", "---:", "---:", "---:", "---:"),
        ]
        for kind in ("crawl", "stock floor"):
            small = data["by_kind"][kind]
            lines.append(
                _row(
                    kind,
                    f"{data['articles']:,}",
                    small["max_rss_mib"]["median"],
                    small["cpu_ms_per_article"],
                    small["wall_s"]["median"],
                )
            )
            if kind in large:
                run = large[kind]
                lines.append(
                    _row(
                        kind,
                        f"{large['articles']:,}",
                        run["max_rss_mib"],
                        run["cpu_ms_per_article"],
                        run["wall_s"],
                    )
                )
    return lines


def _profile(data: dict[str, Any], crawl_ms: float | None) -> list[str]:
    lines = ["", "## Where the time goes"]
    if stages := data.get("stages"):
        lines += [
            "",
            f"Page → item by stage, on {stages['pages']} generated pages "
            f"({stages['ours_us_per_page']} µs a page untimed): CPU µs per page of each stage, "
            "exclusive of the stages it calls (a field that first needs the tree does not pay "
            "for it), the least of 3 passes (`benchmarks/profiling.py` `stage_costs`):",
            "",
            _row("stage", "µs/page"),
            _row("---", "---:"),
        ]
        lines += [_row(row["stage"], row["us_per_page"]) for row in stages["stages"]]
    if rows := data.get("cprofile_page_to_item"):
        lines += [
            "",
            "cProfile of page → item (cumulative per page; the profiler inflates small calls):",
            "",
            _row("function", "calls/page", "µs/page"),
            _row("---", "---:", "---:"),
        ]
        lines += [
            _row(f"`{r['function']}`", r["calls_per_page"], r["cumulative_us_per_page"])
            for r in rows
        ]
    crawl = data.get("crawl")
    if crawl and "error" not in crawl:
        lines += [
            "",
            f"py-spy of one `scrapy crawl articles` of {crawl['articles']:,} articles "
            f"({crawl['samples']} samples; {crawl['cpu_ms_per_article_sampled']} ms CPU per "
            "article while sampled): share of the crawler's samples, by what is on the stack, "
            "and that share of the unsampled crawl's CPU per article above (indented rows are "
            "part of the row above them; what no row names is Scrapy's and Twisted's own work: "
            "downloading, scheduling, the engine, signals):",
            "",
            _row("stage", "share of samples", "≈ ms per article"),
            _row("---", "---:", "---:"),
        ]
        lines += [
            _row(
                name.replace("  ", "&nbsp;&nbsp;"),
                _percent(share),
                f"{share * crawl_ms:.3f}" if crawl_ms else "–",
            )
            for name, share in crawl["categories"].items()
        ]
        lines += [
            "",
            "Project functions (inclusive / own share of the crawl's samples):",
            "",
            _row("function", "inclusive", "own"),
            _row("---", "---:", "---:"),
        ]
        lines += [
            _row(f"`{r['function']}`", _percent(r["inclusive"]), _percent(r["own"]))
            for r in crawl["galamedia_functions"]
        ]
    elif crawl:
        lines += ["", f"py-spy: {crawl['error']}"]
    return lines
