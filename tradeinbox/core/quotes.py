"""Separate the new part of a reply from the quoted history under (or between) it.

A reply usually carries the whole earlier thread. Customer views, signature
extraction and search should look at what the correspondent actually wrote, so
:func:`split_reply` cuts the plain-text body (RFC 3676 ``text/plain``) at the first
sign of quoted history:

* an attribution line written by the mail client ("On <date>, <name> wrote:" and its
  translations; Gmail wraps it over two or three lines, which is handled),
* a separator line ("-----Original Message-----", "---------- Forwarded message
  ---------", Foxmail's "------------------ 原始邮件 ------------------" ...),
* an Outlook style header block (From:/Sent:/To:/Subject: in many languages, possibly
  bold ``*From:*`` when converted from HTML, possibly after a line of underscores),
* lines quoted with ">" (RFC 3676 section 4.5 quote marks).

When the author answered *between* quoted lines (inline / interleaved reply) or below
the quote (bottom posting), cutting at the first quote would lose the answer, so the
reply keeps everything up to its last unquoted line instead.

:func:`html_to_text` turns an HTML body into text in which ``<blockquote>`` content is
">"-quoted, and :func:`split_reply_html` additionally uses well-known quote containers
(Gmail ``gmail_quote``, Outlook ``divRplyFwdMsg`` ...) as cut points.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from tradeinbox.core.evidence import Evidence

__all__ = ["ReplyParts", "split_reply", "html_to_text", "split_reply_html"]


@dataclass(slots=True)
class ReplyParts:
    """``new_text``: what the author wrote; ``quoted_text``: the history that was cut off."""

    new_text: str
    quoted_text: str
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def has_quote(self) -> bool:
        return bool(self.quoted_text.strip())


# --- attribution lines ("On ... wrote:") -------------------------------------------------

# Verbs mail clients put in attribution lines, per language. Kept lower-case; the
# search is case-insensitive. Sources: the clients' own localisations as seen in the
# public reply-parser fixtures (github, crisp, talon) and Thunderbird/Gmail locale files.
_WROTE_VERBS = (
    r"wrote|writes|has written|schrieb|hat geschrieben|a écrit|à écrit|a ecrit|escribió|escribio"
    r"|escreveu|ha scritto|scrisse|написал\(а\)|написала|написал|пишет|написав\(ла\)|написав"
    r"|skrev|kirjoitti|schreef|heeft geschreven|napisał\(a\)|napisała|napisał|napsal\(a\)"
    r"|napsala|napsal|yazdı|írta|έγραψε|כתב|كتب|menulis|đã viết|写道|寫道|님이 작성"
)
_VERB_RE = re.compile(rf"(?:^|[\s,\"'>)])(?:{_WROTE_VERBS})(?=$|[\s:：,\-])", re.IGNORECASE)
# The verb closes the attribution ("... wrote:", "... wrote ----" in Zoho).
_VERB_END_RE = re.compile(rf"(?:{_WROTE_VERBS})\s*[:：]?\s*-*\s*$", re.IGNORECASE)
# German/Dutch put the verb before the name: "Am 14.01.2024 um 10:00 schrieb Hans <h@x.de>:".
_ENDS_COLON_RE = re.compile(r"[:：]\s*$")
# Gmail in some locales writes no verb at all: "2014-10-17 11:28 GMT+03:00 Bob <bob@x.com>:".
_ADDR_COLON_END_RE = re.compile(r"(?:<[^<>\s]+@[^<>\s]+>|\S+@\S+\.\w+)\s*[:：]\s*$")
# Words that open attribution lines. A window that starts elsewhere must start a paragraph.
_STARTERS_RE = re.compile(
    r"^(?:-+\s*)?(?:on|am|le|el|em|il|op|den|på|w dniu|dne|v|pada|vào|в|在|於|\d|"
    r"(?:mon|tue|wed|thu|fri|sat|sun|пн|вт|ср|чт|пт|сб|вс|ma|ti|on|to|fr|lø|sø|ma|pe|ke|la|su)"
    r"[a-zäöå]*\.?,?\s)",
    re.IGNORECASE,
)
_DATEISH_RE = re.compile(r"\d|@")
# Every attribution the three tests in _attribution_at accept ends with ":", "-" or the
# last word of a verb ("... has written"), so a line that ends otherwise (and has no
# "&", which unescaping could turn into one of those) cannot close one: the costly verb
# searches are skipped for it. Only a cheap look at the end of the line.
_VERB_TAILS = sorted({verb.rsplit(" ", 1)[-1] for verb in _WROTE_VERBS.split("|")}, key=len)
_VERB_TAIL_RE = re.compile(rf"(?:{'|'.join(_VERB_TAILS)})$", re.IGNORECASE)
_VERB_TAIL_CHARS = max(len(tail.replace("\\", "")) for tail in _VERB_TAILS)
# ASCII characters that can end a tail under re's case-insensitive matching ("I" ends
# "yazdı" for re): an ASCII line end outside this set needs no regex at all.
_TAIL_END_RE = re.compile(
    "|".join(re.escape(tail.replace("\\", "")[-1]) for tail in _VERB_TAILS), re.IGNORECASE
)
_TAIL_ENDS_ASCII = frozenset(c for c in map(chr, range(128)) if _TAIL_END_RE.fullmatch(c))
_MAX_HEADER_LINES = 4
_MAX_HEADER_CHARS = 400

# --- separator lines ----------------------------------------------------------------------

_SEPARATOR_PHRASES = (
    "original message|original|forwarded message|forwarded e-?mail|message forwarded"
    "|ursprüngliche nachricht|weitergeleitete nachricht|originalnachricht"
    "|message d'origine|message original|message transféré|message transfere"
    "|mensaje original|mensaje reenviado|mensagem original|mensagem encaminhada"
    "|messaggio originale|messaggio inoltrato|oorspronkelijk bericht|origineel bericht"
    "|doorgestuurd bericht|oprindelig besked|oprindelig meddelelse|videresendt besked"
    "|opprinnelig melding|videresendt melding|ursprungligt meddelande"
    "|vidarebefordrat meddelande|alkuperäinen viesti|välitetty viesti|исходное сообщение"
    "|пересылаемое сообщение|пересланное сообщение|wiadomość oryginalna"
    "|oryginalna wiadomość|původní zpráva|přeposlaná zpráva|orijinal mesaj|eredeti üzenet"
    "|原始邮件|原始郵件|转发邮件|转发的邮件|轉寄郵件|転送メッセージ|元のメッセージ|원본 메시지"
)
_SEPARATOR_RE = re.compile(
    rf"^\s*[-_=*]{{2,}}\s*(?:{_SEPARATOR_PHRASES})\s*[-_=*]{{2,}}\s*$", re.IGNORECASE
)
# Apple Mail / Thunderbird / Outlook forward intros that end with a colon and no dashes.
_FORWARD_INTRO_RE = re.compile(
    r"^\s*(?:begin forwarded message|anfang der weitergeleiteten nachricht"
    r"|début du message (?:réexpédié|transféré)|inicio del mensaje reenviado"
    r"|início da mensagem reencaminhada|inizio messaggio inoltrato"
    r"|begin doorgestuurd bericht|начало пересылаемого сообщения)\s*[:：]\s*$",
    re.IGNORECASE,
)
# Outlook draws a rule (underscores; other clients dashes or equals) above its header block.
_RULE_LINE_RE = re.compile(r"^\s*(?:_{4,}|-{4,}|={4,}|\*{4,})\s*$")

# Footers that mobile and desktop clients append to what the author typed. Whatever
# follows one of them (when no header separates it) is the previous message, pasted
# by clients such as Outlook for Android that omit the attribution line.
MOBILE_FOOTER_RE = re.compile(
    r"^\s*(?:sent from (?:my |the )?\S.{0,40}|sent (?:with|via|using) \S.{0,40}"
    r"|get outlook for (?:ios|android)|envoyé (?:de|depuis|à partir de) .{1,40}"
    r"|gesendet (?:von|mit) .{1,60}|enviado (?:desde|do|de) (?:mi|meu|o) .{1,40}"
    r"|inviato da .{1,40}|verzonden (?:met|vanaf) .{1,40}|skickat från .{1,40}"
    r"|отправлено с .{1,40}|发自我的.{1,20}|从我的.{1,20}发送|送信元.{1,20})\s*$",
    re.IGNORECASE,
)

# --- Outlook header blocks ----------------------------------------------------------------

_FROM_LABELS = (
    "from|von|de|da|van|fra|från|lähettäjä|от|od|kimden|feladó|発信者|差出人|发件人|寄件者"
    "|보낸 사람|expéditeur|remetente|afzender"
)
_OTHER_LABELS = (
    "sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|objet|à|a|enviado el|enviado"
    "|enviada em|enviada|fecha|para|asunto|assunto|data|inviato|oggetto|verzonden|aan"
    "|onderwerp|sendt|dato|til|emne|skickat|till|ämne|lähetetty|vastaanottaja|aihe"
    "|отправлено|дата|кому|тема|копия|wysłano|do|temat|odesláno|komu|předmět|gönderildi"
    "|tarih|kime|konu|elküldve|címzett|tárgy|送信日時|宛先|件名|发送时间|日期|收件人|抄送"
    "|主题|傳送時間|收件者|副本|主旨|보낸 날짜|받는 사람|제목|reply-to|sent at|message du"
    "|copie à|sujet|envoyé le|enviado em"
)
_LABEL_TMPL = r"^\s*(?:\*\s*)?(?:{labels})\s*\*?\s*[:：]"
_FROM_LINE_RE = re.compile(_LABEL_TMPL.format(labels=_FROM_LABELS), re.IGNORECASE)
_OTHER_LINE_RE = re.compile(_LABEL_TMPL.format(labels=_OTHER_LABELS), re.IGNORECASE)
_BLOCK_WINDOW = 7

_QUOTE_RE = re.compile(r"^\s*>")


def _is_quote_line(line: str) -> bool:
    return bool(_QUOTE_RE.match(line))


def _could_close(piece: str) -> bool:
    """Whether joined text ending with this stripped line can pass an attribution test."""
    last = piece[-1:]
    if last in (":", "\uff1a", "-") or "&" in piece:
        return True
    if last.isascii() and last not in _TAIL_ENDS_ASCII:
        return False
    return _VERB_TAIL_RE.search(piece, max(0, len(piece) - _VERB_TAIL_CHARS)) is not None


def _attribution_at(lines: list[str], i: int, relaxed: bool = False) -> tuple[int, str] | None:
    """If an attribution ("On ... wrote:") starts at line ``i``, its line count and text."""
    first = lines[i].strip()
    if not first or first[0] == ">":  # stripped: the same test as _is_quote_line
        return None
    starts_paragraph = i == 0 or not lines[i - 1].strip()
    if not (starts_paragraph or _STARTERS_RE.match(first) or relaxed):
        return None
    joined = ""
    for k in range(_MAX_HEADER_LINES):
        if i + k >= len(lines):
            break
        piece = lines[i + k].strip()
        # A blank line ends the attribution; a quoted line may only close a wrapped
        # address (Norwegian Gmail puts the final ">:" on its own line).
        if not piece or (piece[0] == ">" and not re.fullmatch(r">\s*[:：]", piece)):
            break
        joined = html_lib.unescape(f"{joined} {piece}".strip() if k else piece)
        if len(joined) > _MAX_HEADER_CHARS:
            break
        if not _could_close(piece) or not _DATEISH_RE.search(joined):
            continue
        if _VERB_END_RE.search(joined):
            return k + 1, joined
        if _ENDS_COLON_RE.search(joined) and _VERB_RE.search(joined):
            return k + 1, joined
        if _ADDR_COLON_END_RE.search(joined) and re.search(r"\d{1,2}[:.]\d{2}", joined):
            return k + 1, joined
    return None


def _outlook_block_at(lines: list[str], i: int) -> int | None:
    """If an Outlook-style header block starts at ``i``, how many distinct labels it has."""
    if not _FROM_LINE_RE.match(lines[i]) and not _OTHER_LINE_RE.match(lines[i]):
        return None
    has_from = False
    labels: set[str] = set()
    for k in range(_BLOCK_WINDOW):
        if i + k >= len(lines):
            break
        line = lines[i + k]
        if _FROM_LINE_RE.match(line):
            has_from = True
            labels.add(line.split(":")[0].split("：")[0].strip(" *").lower())
        elif _OTHER_LINE_RE.match(line):
            labels.add(line.split(":")[0].split("：")[0].strip(" *").lower())
        elif k == 0:
            return None
    # "From:" plus at least two of Sent/To/Subject/Date: body text rarely has that.
    if has_from and len(labels) >= 3:
        return len(labels)
    return None


@dataclass(slots=True)
class _Marker:
    index: int
    rule: str
    detail: str


def _find_hard_marker(lines: list[str], start: int = 0, end: int | None = None) -> _Marker | None:
    """The first attribution, separator or header block at or after ``start``.

    ``end``: only look for markers that begin before this line (the block itself may
    run past it).
    """
    for i in range(start, len(lines) if end is None else min(end, len(lines))):
        line = lines[i]
        stripped = line.strip()  # str.strip and re's \s agree on what is white space
        if not stripped or stripped[0] == ">":  # blank, or a quoted line (_QUOTE_RE)
            continue
        # Cheap gates, each implied by the regexes behind it: separators and rules start
        # with one of "-_=*", forward intros and header labels need a colon.
        colon = stripped[-1] in ":\uff1a"
        ruled = stripped[0] in "-_=*"
        if (ruled and _SEPARATOR_RE.match(line)) or (colon and _FORWARD_INTRO_RE.match(line)):
            return _Marker(i, "quote.separator", stripped)
        if ruled and _RULE_LINE_RE.match(line):
            nxt = next((j for j in range(i + 1, min(i + 3, len(lines))) if lines[j].strip()), None)
            if nxt is not None and _outlook_block_at(lines, nxt):
                return _Marker(i, "quote.outlook_block", "underscore rule before a header block")
            continue
        found = _attribution_at(lines, i)
        if found:
            # A paragraph's last sentence can be glued to the attribution below it
            # ("...as soon as I\nget back.\nOn Dec 8, 2013 ... wrote:"): start later.
            for sub in range(1, found[0]):
                if _STARTERS_RE.match(lines[i + sub].strip()):
                    later = _attribution_at(lines, i + sub, relaxed=True)
                    if later:
                        return _Marker(i + sub, "quote.attribution", later[1][:160])
            return _Marker(i, "quote.attribution", found[1][:160])
        if (colon or ":" in stripped or "\uff1a" in stripped) and _outlook_block_at(lines, i):
            return _Marker(i, "quote.outlook_block", stripped[:160])
    return None


def _last_reply_line(lines: list[str], start: int, bottom_ok: bool) -> tuple[int, int, bool] | None:
    """Index of the last answer written between (or under) quoted lines after ``start``.

    An inline reply looks like: quote, answer, quote, answer... Text under the final
    quote only counts when ``bottom_ok`` (nothing was written above the quote: the
    author bottom-posted); otherwise it is a trailing signature or list footer.
    An unquoted line glued to a quoted one and starting in lower case is a quoted
    line that a client re-wrapped without its '>' and stays part of the quote.
    """
    last_text = None
    first_answer = None
    sandwiched = False
    pending = None  # last answer line not yet followed by a quote
    seen_quote = False
    prev_quoted = False
    for j in range(start, len(lines)):
        line = lines[j]
        stripped = line.strip()
        if not stripped:
            prev_quoted = False
            continue
        if _is_quote_line(line):
            seen_quote = prev_quoted = True
            if pending is not None:
                last_text, pending, sandwiched = pending, None, True
            continue
        if prev_quoted and stripped[:1].islower():
            continue  # re-wrapped quote continuation
        if not seen_quote:
            return None  # unquoted text right after the header: it is the quoted body
        # Only a marker starting on this very line matters: look no further than it.
        marker = _find_hard_marker(lines[j : j + _MAX_HEADER_LINES + 2], end=1)
        if marker is not None and marker.index == 0:
            break  # a deeper attribution or header block: history, not an answer
        pending = j
        if first_answer is None:
            first_answer = j
        prev_quoted = False
    if bottom_ok and pending is not None:
        last_text = pending
    if last_text is None or first_answer is None:
        return None
    return first_answer, last_text, sandwiched


def _rstrip_lines(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n").rstrip()


def _after_mobile_footer(lines: list[str]) -> int | None:
    """Index after a client footer ("Sent from my iPhone") that has more text below it."""
    for i, line in enumerate(lines):
        if MOBILE_FOOTER_RE.match(line) and "\n".join(lines[:i]).strip():
            if any(rest.strip() for rest in lines[i + 1 :]):
                return i + 1
            return None
    return None


def split_reply(text: str) -> ReplyParts:
    """Split a plain-text body into the author's new text and the quoted history."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    marker = _find_hard_marker(lines)
    first_quote = next((i for i, line in enumerate(lines) if _is_quote_line(line)), None)
    evidence: list[Evidence] = []

    cut: int | None = None
    after: int | None = None
    if marker is not None and (first_quote is None or marker.index <= first_quote):
        cut = marker.index
        evidence.append(Evidence(marker.rule, 1.0, f"line {cut + 1}: {marker.detail}"))
        if marker.rule == "quote.attribution":
            header_len = _attribution_at(lines, cut)
            after = cut + (header_len[0] if header_len else 1)
    elif first_quote is not None:
        cut = after = first_quote
        evidence.append(Evidence("quote.marker", 1.0, f"line {cut + 1} starts with '>'"))
    if cut is not None and after is not None:
        above = "\n".join(lines[:cut]).strip()
        # With bare '>' quoting (no attribution) text under the last quote is a comment
        # on it; below an attribution it is usually a footer or signature.
        bare = marker is None or cut == first_quote and marker.index > cut
        answer = _last_reply_line(lines, after, bottom_ok=not above or bare)
        if answer is not None:
            first_answer, last, sandwiched = answer
            if not above and not sandwiched:
                # Bottom-posted: the history sits on top and the answer below it.
                evidence.append(
                    Evidence(
                        "quote.bottom_posted",
                        1.0,
                        f"answer below the quote, line {first_answer + 1}",
                    )
                )
                return ReplyParts(
                    _rstrip_lines(lines[first_answer : last + 1]),
                    _rstrip_lines(lines[:first_answer] + lines[last + 1 :]),
                    evidence,
                )
            evidence.append(
                Evidence("quote.inline_reply", 1.0, f"answers between quotes up to line {last + 1}")
            )
            cut = last + 1
    if cut is None:
        cut = _after_mobile_footer(lines)
        if cut is not None:
            evidence.append(
                Evidence(
                    "quote.after_client_footer", 0.6, f"text after line {cut}: {lines[cut - 1]!r}"
                )
            )
            cut = next(j for j in range(cut, len(lines)) if lines[j].strip())
    if cut is None:
        return ReplyParts(text.strip("\n").rstrip(), "", [])
    # A "From:" block or attribution line directly above trailing quotes belongs to them.
    return ReplyParts(_rstrip_lines(lines[:cut]), _rstrip_lines(lines[cut:]), evidence)


