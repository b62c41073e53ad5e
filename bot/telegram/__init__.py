"""The Telegram adapter: python-telegram-bot on one side, the neutral Router on the other.

`app.build_application` wires everything (handlers are registered there and only there);
`app.running` starts long polling and stops it cleanly (tests, benchmarks);
`platform.TelegramPlatform` is what the runtime (`ocop-bot telegram`, `serve`, `sender`)
starts, supervises and stops. Nothing outside this package imports `telegram`.
"""

from bot.telegram.app import build_application, running

__all__ = ["build_application", "running"]
