"""Typed configuration: `config.toml` (every key optional) plus secrets from the environment."""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

from bot.passwords import well_formed

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"

_URL_RE = re.compile(r"https?://[^\s/?#]+(/[^\s?#]*)?")

SECRET_VARIABLES = ("TELEGRAM_BOT_TOKEN", "ZALO_BOT_TOKEN", "OCOP_WEBHOOK_SECRET")


class ConfigError(Exception):
    """A configuration problem, phrased for the person who must fix it."""


@dataclass(frozen=True)
class BotSection:
    default_language: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    # How long a numbered list stays answerable by its numbers (console, Zalo).
    choice_ttl_minutes: int = 60
    page_size: int = 5
    # Retention: the search log and saved search texts older than this are deleted daily.
    history_days: int = 180


@dataclass(frozen=True)
class DatabaseSection:
    path: str = "data/ocop.sqlite3"


@dataclass(frozen=True)
class TelegramSection:
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    # Per-user messages allowed in `flood_window_seconds` before "slow down".
    flood_messages: int = 8
    flood_window_seconds: int = 10
    # The bot's @username (without @) for "ask the bot" links on the web pages; "": the one
    # Telegram gives (getMe) once it has answered, no link before that.
    username: str = ""


@dataclass(frozen=True)
class ZaloSection:
    base_url: str = "https://bot-api.zaloplatforms.com"
    poll_timeout: int = 30
    # A link that opens a chat with the bot in Zalo (e.g. https://zalo.me/<id>), shown on the
    # web pages as "ask the bot on Zalo"; "": no such button.
    chat_url: str = ""


@dataclass(frozen=True)
class AdminsSection:
    telegram: tuple[int, ...] = ()
    zalo: tuple[str, ...] = ()


@dataclass(frozen=True)
class BroadcastSection:
    telegram_rate: float = 25.0
    zalo_rate: float = 5.0
    max_attempts: int = 5
    # A delivery that keeps failing (5xx, network) is retried with backoff (up to an hour
    # apart) for this long before it is 'failed'.
    retry_hours: float = 6.0
    reminder_days: int = 3
    # An announcement draft not confirmed within this many minutes can no longer be sent.
    draft_ttl_minutes: int = 30


@dataclass(frozen=True)
class WebSection:
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 1_000_000
    inbox_max_pending: int = 10_000  # webhook updates waiting to be answered; beyond: 503
    # An update not answered within this many hours (the platform was down that long) is
    # given up as `expired`: an answer days late helps nobody. Telegram keeps updates 24 h.
    inbox_answer_hours: float = 24.0
    max_connections: int = 0  # open connections at once; 0: from the descriptor limit
    request_seconds: float = 5.0  # a request (headers and body) must arrive whole within this
    keep_alive_seconds: int = 5  # an idle keep-alive connection is closed after this
    # The address people reach the server at (https://ocop.example.vn): links in the bot's
    # replies, QR labels (`ocop-bot labels`), absolute URLs in pages. "": no links in replies.
    public_url: str = ""
    # Map tiles of the /places page ({z}/{x}/{y}); its host is allowed in the pages' CSP.
    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    # Staff pages (/staff): a hash from `ocop-bot hash-password`; "": staff pages refuse every login.
    staff_password_hash: str = ""
    staff_session_minutes: int = 120


@dataclass(frozen=True)
class ImportSection:
    """Limits on catalogue files (`ocop-bot import`, staff uploads), checked before the work:
    a file over one is refused with a one-line reason and nothing is written."""

    max_file_bytes: int = 10_000_000  # the file as sent
    max_unpacked_bytes: int = 50_000_000  # an XLSX is a zip: what its parts unpack to, all told
    max_rows: int = 20_000  # rows read (titles and blanks included); the province lists ~600 products
    max_columns: int = 100
    max_cell_chars: int = 5_000  # one cell; a longer one is a broken quote or not a list
    max_cell_lines: int = 20  # line breaks inside one quoted CSV cell


