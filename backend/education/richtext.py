"""Education text bodies: Markdown (no raw HTML) or rich text reduced to an allow-list of HTML.

The patient app renders the body (the WeChat `rich-text` component takes HTML nodes; Markdown is rendered by the
client). Rich text is rebuilt from a parse, never passed through: only the tags below survive, with only their listed
attributes; links and images must be http(s) (or a relative path for links); the content of script, style and
similar elements is dropped; every text node and attribute value is re-escaped. No third-party sanitiser is needed
for this small grammar, and the result is idempotent (sanitising sanitised HTML changes nothing).
"""

import html
import re
from html.parser import HTMLParser

ALLOWED_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "h2", "h3", "h4", "ul", "ol", "li", "blockquote", "hr",
    "a", "img", "span", "table", "thead", "tbody", "tr", "th", "td", "sub", "sup",
}
VOID_TAGS = {"br", "hr", "img"}
ALLOWED_ATTRS = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}, "td": {"colspan", "rowspan"},
                 "th": {"colspan", "rowspan"}}
URL_ATTRS = {"href", "src"}
DROP_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math", "textarea",
                "select", "title", "head"}
_SAFE_URL = re.compile(r"^(https?://[^\s\"'<>]+|/[^\s\"'<>/][^\s\"'<>]*)$", re.IGNORECASE)
_NUMBER = re.compile(r"^\d{1,4}$")
_MARKDOWN_HTML = re.compile(r"<\s*/?\s*[a-zA-Z!?]")


class _Sanitiser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.dropping = 0  # depth inside a dropped element

    def parse_marked_section(self, i, report=1):
        """`<![...]>` (CDATA, conditional comments) is dropped whole; the stdlib raises on unknown keywords."""
        end = self.rawdata.find("]>", i + 3)
        return -1 if end < 0 else end + 2

    def handle_starttag(self, tag, attrs):
        if tag in DROP_CONTENT:
            self.dropping += 1
            return
        if self.dropping or tag not in ALLOWED_TAGS:
            return
        kept = []
        for name, value in attrs:
            if name not in ALLOWED_ATTRS.get(tag, ()) or value is None:
                continue
            value = value.strip()
            if name in URL_ATTRS and not _SAFE_URL.match(value):
                continue
            if name in {"width", "height", "colspan", "rowspan"} and not _NUMBER.match(value):
                continue
            kept.append(f' {name}="{html.escape(value, quote=True)}"')
        if tag == "a":
            kept.append(' rel="noopener noreferrer"')
        if tag == "img" and not any(k.startswith(" src=") for k in kept):
            return
        self.out.append(f"<{tag}{''.join(kept)}>")
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag in DROP_CONTENT:
            return
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS and self.open and self.open[-1] == tag and not self.dropping:
            self.open.pop()
            self.out.append(f"</{tag}>")

    def handle_endtag(self, tag):
        if tag in DROP_CONTENT:
            self.dropping = max(0, self.dropping - 1)
            return
        if self.dropping or tag not in ALLOWED_TAGS or tag in VOID_TAGS or tag not in self.open:
            return
        while self.open:  # close what was left open inside it: the output is always well nested
            inner = self.open.pop()
            self.out.append(f"</{inner}>")
            if inner == tag:
                break

    def handle_data(self, data):
        if not self.dropping:
            self.out.append(html.escape(data.replace("\x00", ""), quote=False))

    def result(self) -> str:
        while self.open:
            self.out.append(f"</{self.open.pop()}>")
        return "".join(self.out).strip()


def sanitise_html(raw: str) -> str:
    parser = _Sanitiser()
    try:
        parser.feed(raw or "")
        parser.close()
    except Exception:  # noqa: BLE001 - a parser corner case: keep the words, drop every tag
        return html.escape(re.sub(r"<[^>]*>?", "", raw or ""), quote=False).strip()
    return parser.result()


def markdown_has_html(text: str) -> bool:
    """Markdown bodies carry no raw HTML (a client renderer might pass it through): rich text is the html format."""
    return bool(_MARKDOWN_HTML.search(text or ""))


# Markdown link and image targets: inline `[t](url "title")` and reference definitions `[t]: url`.
_MARKDOWN_TARGET = re.compile(r"\]\(\s*<?([^)\s>]*)|^\s{0,3}\[[^\]]+\]:\s*<?(\S*?)>?(?:\s|$)", re.MULTILINE)


def markdown_unsafe_links(text: str) -> list[str]:
    """Link/image targets of a Markdown body that are not http(s) or a relative path (javascript:, data:...)."""
    targets = [a or b for a, b in _MARKDOWN_TARGET.findall(text or "")]
    return [t for t in targets if t and not t.startswith("#") and not _SAFE_URL.match(t)]


def plain_length(body: str, body_format: str) -> int:
    """Characters a reader reads (tags and Markdown punctuation left out): the basis of the default minimum time."""
    if body_format == "html":
        text = re.sub(r"<[^>]+>", "", body or "")
        text = html.unescape(text)
    else:
        text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", body or "")  # images
        text = re.sub(r"\]\([^)]*\)", "", text)  # link targets
        text = re.sub(r"[#*_>`~\-\[\]|]", "", text)
    return len(re.sub(r"\s+", "", text))
