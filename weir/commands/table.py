"""CommandSpec and the registry, in the shape of Redis's command JSON files.

Three kinds of handler, chosen by flags:
  - "write": runs only inside apply (StateMachine), as `handler(ctx, argv)`.
    The dispatcher turns the argv into a log entry; it never runs it itself.
  - "readonly" (or neither): runs on local state as `handler(ctx, argv)`.
  - "session": needs the connection (SELECT, MULTI, SUBSCRIBE, CLIENT, ...),
    runs as `handler(client, argv)` on the connection side.
Arity follows Redis: N means exactly N arguments counting the name, -N at least N.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

Handler = Callable[[Any, list[bytes]], Any]
KeyFinder = Callable[[list[bytes]], list[int]]

# Per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats) count calls in the
# slots of Redis's HDR histogram: nanoseconds from 1 to 1 s, two significant digits, so 256
# sub-buckets of unit width below 256 ns and 128 per power of two above (the slot of a value
# is (b << 7) + (ns >> b), b its bit length past 8). Redis records microseconds * 1000, as here.
LATENCY_NS_MAX: Final = 1_000_000_000
LATENCY_SLOTS: Final = 3072


@dataclass(slots=True, eq=False)
class CommandSpec:
    name: str  # lower case, "container|sub" for subcommands
    arity: int
    flags: frozenset[str]
    first_key: int
    last_key: int
    key_step: int
    acl_categories: tuple[str, ...]
    handler: Handler
    # For commands whose keys cannot be told by first/last/step (movablekeys).
    key_finder: KeyFinder | None = None
    subcommands: dict[str, CommandSpec] = field(default_factory=dict)
    # Set for a subcommand: its container's name.
    container: str | None = None
    # For blocking commands: how long to wait, in seconds (0 = forever), read from argv.
    block_timeout: Callable[[list[bytes]], float] | None = None
    write: bool = False
    session: bool = False
    blocking: bool = False
    # The name as bytes, as COMMANDS keys it (set from `name`).
    name_bytes: bytes = b""
    # counters for INFO commandstats
    calls: int = 0
    usec: int = 0
    rejected_calls: int = 0
    failed_calls: int = 0
    # Calls by latency slot (see LATENCY_SLOTS); empty until the first call is recorded.
    latency_counts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.write = "write" in self.flags
        self.session = "session" in self.flags
        self.blocking = "blocking" in self.flags
        self.name_bytes = self.name.encode()

    @property
    def full_name(self) -> str:
        return self.name if self.container is None else f"{self.container}|{self.name}"

    def record_latency(self, elapsed_us: int) -> None:
        """Count one call of `elapsed_us` microseconds: a few integer operations, since
        the dispatcher calls this for every command (the list is made on the first)."""
        ns = elapsed_us * 1000 if elapsed_us > 0 else 1
        if ns > LATENCY_NS_MAX:
            ns = LATENCY_NS_MAX
        bucket = (ns | 255).bit_length() - 8
        counts = self.latency_counts
        if not counts:
            counts = self.latency_counts = [0] * LATENCY_SLOTS
        counts[(bucket << 7) + (ns >> bucket)] += 1

    def arity_ok(self, argc: int) -> bool:
        arity = self.arity
        return argc == arity if arity > 0 else argc >= -arity

    def key_positions(self, argv: list[bytes]) -> list[int]:
        if self.key_finder is not None:
            return self.key_finder(argv)
        if self.first_key <= 0:
            return []
        last = self.last_key if self.last_key >= 0 else len(argv) + self.last_key
        return list(range(self.first_key, min(last, len(argv) - 1) + 1, self.key_step))

    def keys(self, argv: list[bytes]) -> list[bytes]:
        return [argv[i] for i in self.key_positions(argv)]


# Keyed by lower-case name as bytes, so dispatch is one dict lookup after .lower().
COMMANDS: dict[bytes, CommandSpec] = {}


def lookup(name: bytes) -> CommandSpec | None:
    return COMMANDS.get(name.lower())


def _categories_for(flags: frozenset[str], categories: str) -> tuple[str, ...]:
    cats = [c for c in categories.split() if c]
    # Redis derives these from flags (server.h, setImplicitACLCategories).
    implied = {"write": "@write", "readonly": "@read", "admin": "@admin", "pubsub": "@pubsub",
               "fast": "@fast", "blocking": "@blocking"}
    for flag, cat in implied.items():
        if flag in flags and cat not in cats:
            cats.append(cat)
    if "@admin" in cats and "@dangerous" not in cats:
        cats.append("@dangerous")
    if "fast" not in flags and "@slow" not in cats and "@fast" not in cats:
        cats.append("@slow")
    return tuple(cats)


def command(
    name: str,
    arity: int,
    flags: str = "",
    first_key: int = 0,
    last_key: int = 0,
    key_step: int = 0,
    categories: str = "",
    *,
    key_finder: KeyFinder | None = None,
    container: str | None = None,
    block_timeout: Callable[[list[bytes]], float] | None = None,
) -> Callable[[Handler], Handler]:
    """Register `handler` as command `name` (or as subcommand of `container`)."""

    flag_set = frozenset(flags.split())

    def register(handler: Handler) -> Handler:
        spec = CommandSpec(
            name=name.lower(),
            arity=arity,
            flags=flag_set,
            first_key=first_key,
            last_key=last_key,
            key_step=key_step,
            acl_categories=_categories_for(flag_set, categories),
            handler=handler,
            key_finder=key_finder,
            container=container.lower() if container else None,
            block_timeout=block_timeout,
        )
        if container is None:
            key = spec.name.encode()
            assert key not in COMMANDS, f"command {spec.name} registered twice"
            COMMANDS[key] = spec
        else:
            parent = COMMANDS[container.lower().encode()]
            assert spec.name not in parent.subcommands, f"{container}|{name} registered twice"
            parent.subcommands[spec.name] = spec
        return handler

    return register


def container(name: str, arity: int, flags: str = "", categories: str = "") -> None:
    """Register a command that only dispatches to subcommands (CONFIG, CLIENT, ...)."""

    def no_handler(_: Any, argv: list[bytes]) -> Any:
        raise AssertionError("containers dispatch to their subcommands")

    command(name, arity, flags, categories=categories)(no_handler)


# Commands by their name exactly as clients spell it (GET, get): spares the
# dispatcher a lower() per request. Bounded: a client may send any mix of cases.
_SPELLINGS: Final[dict[bytes, CommandSpec]] = {}
SPELLINGS_MAX: Final = 4096


def find_command(raw_name: bytes) -> CommandSpec | None:
    """The command named `raw_name`, in any case."""
    spec = _SPELLINGS.get(raw_name)
    if spec is None:
        spec = COMMANDS.get(raw_name.lower())
        if spec is not None and len(_SPELLINGS) < SPELLINGS_MAX:
            _SPELLINGS[raw_name] = spec
    return spec


# Session commands that also have an effect inside a transaction's entry.
APPLY_SESSION: dict[bytes, Handler] = {}


def resolve_write(argv: list[bytes]) -> Handler | None:
    """The apply-side lookup the state machine is given: argv to handler, subcommands included."""
    name = argv[0].lower()
    spec = COMMANDS.get(name)
    if spec is None:
        return None
    if spec.subcommands and len(argv) > 1:
        sub = spec.subcommands.get(argv[1].decode("utf-8", "replace").lower())
        if sub is None:
            return None
        spec = sub
    if spec.session:
        return APPLY_SESSION.get(name)
    return spec.handler


def is_read(argv: list[bytes]) -> bool:
    """Whether argv names a command that is not a write (the state machine's `is_read`)."""
    spec = COMMANDS.get(argv[0].lower())
    return spec is not None and not spec.write


class Blocked:
    """Returned by a blocking command's apply when it must wait (never sent to a client)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "BLOCKED"


BLOCKED: Final = Blocked()