@dataclass(frozen=True)
class Config:
    bot: BotSection = field(default_factory=BotSection)
    database: DatabaseSection = field(default_factory=DatabaseSection)
    telegram: TelegramSection = field(default_factory=TelegramSection)
    zalo: ZaloSection = field(default_factory=ZaloSection)
    admins: AdminsSection = field(default_factory=AdminsSection)
    broadcast: BroadcastSection = field(default_factory=BroadcastSection)
    web: WebSection = field(default_factory=WebSection)
    import_: ImportSection = field(default_factory=ImportSection)  # [import] in the file
    # Where relative paths in the file are resolved from.
    base_dir: Path = field(default_factory=Path.cwd)

    @property
    def database_path(self) -> Path:
        path = Path(self.database.path).expanduser()
        return path if path.is_absolute() else self.base_dir / path


# Every numeric key with its allowed range (inclusive; None: no upper bound). A numeric key
# missing here is a programming error (a test checks); values outside are a ConfigError naming
# the key.
BOUNDS: dict[tuple[str, str], tuple[float, float | None]] = {
    ("bot", "choice_ttl_minutes"): (1, 7 * 24 * 60),
    ("bot", "page_size"): (1, 20),
    ("bot", "history_days"): (1, 3650),
    ("telegram", "flood_messages"): (1, 1000),
    ("telegram", "flood_window_seconds"): (1, 3600),
    ("zalo", "poll_timeout"): (1, 600),  # 0 or negative would ask again at once, in a tight loop
    ("broadcast", "telegram_rate"): (0.01, 1000),
    ("broadcast", "zalo_rate"): (0.01, 1000),
    ("broadcast", "max_attempts"): (1, 1000),
    ("broadcast", "retry_hours"): (0.01, 720),  # a failing delivery is retried this long (30 days at most)
    ("broadcast", "reminder_days"): (0, 365),
    ("broadcast", "draft_ttl_minutes"): (1, 24 * 60),
    ("web", "port"): (1, 65535),
    ("web", "max_body_bytes"): (1, 100_000_000),
    ("web", "inbox_max_pending"): (1, 10_000_000),
    ("web", "inbox_answer_hours"): (0.01, 720),
    ("web", "max_connections"): (0, 1_000_000),  # 0: from the descriptor limit
    ("web", "request_seconds"): (0.1, 600),
    ("web", "keep_alive_seconds"): (1, 3600),
    ("web", "staff_session_minutes"): (1, 7 * 24 * 60),
    ("import", "max_file_bytes"): (1_000, 1_000_000_000),
    ("import", "max_unpacked_bytes"): (1_000, 4_000_000_000),
    ("import", "max_rows"): (10, 10_000_000),
    ("import", "max_columns"): (5, 16_384),
    ("import", "max_cell_chars"): (100, 1_000_000),
    ("import", "max_cell_lines"): (1, 10_000),
}


def _toml_name(field_name: str) -> str:
    """The section's name in config.toml ("import" is a Python keyword: the field is import_)."""
    return field_name.rstrip("_")


def numeric_keys() -> list[tuple[str, str]]:
    """Every (section, key) of the config whose value is a number."""
    hints = get_type_hints(Config)
    found = []
    for section in fields(Config):
        if section.name == "base_dir":
            continue
        cls = hints[section.name]
        found += [(_toml_name(section.name), key) for key, kind in get_type_hints(cls).items() if kind in (int, float)]
    return found


def _check_ranges(config: Config) -> None:
    for section, key in numeric_keys():
        value = getattr(getattr(config, section if section != "import" else "import_"), key)
        low, high = BOUNDS.get((section, key), (0, None))
        if not math.isfinite(value) or value < low or (high is not None and value > high):
            allowed = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
            raise ConfigError(f"[{section}] {key}: must be {allowed}, got {value!r}")


