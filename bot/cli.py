"""`ocop-bot`: the one entry point. Options before the subcommand: --config, --db."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

EXIT_USAGE = 2
EXIT_BAD_ROWS = 3
IMPORT_NICENESS = 10  # `ocop-bot import` yields the CPU to the bots on the same machine


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ocop-bot", description="OCOP Lào Cai product bot")
    parser.add_argument("--config", help="config file (default: $OCOP_CONFIG or ./config.toml)")
    parser.add_argument("--db", help="SQLite database file (overrides [database] path)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True)
    chat = sub.add_parser("chat", help="talk to the bot on stdin/stdout")
    chat.add_argument("--lang", choices=("vi", "en"), help="answer in this language")
    ask = sub.add_parser("ask", help="answer one message, as the bot would")
    ask.add_argument("text", nargs="+")
    ask.add_argument("--lang", choices=("vi", "en"))
    search = sub.add_parser("search", help="search the catalogue")
    search.add_argument("query", nargs="+")
    search.add_argument("--limit", type=int, default=5)
    search.add_argument("--json", action="store_true", help="one JSON list on stdout")
    imp = sub.add_parser("import", help="import products, places or events from CSV/XLSX (all or nothing)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
    imp.add_argument("--sheet", help="the sheet of an .xlsx file to read (default: the first)")
    exp = sub.add_parser("export", help="write the catalogue in the columns `import` reads (.xlsx or .csv)")
    exp.add_argument("file", type=Path)
    exp.add_argument(
        "--table", choices=("products", "places", "events"),
        help="default: from the file name (places…, events…), else products",
    )  # fmt: skip
    sub.add_parser("telegram", help="run the Telegram bot (long polling)")
    sub.add_parser("zalo", help="run the Zalo bot (long polling)")
    from bot.cli_staff import add_staff_commands

    add_staff_commands(sub)
    from bot.cli_labels import add_labels_command

    add_labels_command(sub)
    sub.add_parser(
        "hash-password", help="print a hash for [web] staff_password_hash (password read from the terminal or stdin)"
    )
    serve = sub.add_parser("serve", help="webhooks for Telegram and Zalo, the web pages and /healthz")
    serve.add_argument("--set-webhook", metavar="URL", help="register both webhooks under this public URL first")
    return parser


def main(argv: list[str] | None = None) -> int:
    from bot import runtime

    args = build_parser().parse_args(argv)
    if args.command == "hash-password":  # no config, no database: a password in, a hash out
        return _hash_password()
    return runtime.main(args, _command(args.command))


def _hash_password() -> int:
    import getpass

    from bot.passwords import MAX_PASSWORD, hash_password

    if sys.stdin.isatty():
        password = getpass.getpass("Staff password: ")
        if getpass.getpass("Again: ") != password:
            print("ocop-bot: the two passwords differ", file=sys.stderr)
            return EXIT_USAGE
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not 8 <= len(password) <= MAX_PASSWORD:
        print(f"ocop-bot: the password must be 8 to {MAX_PASSWORD} characters", file=sys.stderr)
        return EXIT_USAGE
    print(hash_password(password))
    return 0


def _command(name: str):
    """The subcommand's body; the runtime builds what it needs around it (bot.runtime)."""
    from bot import runtime

    long_running = {
        "telegram": runtime.telegram_command,
        "zalo": runtime.zalo_command,
        "serve": runtime.serve_command,
        "sender": runtime.sender_command,
    }
    if name in long_running:
        return long_running[name]
    if name in ("announce", "broadcasts", "stats"):
        from bot.cli_staff import run_staff_command

        return runtime.with_services(run_staff_command)
    if name == "labels":
        from bot.cli_labels import run_labels

        return runtime.with_services(run_labels)
    return runtime.with_services(_with_services)


