"""The one runtime root of `ocop-bot`: every subcommand is built here and torn down here.

For every entry point, in this order:

1. logging, with every secret found in the environment redacted from every log line;
2. the config, validated (a `ConfigError` is one line and exit status 2);
3. storage and the services (the catalogue loaded and indexed);
4. the platforms, Telegram and Zalo, each started in the background on its own: an
   unreachable API is retried with capped backoff and never stops the other platform,
   the web server or the process; only a rejected token disables a platform;
5. the web server (`serve`), the announcement senders, webhook registration, signals.

Each step puts its teardown on one `AsyncExitStack`, so a stop, or a start that fails
half-way, undoes exactly what was done, in reverse order. A failed start is one line on
stderr and a non-zero exit within seconds, never a traceback or a hang.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from bot.config import DATA_DIR, SECRET_VARIABLES, Config, ConfigError, load_config, require_secret
from bot.health import DISABLED, DatabaseProbe, PlatformHealth, SenderStatus, describe_error, end_task
from bot.redaction import redact_tokens_in_logs
from bot.storage import MigrationError

if TYPE_CHECKING:
    from bot.services import Services
    from bot.telegram.platform import TelegramPlatform
    from bot.web.serve import WebService
    from bot.zalo.platform import ZaloPlatform

    Platform = TelegramPlatform | ZaloPlatform

log = logging.getLogger(__name__)

EXIT_FAILED = 1
EXIT_USAGE = 2
PLATFORMS = {"telegram": "TELEGRAM_BOT_TOKEN", "zalo": "ZALO_BOT_TOKEN"}
SENDER_STOP_SECONDS = 15.0  # a sender's round in progress gets this long to finish at shutdown
HOUSEKEEPING_SECONDS = 24 * 3600.0  # retention runs at start, then once a day

Mode = Literal["polling", "webhook", "send"]
Command = Callable[["Runtime", argparse.Namespace], Awaitable[int]]


class StartupError(Exception):
    """A start that cannot go on, phrased for the operator; `status` is the exit status."""

    def __init__(self, message: str, status: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.status = status


# -- the process: logging, config, exit status ----------------------------------------------


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def main(args: argparse.Namespace, command: Command) -> int:
    """Run one subcommand from parsed arguments; returns the exit status."""
    threads_before = set(threading.enumerate())
    status = _main(args, command)
    _exit_if_threads_linger(threads_before, status)
    return status


def _exit_if_threads_linger(before: set[threading.Thread], status: int, grace: float = 2.0) -> None:
    """Never hang at exit: a non-daemon thread left running (e.g. a database connection that a
    failed start did not close) would keep the interpreter alive after `main` returns."""
    deadline = time.monotonic() + grace
    for thread in set(threading.enumerate()) - before:
        if not thread.daemon:
            thread.join(max(0.0, deadline - time.monotonic()))
    lingering = [t.name for t in set(threading.enumerate()) - before if not t.daemon and t.is_alive()]
    if lingering:
        log.debug("threads still running at exit: %s", ", ".join(lingering))
        _hard_exit(status)


def _hard_exit(status: int) -> None:
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)


def _main(args: argparse.Namespace, command: Command) -> int:
    configure_logging(args.verbose)
    # Before anything can log: the tokens sit in request URLs, which httpx logs at INFO.
    remove_redaction = redact_tokens_in_logs(*(os.environ.get(name, "").strip() for name in SECRET_VARIABLES))
    try:
        config = load_config(args.config, db_override=args.db)
        return asyncio.run(_run(config, args, command))
    except ConfigError as exc:
        _say(exc)
        return EXIT_USAGE
    except StartupError as exc:
        _say(exc)
        return exc.status
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # stdout closed early (e.g. `| head`): not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (OSError, sqlite3.Error, MigrationError) as exc:
        _say(exc)
        return EXIT_FAILED
    finally:
        remove_redaction()


def _say(error: BaseException) -> None:
    print(f"ocop-bot: {error}", file=sys.stderr)


async def _run(config: Config, args: argparse.Namespace, command: Command) -> int:
    async with Runtime(config) as runtime:
        return await command(runtime, args)


# -- the runtime --------------------------------------------------------------------------


class Runtime:
    """What one process runs, built step by step and torn down in reverse on exit."""

    def __init__(
        self,
        config: Config,
        *,
        env: Mapping[str, str] | None = None,
        data_dir: Path = DATA_DIR,
        today: Callable[[], date] | None = None,
        retry_delays: tuple[float, float] = (1.0, 60.0),
    ) -> None:
        self.config = config
        self.env = os.environ if env is None else env
        self.data_dir = data_dir
        self.today = today
        self.retry_delays = retry_delays  # first and longest wait between attempts to reach a platform
        self.stack = AsyncExitStack()
        self.stop = asyncio.Event()  # set: finish cleanly
        self.force = asyncio.Event()  # set by a second signal: don't wait for long polls
        self.health = {name: PlatformHealth(name) for name in PLATFORMS}
        self.platforms: dict[str, Platform] = {}
        self.senders: dict[str, SenderStatus] = {}
        self.services: Services | None = None
        self.web: WebService | None = None
        self._failure: StartupError | None = None

    async def __aenter__(self) -> Runtime:
        secrets = [self.secret(name) for name in SECRET_VARIABLES]
        self.stack.callback(redact_tokens_in_logs(*secrets))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.stop.set()
        await self.stack.aclose()

    # -- configuration --------------------------------------------------------------------

    def secret(self, name: str) -> str | None:
        return (self.env.get(name) or "").strip() or None

    def require(self, name: str) -> str:
        return require_secret(name, self.env)

    @contextlib.asynccontextmanager
    async def starting(self) -> AsyncIterator[None]:
        """Wrap start-up steps: an unexpected failure there is one line, not a traceback."""
        try:
            yield
        except (ConfigError, StartupError, OSError, sqlite3.Error, MigrationError):
            raise
        except Exception as exc:
            log.debug("start-up failed", exc_info=True)
            raise StartupError(f"start-up failed: {describe_error(exc)}") from None

    # -- steps ----------------------------------------------------------------------------

    async def open_services(self) -> Services:
        from bot.services import build_services

        self.services = await build_services(self.config, data_dir=self.data_dir, today=self.today)
        self.stack.push_async_callback(self.services.close)
        return self.services

    def add_platforms(self, tokens: Mapping[str, str | None], mode: Mode) -> None:
        """Build the platforms whose token is set (no network yet); the others are `disabled`."""
        assert self.services is not None, "open_services() first"
        for name, variable in PLATFORMS.items():
            token = tokens.get(name)
            if not token:
                self.health[name].disable(f"{variable} not set")
                continue
            platform = self._build_platform(name, token, mode)
            self.health[name].starting()
            self.platforms[name] = platform
            self.stack.push_async_callback(platform.close)

    def _build_platform(self, name: str, token: str, mode: Mode) -> Platform:
        assert self.services is not None
        common = {"mode": mode, "health": self.health[name], "stop": self.stop, "retry_delays": self.retry_delays}
        if name == "telegram":
            from bot.telegram.platform import TelegramPlatform

            return TelegramPlatform(self.services, token, max_pending=self.config.web.inbox_max_pending, **common)
        from bot.zalo.platform import ZaloPlatform

        return ZaloPlatform(
            self.services, token, force=self.force, max_pending=self.config.web.inbox_max_pending, **common
        )

    async def go_live(self) -> None:
        """Start the platforms (each in the background: this returns at once, reachable or
        not), their announcement senders, and the stop signals."""
        for platform in self.platforms.values():
            await platform.start()
        self.start_senders()
        self.start_housekeeping()
        self.install_signals()

    def start_housekeeping(self, every: float = HOUSEKEEPING_SECONDS) -> None:
        """Retention: the search log and saved search texts older than [bot] history_days are
        deleted now and then once a day, while the process runs."""
        assert self.services is not None
        task = asyncio.create_task(self._housekeeping(every), name="housekeeping")
        self.stack.push_async_callback(end_task, task, 0.0)

    async def _housekeeping(self, every: float) -> None:
        assert self.services is not None
        days = self.config.bot.history_days
        while not self.stop.is_set():
            try:
                searches, saved = await self.services.repo.prune_history(days)
                if searches or saved:
                    log.info(
                        "retention: %d search log rows, %d saved searches older than %d days", searches, saved, days
                    )
            except Exception as exc:  # the next round tries again; chats go on meanwhile
                log.warning("retention failed: %s", describe_error(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), every)

    async def start_web(
        self, secret: str, *, host: str | None = None, port: int | None = None, max_pending: int | None = None,
    ) -> WebService:  # fmt: skip
        from bot.storage.inbox import inbox_path
        from bot.web.app import WebState
        from bot.web.serve import WebService
        from bot.zalo.inbox import ZaloInbox

        assert self.services is not None
        section = self.config.web
        state = WebState(
            self.services, secret, section.max_body_bytes, health=self.health, senders=self.senders,
            database=DatabaseProbe(self.config.database_path),
            inbox=DatabaseProbe(inbox_path(self.config.database_path)),
        )  # fmt: skip
        limit = section.inbox_max_pending if max_pending is None else max_pending
        zalo = self.platforms.get("zalo")
        if zalo is not None:
            state.zalo = ZaloInbox(zalo.bot, max_pending=limit, health=zalo.health, stop=self.stop)
        telegram = self.platforms.get("telegram")
        if telegram is not None:
            state.telegram = telegram  # type: ignore[assignment]
            state.telegram_inbox = telegram.inbox_workers(max_pending=limit)  # type: ignore[attr-defined]
        from bot.web.pages import build_pages

        state.pages = build_pages(self.services, bot_username=self._bot_username)
        web = WebService(
            state, host=host or section.host, port=section.port if port is None else port,
            max_connections=section.max_connections, request_seconds=section.request_seconds,
            keep_alive_seconds=section.keep_alive_seconds,
        )  # fmt: skip
        self.web = await self.stack.enter_async_context(web)
        return web

    def _bot_username(self) -> str:
        """For "ask the bot" links: `[telegram] username`, else what getMe told, else ""."""
        if self.config.telegram.username:
            return self.config.telegram.username
        telegram = self.platforms.get("telegram")
        try:
            return telegram.bot.username if telegram is not None else ""  # type: ignore[attr-defined]
        except Exception:  # not initialised yet (Telegram not reached)
            return ""

    def start_senders(self) -> None:
        """One announcement sender per platform; each waits while its platform is down."""
        from bot.outbox_runtime import run_sender

        assert self.services is not None
        rates = {"telegram": self.config.broadcast.telegram_rate, "zalo": self.config.broadcast.zalo_rate}
        for name, platform in self.platforms.items():
            status = self.senders[name] = SenderStatus(name)
            task = asyncio.create_task(
                run_sender(
                    self.services, platform.transport, self.stop, rate=rates[name], health=platform.health,
                    status=status,
                ),
                name=f"{name}-sender",
            )  # fmt: skip
            self.stack.push_async_callback(end_task, task, SENDER_STOP_SECONDS)

    def register_webhooks(self, public_url: str, secret: str) -> None:
        """Register each platform's webhook once it answers (in the background)."""
        from bot.web.serve import WEBHOOK_PATHS

        base = public_url.rstrip("/")
        for name, platform in self.platforms.items():
            task = asyncio.create_task(self._register(platform, base + WEBHOOK_PATHS[name], secret))
            self.stack.push_async_callback(end_task, task, 0.0)

    async def _register(self, platform: Platform, url: str, secret: str) -> None:
        health = platform.health
        while not self.stop.is_set():
            if not health.ok:
                if health.state == DISABLED:
                    return
                await health.wait_change(self.stop)
                continue
            try:
                await platform.set_webhook(url, secret)
            except Exception as exc:
                if not health.ok:
                    continue  # an outage: try again when the platform is back
                self.fail(StartupError(f"setting the {platform.name} webhook failed: {describe_error(exc)}"))
                return
            log.warning("%s webhook set to %s", platform.name, url)
            return

    def install_signals(self) -> None:
        """The first SIGINT/SIGTERM stops cleanly; a second one stops without waiting for long polls."""
        loop = asyncio.get_running_loop()

        def on_signal() -> None:
            if self.stop.is_set():
                self.force.set()
                return
            log.warning("stop requested; shutting down")
            self.stop.set()

        installed = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # not on this platform/thread
                loop.add_signal_handler(sig, on_signal)
                installed.append(sig)
        self.stack.callback(lambda: [loop.remove_signal_handler(sig) for sig in installed])

    # -- running --------------------------------------------------------------------------

    def fail(self, error: StartupError) -> None:
        """Stop the process with this error (the first one wins)."""
        log.error("%s", error)
        if self._failure is None:
            self._failure = error
        self.stop.set()

    async def run_until_stopped(self) -> int:
        """Until a signal (exit 0) or a failure; a rejected token on every platform is exit 2."""
        platforms = list(self.platforms.values())
        while not self.stop.is_set():
            if platforms and all(p.health.state == DISABLED for p in platforms):
                raise ConfigError("; ".join(p.health.reason for p in platforms))
            waits = [asyncio.ensure_future(p.health.wait_change(self.stop)) for p in platforms]
            waits.append(asyncio.ensure_future(self.stop.wait()))
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for wait in waits:
                    wait.cancel()
        if self._failure is not None:
            raise self._failure
        return 0


