"""Outbox transports: the platform clients' errors mapped onto the sender's few kinds."""

from __future__ import annotations

from bot.outbox import AuthFailed, Blocked, RateLimited, Transient


def _seconds(value) -> float:
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)


class TelegramTransport:
    platform = "telegram"
    can_edit = True

    def __init__(self, bot) -> None:
        self.bot = bot  # a telegram.Bot, already initialised

    async def send(self, chat_id: str, text: str) -> str | None:
        from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut

        try:
            message = await self.bot.send_message(chat_id=int(chat_id), text=text[:4096])
        except RetryAfter as exc:
            raise RateLimited(_seconds(exc.retry_after)) from None
        except InvalidToken as exc:  # 401 (or 404): the token was revoked, not the recipient's fault
            raise AuthFailed(exc.message) from None
        except Forbidden as exc:
            raise Blocked(exc.message) from None
        except BadRequest as exc:
            if "chat not found" in exc.message.lower() or "user not found" in exc.message.lower():
                raise Blocked(exc.message) from None
            raise Transient(exc.message) from None
        except (TimedOut, NetworkError) as exc:
            raise Transient(str(exc)) from None
        return str(message.message_id)

    async def edit(self, chat_id: str, message_id: str, text: str) -> None:
        await self.bot.edit_message_text(chat_id=int(chat_id), message_id=int(message_id), text=text)


class ZaloTransport:
    platform = "zalo"
    can_edit = False  # the Zalo Bot API cannot edit a sent message

    def __init__(self, client, *, default_retry_after: float = 1.0) -> None:
        self.client = client  # bot.zalo.client.ZaloClient
        # Zalo's 429 "quota exceeded" says no wait time; back off this long by default.
        self.default_retry_after = default_retry_after

    async def send(self, chat_id: str, text: str) -> str | None:
        from bot.zalo.errors import ZaloBadRequest, ZaloError, ZaloForbidden, ZaloRateLimited, ZaloUnauthorized

        try:
            result = await self.client.send_message(chat_id, text[:2000])
        except ZaloRateLimited as exc:
            raise RateLimited(exc.retry_after or self.default_retry_after) from None
        except ZaloForbidden as exc:
            raise Blocked(exc.description) from None
        except ZaloBadRequest as exc:
            if "chat" in (exc.description or "").lower() or "user" in (exc.description or "").lower():
                raise Blocked(exc.description) from None
            raise Transient(exc.description) from None
        except ZaloUnauthorized as exc:
            # A reset token is not a per-recipient problem: pause, resume once it works.
            raise AuthFailed(exc.description) from None
        except ZaloError as exc:
            raise Transient(str(exc)) from None
        return str(result.get("message_id", "")) or None

    async def edit(self, chat_id: str, message_id: str, text: str) -> None:
        raise NotImplementedError("Zalo messages cannot be edited")
