from collections.abc import Callable

from weir.errors import RemoteProtocolError
from weir.resp.parser import ParserLimits

class Reader:
    def __init__(
        self,
        limits: ParserLimits,
        split_inline: Callable[[bytes], list[bytes]],
        make_error: Callable[[str], RemoteProtocolError],
        error_class: type[RemoteProtocolError],
        bounds: tuple[int, int, int, int],
    ) -> None: ...
    @property
    def error(self) -> RemoteProtocolError | None: ...
    @property
    def limits(self) -> ParserLimits: ...
    @property
    def buffered_bytes(self) -> int: ...
    @property
    def spare_bytes(self) -> int: ...
    def feed(self, data: bytes) -> list[list[bytes]]: ...