# -- the long-running commands ----------------------------------------------------------


def _tokens(runtime: Runtime) -> dict[str, str | None]:
    return {name: runtime.secret(variable) for name, variable in PLATFORMS.items()}


def polling_command(name: str) -> Command:
    """`ocop-bot telegram` / `ocop-bot zalo`: long polling, and that platform's announcement sender."""

    async def command(runtime: Runtime, args: argparse.Namespace) -> int:
        async with runtime.starting():
            token = runtime.require(PLATFORMS[name])
            await runtime.open_services()
            runtime.add_platforms({name: token}, mode="polling")
            await runtime.go_live()
        return await runtime.run_until_stopped()

    return command


telegram_command = polling_command("telegram")
zalo_command = polling_command("zalo")


async def serve_command(runtime: Runtime, args: argparse.Namespace) -> int:
    """`ocop-bot serve`: webhooks for both platforms, /healthz, and the senders."""
    from bot.web.serve import SECRET_RE

    async with runtime.starting():
        tokens = _tokens(runtime)
        public_url = args.set_webhook
        if any(tokens.values()):
            secret = runtime.require("OCOP_WEBHOOK_SECRET")
            if not SECRET_RE.fullmatch(secret):
                raise ConfigError("OCOP_WEBHOOK_SECRET must be 8-256 characters of A-Z, a-z, 0-9, _ and -")
        elif public_url:
            raise ConfigError("--set-webhook: TELEGRAM_BOT_TOKEN and ZALO_BOT_TOKEN are both unset")
        else:
            # The web catalogue alone (QR labels, links shared by hand): no webhook to guard.
            secret = ""
            log.warning("serve: TELEGRAM_BOT_TOKEN and ZALO_BOT_TOKEN are unset: the web catalogue only")
        if public_url and not public_url.startswith(("https://", "http://")):
            raise ConfigError(f"--set-webhook: {public_url!r} is not an http(s) URL")
        await runtime.open_services()
        runtime.add_platforms(tokens, mode="webhook")
        await runtime.start_web(secret)  # listening before any platform is asked anything
        await runtime.go_live()
        if public_url:
            # After we listen: Zalo may probe the URL while registering it.
            runtime.register_webhooks(public_url, secret)
    return await runtime.run_until_stopped()


async def sender_command(runtime: Runtime, args: argparse.Namespace) -> int:
    """`ocop-bot sender`: the announcement senders alone, for the platforms whose token is set."""
    async with runtime.starting():
        tokens = _tokens(runtime)
        if not any(tokens.values()):
            raise ConfigError("TELEGRAM_BOT_TOKEN and ZALO_BOT_TOKEN are both unset: the sender needs at least one")
        await runtime.open_services()
        runtime.add_platforms(tokens, mode="send")
        await runtime.go_live()
    return await runtime.run_until_stopped()


def with_services(body: Callable[[Services, argparse.Namespace], Awaitable[int]]) -> Command:
    """A command that needs only storage and the services (chat, ask, search, import, staff)."""

    async def command(runtime: Runtime, args: argparse.Namespace) -> int:
        async with runtime.starting():
            services = await runtime.open_services()
        return await body(services, args)

    return command
