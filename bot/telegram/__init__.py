"""The Telegram adapter: python-telegram-bot on one side, the neutral Router on the other.

`app.build_application` wires everything (handlers are registered there and only there);
`app.running` starts long polling and stops it cleanly; `app.run_polling` is what
`ocop-bot telegram` calls. Nothing outside this package imports `telegram`.
"""

from bot.telegram.app import build_application, run_polling, running

__all__ = ["build_application", "run_polling", "running"]
