"""What a PDF costs to read: CPU per page beyond parsing the same report as text.

    python -m bench.pdf [--n 60] [--out build/pdf.json]

The synthetic corpus's reports as PDFs (bench/corpus.py with every report a PDF: text pages, no
rules), each parsed whole (parsers.parse_report) once as its PDF and once as the text that PDF
holds, in this one process; the difference over the pages is what reading the PDF costs. Then the
same for the bundled report's PDF (002, a Word export whose pages draw ruled tables). `before`
reads every page with pdfplumber, as the reader did up to issue 22; `after` is the reader as it is
(PDFium's characters and paths, pdfplumber's layout and table finder; pdfminer only for a page PDFium
cannot describe). Target (issue 22): ≤ 20 ms a page.
"""

from __future__ import annotations

import argparse
import io
import json
import time
from pathlib import Path

import parsers
from bench import corpus
from parsers import readers

ROOT = Path(__file__).resolve().parent.parent


def plumber_only(data: bytes) -> readers.Extracted:
    """The reader before PDFium: pdfplumber for every page."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return readers.text_of_pages(readers.plumber_layout(page) for page in pdf.pages)


def cpu(function) -> float:
    start = time.process_time()
    function()
    return time.process_time() - start


def per_page(pdfs: list[tuple[str, bytes]], reader, rounds: int = 3) -> dict:
    """CPU ms a page beyond the text, the best of `rounds` runs (the least disturbed)."""
    original, readers.read_pdf = readers.read_pdf, reader
    try:
        texts = [(name, readers.read_pdf(data)) for name, data in pdfs]
        pages = sum(len(extracted.page_starts) for _, extracted in texts)
        as_pdf = min(cpu(lambda: [parsers.parse_report(name, data) for name, data in pdfs]) for _ in range(rounds))
        as_text = min(cpu(lambda: [parsers.parse_report(name.replace(".pdf", ".txt"), e.text.encode())
                                   for name, e in texts]) for _ in range(rounds))
    finally:
        readers.read_pdf = original
    return {"reports": len(pdfs), "pages": pages, "pdf_s": round(as_pdf, 3), "text_s": round(as_text, 3),
            "ms_per_page": round((as_pdf - as_text) * 1000 / pages, 1)}


def synthetic(n: int) -> list[tuple[str, bytes]]:
    places = corpus.regions()
    return [(Path(name).name, data) for name, data, _ in (corpus.report(number, 1, places, 1.0) for number in range(n))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "pdf.json")
    args = parser.parse_args()
    sets = {"synthetic text pages": synthetic(args.n),
            "002 (Word export, ruled tables)": [(p.name, p.read_bytes()) for p in sorted((ROOT / "reports").glob("*.pdf"))]}
    parsers.parse_report(*sets["synthetic text pages"][0])  # imports and caches warmed before timing
    result = {name: {"before": per_page(pdfs, plumber_only), "after": per_page(pdfs, readers.read_pdf)}
              for name, pdfs in sets.items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    for name, figures in result.items():
        print(f"{name}: {figures['after']['pages']} pages, CPU beyond the text "
              f"{figures['before']['ms_per_page']} ms/page before (pdfplumber), {figures['after']['ms_per_page']} ms/page after")


if __name__ == "__main__":
    main()