async def _with_services(services, args: argparse.Namespace) -> int:
    if args.command in ("chat", "ask"):
        from bot.console import ConsoleChat

        chat = ConsoleChat(services, language=args.lang)
        await (chat.run() if args.command == "chat" else chat.say(" ".join(args.text)))
        return 0
    if args.command == "search":
        return await _search(services, " ".join(args.query), args.limit, args.json)
    if args.command == "import":
        return await _import(services, args.file, args.dry_run, args.sheet)
    if args.command == "export":
        return await _export(services, args.file, args.table)
    return EXIT_USAGE


async def _search(services, query: str, limit: int, as_json: bool) -> int:
    from bot.text import clean_input

    if limit < 1:
        print("ocop-bot: --limit must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    snapshot = await services.catalogue.get()
    result = snapshot.index.search(clean_input(query), limit=limit)
    hits = result.hits[:limit]
    if as_json:
        rows = [
            {
                "id": h.product.id,
                "name": h.product.name,
                "qualifier": h.product.qualifier or None,
                "stars": h.product.star,
                "producer": h.product.producer or None,
                "area": h.product.area or None,
                "former_province": h.product.former_province or None,
                "category": h.product.category or None,
                "english_name": h.product.english_name or None,
                "score": h.score,
                # Filters the query named that no product met, so these answers do without them.
                "filters_dropped": list(result.relaxed),
            }  # fmt: skip
            for h in hits
        ]
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    if not hits:
        print(f"no confident match for {query!r}")
        for product in result.suggestions:
            print(f"  did you mean: {product.display_name}")
        return 0
    for h in hits:
        star = f"{h.product.star}★" if h.product.star else "?★"
        print(f"{h.score:.2f}  [{h.product.id}] {h.product.display_name}  {star}  {h.product.area}")
    return 0


async def _import(services, file: Path, dry_run: bool, sheet: str | None) -> int:
    from bot.catalogue_io.report import report_lines
    from bot.importer import FileRefused, import_file

    if not file.is_file():  # noqa: ASYNC240 - one stat before the work starts
        print(f"ocop-bot: {file}: no such file", file=sys.stderr)
        return EXIT_USAGE
    # A batch job beside the bots on a small machine: reading and matching a large list takes
    # seconds of CPU, which the chats need more (the soak's replies waited on it).
    with contextlib.suppress(OSError):
        os.nice(IMPORT_NICENESS)
    try:
        plan, (added, updated, _) = await import_file(
            services.repo, file, dry_run=dry_run, limits=services.config.import_, sheet=sheet
        )
    except FileRefused as exc:
        print(f"ocop-bot: {file}: not imported: {exc}", file=sys.stderr)
        return EXIT_USAGE

    def t(key: str, **values) -> str:
        return services.i18n.t("en", key, **values)

    if plan.errors:
        for warning in plan.warnings:
            print(f"{file}:{warning.line}: warning: {warning.reason}", file=sys.stderr)
        for error in plan.errors:
            print(f"{file}:{error.line}: {error.reason}", file=sys.stderr)
        rows = len({e.line for e in plan.errors})
        print(f"{rows} bad row(s) in {file}: nothing was imported.", file=sys.stderr)
        return EXIT_BAD_ROWS
    print(f"{file}:")
    for line in report_lines(plan, t):
        print(line)
    if dry_run:
        print(t("staff.import_dry_run"))
    elif plan.added or plan.updated:
        print(f"{file}: {plan.table}: {added} added, {updated} updated.")
    return 0


async def _export(services, file: Path, table: str | None) -> int:
    from bot.catalogue_io.export import export_file, table_for

    table = table or table_for(file)
    if file.suffix.lower() not in (".xlsx", ".csv"):
        print(f"ocop-bot: {file}: write .xlsx or .csv", file=sys.stderr)
        return EXIT_USAGE
    try:
        count = await export_file(services.repo, file, table)
    except OSError as exc:
        print(f"ocop-bot: {file}: cannot write ({exc.strerror})", file=sys.stderr)
        return EXIT_USAGE
    print(f"{file}: {count} {table} row(s) written; edit it and load it back with `ocop-bot import {file.name}`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