# --- HTML ---------------------------------------------------------------------------------

_BLOCK_TAGS = {
    "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "pre", "blockquote", "hr", "section", "article", "header", "footer", "address", "dl",
    "dt", "dd", "center",
}  # fmt: skip
_SKIP_TAGS = {"style", "script", "head", "title", "xml", "o:p"}
# Containers that web mailers and Outlook put around the quoted history.
_QUOTE_CONTAINERS = re.compile(
    r"\b(?:gmail_quote|gmail_attr|yahoo_quoted|ymail_android_signature_off|moz-cite-prefix"
    r"|divRplyFwdMsg|OLK_SRC_BODY_SECTION|appendonsend|zmail_extra|protonmail_quote"
    r"|mail-quote-collapse|stopSpelling)\b"
)


class _TextBuilder(HTMLParser):
    """Small HTML-to-text converter: block elements become lines, blockquotes get '> '."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.depth = 0  # blockquote nesting
        self.skip = 0
        self.container_line: int | None = None

    def _newline(self) -> None:
        if self.lines[-1].strip(" >") or len(self.lines) == 1:
            self.lines.append("")
        else:
            self.lines[-1] = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
            return
        if tag in _BLOCK_TAGS:
            self._newline()
            if tag == "br":
                self.lines[-1] = ""
        attr_text = " ".join(v or "" for k, v in attrs if k in ("class", "id"))
        if self.container_line is None and attr_text and _QUOTE_CONTAINERS.search(attr_text):
            if tag != "blockquote" or "gmail_quote" not in attr_text:
                self.container_line = len(self.lines) - 1
        if tag == "blockquote":
            self.depth += 1
        if tag == "hr":
            self.lines[-1] = "_" * 32
            self.lines.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
            return
        if tag == "blockquote":
            self.depth = max(0, self.depth - 1)
        if tag in _BLOCK_TAGS:
            self._newline()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.lines.append("")
        elif tag == "hr":
            self.lines.extend(["_" * 32, ""])

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        data = re.sub(r"[ \t\r\n\f]+", " ", data.replace("\xa0", " "))
        if not data.strip() and not self.lines[-1]:
            return
        if not self.lines[-1] and self.depth:
            self.lines[-1] = "> " * self.depth
        self.lines[-1] += data

    def text(self) -> str:
        out = [line.rstrip() for line in self.lines]
        text = "\n".join(out)
        return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def _convert(html: str) -> tuple[str, int | None]:
    builder = _TextBuilder()
    builder.feed(html)
    builder.close()
    text = builder.text()
    if builder.container_line is None:
        return text, None
    # Map the container's raw line index to the cleaned text by counting its prefix.
    prefix = "\n".join(line.rstrip() for line in builder.lines[: builder.container_line])
    prefix = re.sub(r"\n{3,}", "\n\n", prefix).strip("\n")
    return text, (prefix.count("\n") + 1 if prefix else 0)


def html_to_text(html: str) -> str:
    """Readable text of an HTML body; ``<blockquote>`` content is prefixed with '> '."""
    return _convert(html)[0]


def split_reply_html(html: str) -> ReplyParts:
    """:func:`split_reply` for an HTML body, also cutting at known quote containers."""
    text, container = _convert(html)
    parts = split_reply(text)
    if container is None:
        return parts
    lines = text.split("\n")
    new_lines = parts.new_text.split("\n") if parts.new_text else []
    if container < len(new_lines) and "\n".join(lines[:container]).strip():
        return ReplyParts(
            _rstrip_lines(lines[:container]),
            _rstrip_lines(lines[container:]),
            [Evidence("quote.html_container", 1.0, f"quote container at line {container + 1}")],
        )
    return parts