def _coerce(section: str, key: str, value: Any, wanted: Any) -> Any:
    where = f"[{section}] {key}"
    if wanted is bool:
        if isinstance(value, bool):
            return value
    elif wanted is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif wanted is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif wanted is str:
        if isinstance(value, str):
            return value
    elif wanted in (tuple[int, ...], tuple[str, ...]):
        item_type = wanted.__args__[0]
        if isinstance(value, list):
            out = []
            for item in value:
                if item_type is str and isinstance(item, (str, int)) and not isinstance(item, bool):
                    out.append(str(item))
                elif item_type is int and isinstance(item, int) and not isinstance(item, bool):
                    out.append(item)
                else:
                    raise ConfigError(f"{where}: every item must be {item_type.__name__}, got {item!r}")
            return tuple(out)
        raise ConfigError(f"{where}: must be a list, got {value!r}")
    name = getattr(wanted, "__name__", str(wanted))
    raise ConfigError(f"{where}: must be {name}, got {value!r}")


def _section(name: str, cls: type, raw: Any) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"[{name}] must be a table")
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"[{name}] {unknown[0]}: unknown key (known: {', '.join(sorted(known))})")
    values = {key: _coerce(name, key, value, hints[key]) for key, value in raw.items()}
    return cls(**values)


def _validate(config: Config) -> None:
    _check_ranges(config)
    checks = [
        (config.bot.default_language in ("vi", "en"), "[bot] default_language: must be 'vi' or 'en'"),
        (config.telegram.base_url.startswith(("http://", "https://")), "[telegram] base_url: must be an http(s) URL"),
        (config.zalo.base_url.startswith(("http://", "https://")), "[zalo] base_url: must be an http(s) URL"),
        (bool(config.database.path.strip()), "[database] path: must not be empty"),
        (
            config.web.public_url == "" or _URL_RE.fullmatch(config.web.public_url) is not None,
            "[web] public_url: must be an http(s) URL, e.g. 'https://ocop.example.vn', or empty",
        ),
        (
            all(f"{{{k}}}" in config.web.tile_url for k in "zxy")
            and config.web.tile_url.startswith(("https://", "http://", "/")),
            "[web] tile_url: must be an http(s) URL or a /path with {z}, {x} and {y}",
        ),
        (
            re.fullmatch(r"[A-Za-z0-9_]{0,64}", config.telegram.username) is not None,
            "[telegram] username: the bot's username without @ (letters, digits, _)",
        ),
        (
            config.zalo.chat_url == "" or config.zalo.chat_url.startswith("https://"),
            "[zalo] chat_url: must be an https URL, or empty",
        ),
        (
            config.web.staff_password_hash == "" or well_formed(config.web.staff_password_hash),
            "[web] staff_password_hash: not a hash from `ocop-bot hash-password` (scrypt$...)",
        ),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(message)
    _check_timezone(config.bot.timezone)


def _check_timezone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ConfigError(f"[bot] timezone: unknown time zone {name!r} (e.g. 'Asia/Ho_Chi_Minh')") from None


def load_config(path: str | Path | None = None, *, db_override: str | None = None) -> Config:
    """Read the config file (explicit path, else $OCOP_CONFIG, else ./config.toml if present)."""
    explicit = path or os.environ.get("OCOP_CONFIG")
    file = Path(explicit).expanduser() if explicit else Path("config.toml")
    raw: dict[str, Any] = {}
    base_dir = Path.cwd()
    if file.exists():
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: not valid TOML ({exc})") from None
        except OSError as exc:
            raise ConfigError(f"{file}: cannot be read ({exc.strerror})") from None
        base_dir = file.resolve().parent
    elif explicit:
        raise ConfigError(f"{file}: config file not found")

    sections = {_toml_name(f.name): f.name for f in fields(Config) if f.name != "base_dir"}
    hints = get_type_hints(Config)
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in sections:
            raise ConfigError(f"[{name}]: unknown section (known: {', '.join(sections)})")
        values[sections[name]] = _section(name, hints[sections[name]], value)
    config = Config(**values, base_dir=base_dir)
    if db_override:
        config = Config(
            **{f.name: getattr(config, f.name) for f in fields(Config) if f.name != "database"},
            database=DatabaseSection(path=str(Path(db_override).expanduser().resolve())),
        )
    _validate(config)
    return config


def require_secret(name: str, env: Mapping[str, str] | None = None) -> str:
    """Secrets come only from the environment; a missing one is a ConfigError naming it."""
    value = (os.environ if env is None else env).get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set: export {name}=... (secrets are read only from the environment)")
    return value
