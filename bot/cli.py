"""`ocop-bot`: the one entry point. Options before the subcommand: --config, --db."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sqlite3
import sys
from pathlib import Path

from bot.config import Config, ConfigError, load_config

EXIT_USAGE = 2
EXIT_BAD_ROWS = 3


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
    sub.add_parser("telegram", help="run the Telegram bot (long polling)")
    sub.add_parser("zalo", help="run the Zalo bot (long polling)")
    from bot.cli_staff import add_staff_commands

    add_staff_commands(sub)
    serve = sub.add_parser("serve", help="webhooks for Telegram and Zalo, and /healthz")
    serve.add_argument("--set-webhook", metavar="URL", help="register both webhooks under this public URL first")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        config = load_config(args.config, db_override=args.db)
        return asyncio.run(_run(args, config))
    except ConfigError as exc:
        print(f"ocop-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # stdout closed early (e.g. `| head`): not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (OSError, sqlite3.Error) as exc:  # StorageError among them: "<file>: <reason>"
        print(f"ocop-bot: {exc}", file=sys.stderr)
        return 1


async def _run(args: argparse.Namespace, config: Config) -> int:
    from bot.services import build_services

    if args.command in ("telegram", "zalo", "serve"):
        return await _run_platform(args, config)
    services = await build_services(config)
    try:
        if args.command == "chat":
            from bot.console import ConsoleChat

            await ConsoleChat(services, language=args.lang).run()
            return 0
        if args.command == "ask":
            from bot.console import ConsoleChat

            await ConsoleChat(services, language=args.lang).say(" ".join(args.text))
            return 0
        if args.command == "search":
            return await _search(services, " ".join(args.query), args.limit, args.json)
        if args.command == "import":
            return await _import(services, args.file, args.dry_run)
        if args.command in ("announce", "broadcasts", "stats", "sender"):
            from bot.cli_staff import run_staff_command

            return await run_staff_command(args, services)
    finally:
        await services.close()
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


async def _import(services, file: Path, dry_run: bool) -> int:
    from bot.importer import import_file

    if not file.is_file():  # noqa: ASYNC240 - one stat before the work starts
        print(f"ocop-bot: {file}: no such file", file=sys.stderr)
        return EXIT_USAGE
    try:
        plan, (added, updated, _) = await import_file(services.repo, file, dry_run=dry_run)
    except (UnicodeDecodeError, ValueError, OSError) as exc:
        print(f"ocop-bot: {file}: cannot read ({exc.__class__.__name__}: {str(exc)[:200]})", file=sys.stderr)
        return EXIT_USAGE
    for warning in plan.warnings:
        print(f"{file}:{warning.line}: warning: {warning.reason}", file=sys.stderr)
    if plan.errors:
        for error in plan.errors:
            print(f"{file}:{error.line}: {error.reason}", file=sys.stderr)
        rows = len({e.line for e in plan.errors})
        print(f"{rows} bad row(s) in {file}: nothing was imported.", file=sys.stderr)
        return EXIT_BAD_ROWS
    if dry_run:
        print(f"{file}: {len(plan.records)} {plan.table} row(s) valid (dry run, nothing written).")
    else:
        print(f"{file}: {plan.table}: {added} added, {updated} updated.")
    return 0


async def _run_platform(args: argparse.Namespace, config: Config) -> int:
    if args.command == "telegram":
        from bot.telegram.app import run_telegram

        return await run_telegram(config)
    if args.command == "zalo":
        from bot.zalo.polling import run_zalo

        return await run_zalo(config)
    if args.command == "serve":
        from bot.web.serve import run_serve

        return await run_serve(args, config)
    print(f"ocop-bot: '{args.command}' is not available in this build yet", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
