"""AGI replies: one status line, or a `520-` block gathered whole.

Strategy: a reply is `<code> <text>`; for code 200 the text is `result=<r>`, optionally
followed by ` (<data>)` and ` endpos=<n>`. The forms below are the ones a real Asterisk 22
sent in `tests/fixtures/asterisk/agi/` (see its README), plus those res_agi.c prints for
RECORD FILE and GET DATA:

    200 result=0                      200 result=49 endpos=20000   (a digit, as its ASCII code)
    200 result=23                     200 result=1 (5550001)        200 result=1 ()
    200 result= (timeout)             200 result=-1 endpos=0        200 result=0 (timeout) endpos=8
    510 Invalid or unknown command
    511 Command Not Permitted on a dead channel or intercept routine
    520-Invalid command syntax.  Proper usage follows:  ...usage lines...  520 End of proper usage.

Data runs to the last `)` so that a variable whose value holds parentheses survives. A 200
tail we do not know keeps its first parenthesised data and any endpos, and stays whole in
`text`: Asterisk modules add replies (SPEECH ...) and a bridge must not drop a call over one.
`codec.parse_response` reads these forms: it raises the codec's `RemoteProtocolError`, so it
lives with the codec and this module imports nothing of the bridge (no cycle with `errors`).
"""

from __future__ import annotations

from typing import NamedTuple


class AGIResponse(NamedTuple):
    """Asterisk's reply to one command (a NamedTuple: immutable, and about half the cost of
    a frozen dataclass to build, once per command on the hot path).

    `code` is the status (200, 510, 511, 520 ...); `result` the text after `result=` (empty
    for other codes and for `result= (timeout)`); `data` what stood in parentheses (`""`
    for `()`, None when there were none); `endpos` the sample offset STREAM FILE and RECORD
    FILE report; `text` the whole reply, lines joined by `\\n`, 520 usage included.
    """

    code: int
    result: str
    data: str | None
    endpos: int | None
    text: str

    @property
    def result_int(self) -> int | None:
        """`result` as an integer, or None when it is not one (empty, or digits like "23")."""
        try:
            return int(self.result)
        except ValueError:
            return None

    @property
    def ok(self) -> bool:
        """True for a 200 reply, whatever its result."""
        return self.code == 200


def status_code(line: str) -> tuple[int, bool] | None:
    """Return (code, opens_block) when `line` is a status line, else None.

    `opens_block` is True for `NNN-text`, the first line of a multi-line reply.
    """
    code, separator = line[:3], line[3:4]
    if len(code) != 3 or not (code.isascii() and code.isdigit()) or separator not in ("", " ", "-"):
        return None
    return int(code), separator == "-"
