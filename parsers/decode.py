"""Step 1: a file's bytes to text.

Plain text is decoded and kept exactly as decoded: every offset in the
database points into it. Government sites publish UTF-8 and GB2312/GBK/GB18030
about equally, so after a BOM and strict UTF-8 we try GB18030 (a superset of
GB2312 and GBK) and only then ask charset-normalizer.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

MAX_BYTES = 50 * 1024 * 1024

# File endings by the format they are read as.
FORMATS = {
    ".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md",
    ".html": "html", ".htm": "html", ".shtml": "html",
    ".pdf": "pdf", ".docx": "docx", ".doc": "doc", ".wps": "wps",
}


class UnreadableFile(Exception):
    """The file cannot be turned into text; the message says why, for a person."""


@dataclass
class Decoded:
    text: str
    encoding: str
    replaced: int = 0  # characters that could not be decoded and were replaced


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def format_of(path: str) -> str | None:
    dot = path.rfind(".")
    return FORMATS.get(path[dot:].lower()) if dot >= 0 else None


def decode_text(data: bytes) -> Decoded:
    if not data.strip():
        raise UnreadableFile("the file is empty")
    if len(data) > MAX_BYTES:
        raise UnreadableFile(f"the file is {len(data) // (1024 * 1024)} MB, over the {MAX_BYTES // (1024 * 1024)} MB limit")
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return Decoded(data.decode(encoding), encoding)
    if b"\x00" in data[:4096]:
        raise UnreadableFile("the file is binary (it contains NUL bytes), not text")
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8" or _looks_chinese(text):
            return _checked(Decoded(text, encoding))
    best = from_bytes(data).best()
    if best is not None and best.encoding:
        return _checked(Decoded(str(best), best.encoding))
    # Mostly GB18030 with a few bad bytes in the middle (a damaged page): keep
    # the rest and count what was lost.
    text = data.decode("gb18030", errors="replace")
    return _checked(Decoded(text, "gb18030", replaced=text.count("\ufffd")))


HAN = re.compile("[\u4e00-\u9fff]")
CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f]")  # below 32, but for \t \n \f \r


def _looks_chinese(text: str) -> bool:
    return len(HAN.findall(text)) >= max(1, len(text) // 10)


def _checked(decoded: Decoded) -> Decoded:
    text = decoded.text
    controls = len(CONTROL.findall(text))
    if controls > max(8, len(text) // 100):
        raise UnreadableFile("the file does not look like text (too many control characters); it may be binary")
    if not HAN.search(text):
        raise UnreadableFile("the file has no Chinese text, so it cannot be a government information disclosure report")
    return decoded
