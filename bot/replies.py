"""Platform-neutral requests and replies.

Adapters (console, Telegram, Zalo) translate platform updates into a `Request`
and render each `Reply` back. Nothing here knows about any platform.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float


@dataclass(frozen=True)
class Attachment:
    """A file the user sent (staff upload a CSV/XLSX catalogue sheet)."""

    file_name: str
    content: bytes
    too_large: bool = False  # over the upload limit: the adapter did not download it


@dataclass(frozen=True)
class Request:
    """One thing a user did: typed text, sent a command, chose an option or shared a location."""

    platform: str  # "console" | "telegram" | "zalo"
    chat_id: str
    user_id: str
    text: str = ""  # free text, or the arguments of a command
    command: str | None = None  # "start", "help", "search", ... without the slash
    action: str | None = None  # the `action` of a Choice the user picked
    location: Location | None = None
    language: str | None = None  # the platform's hint ("vi", "en-US"), if any
    display_name: str = ""
    attachment: Attachment | None = None
    # The actions (button data) of the bot message this one replies to, where the platform has
    # replies (Telegram): "ok" in reply to an announcement preview confirms that preview.
    reply_to_actions: tuple[str, ...] = ()
    # A group chat (not a private one), and whether the sender is one of its admins: None when
    # the platform cannot tell (Zalo) or the adapter did not ask (only asked for group-changing
    # commands: unsubscribe, forget).
    is_group: bool = False
    is_group_admin: bool | None = None


@dataclass(frozen=True)
class Choice:
    """An option the user can pick: a button on Telegram, a numbered line elsewhere.

    `action` is a packed typed action (handlers/actions.py: a frozen dataclass per action,
    declared beside the handler that owns it), a short ASCII string under 64 bytes
    (Telegram's callback_data limit), e.g. `ProductCard(12).pack()` == "p:12".
    """

    label: str
    action: str


@dataclass(frozen=True)
class Pin:
    """A place to show on a map. `approximate` means the coordinate is a locality centre."""

    title: str
    address: str
    lat: float
    lon: float
    approximate: bool
    map_url: str
    distance_km: float | None = None


@dataclass(frozen=True)
class ShareCard:
    """What a product looks like when shared (Telegram inline mode)."""

    product_id: int
    title: str
    description: str
    text: str


@dataclass(frozen=True)
class Reply:
    text: str
    choices: tuple[Choice, ...] = ()
    pins: tuple[Pin, ...] = ()
    ask_location: bool = False  # offer a "send my location" button where the platform has one
    share: ShareCard | None = None  # a product card can offer "share"
    language: str = "vi"
    # What kind of answer this is ("stars", "card", "results", "places", "smalltalk", ...) and the
    # products it presents as answers, best first: adapters ignore both; quality suites read them.
    kind: str = ""
    product_ids: tuple[int, ...] = ()
    # The web page about this answer (product page, map of places) when `[web] public_url` is
    # set, else "": Zalo adds it as a link line, Telegram as a URL button.
    web_url: str = ""
