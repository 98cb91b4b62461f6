"""The crawl, on Scrapy: one generic spider for report columns, the HTTP cache kept in the
state file and always revalidated, and the pipeline that keeps what was fetched.

column page --parse_list--> entries (detail pages or files) and the column's other list pages
detail page --parse_detail-> the page itself (a report inline) or its attachments
attachment  --parse_file---> a document, or a failure (an HTML error page where a PDF was due)
Every failure (DNS, 4xx, 5xx, timeout, redirect loop, robots.txt, over-size) comes to
`failed` and is one event in the state file; nothing stops the other columns.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from time import time
from urllib.parse import urljoin

import scrapy
from scrapy.core.downloader import Downloader
from scrapy.exceptions import (CannotResolveHostError, DontCloseSpider, DownloadCancelledError,
                               DownloadConnectionRefusedError, DownloadTimeoutError, IgnoreRequest)
from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError)

from harvester import pages, state

MAX_BYTES = 50 * 1024 * 1024  # the build's own cap on a file


@dataclass(frozen=True)
class Column:
    url: str
    agency: str | None = None
    region_code: str | None = None


def crawl_settings(out: str, polite: dict, redis_url: str | None = None, job: str = "harvest") -> dict:
    """Scrapy's settings for a polite harvest into `out`."""
    settings = {
        "BOT_NAME": "ogi-reports",
        "USER_AGENT": f"OGI-Reports-harvester/1.0 (+{polite['contact']})",
        "ROBOTSTXT_OBEY": True,  # through Protego, Scrapy's default robots.txt parser
        # Requests in flight over all hosts; on a shared queue also how many one machine takes at a time.
        "CONCURRENT_REQUESTS": polite["concurrency"],
        "CONCURRENT_REQUESTS_PER_DOMAIN": polite["per_host"],
        "DOWNLOAD_DELAY": polite["delay"],
        "DOWNLOADER": "harvester.spider.PoliteDownloader",
        "DOWNLOAD_DELAY_JITTER": 0.5 if polite["delay"] > 0 else 0,
        "AUTOTHROTTLE_ENABLED": polite["delay"] > 0,
        "AUTOTHROTTLE_START_DELAY": max(polite["delay"], 0.1),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": polite["per_host"],
        "RETRY_ENABLED": True,
        "RETRY_TIMES": polite["retries"],
        "DOWNLOAD_TIMEOUT": polite["timeout"],
        "DOWNLOAD_MAXSIZE": MAX_BYTES,
        "DOWNLOAD_WARNSIZE": 0,
        "REDIRECT_MAX_TIMES": 5,
        "COOKIES_ENABLED": False,  # public pages; and no cookie jar means no public-suffix download
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,  # (Scrapy 2.19 would open an HTTP control port for each run)
        "DEPTH_LIMIT": polite["max_list_pages"] + 3,
        "HTTPCACHE_ENABLED": True,
        "HTTPCACHE_POLICY": "harvester.spider.Revalidate",
        "HTTPCACHE_STORAGE": "harvester.spider.StateCacheStorage",
        "HTTPCACHE_ALWAYS_STORE": True,
        "ITEM_PIPELINES": {"harvester.spider.KeepDocuments": 100},
        "LOG_LEVEL": "WARNING",
        "HARVEST_OUT": out,
        "HARVEST_POLITE": polite,
    }
    if redis_url:  # several machines share one crawl: its queue and seen-set live in Redis, under the job's name
        settings |= {"SCHEDULER": "scrapy_redis.scheduler.Scheduler",
                     "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
                     "SCHEDULER_QUEUE_KEY": f"ogi-harvest:{job}:requests",
                     "SCHEDULER_DUPEFILTER_KEY": f"ogi-harvest:{job}:seen",
                     "SCHEDULER_PERSIST": True, "REDIS_URL": redis_url}
    return settings


class PoliteDownloader(Downloader):
    """Scrapy's downloader, with a host's places taken when its downloads are scheduled. Scrapy
    2.19 counts a host's free places before the downloads it has scheduled start and take theirs:
    with no delay it started every request queued for a host at once (seen here: 9 at a time with
    a limit of 2), and with a short one, now and then one too many on a busy machine."""

    def _wait_for_download(self, slot, request, queue_dfd):
        slot.transferring.add(request)  # (the download removes it when it ends, as it always has)
        return super()._wait_for_download(slot, request, queue_dfd)


class Revalidate(RFC2616Policy):
    """Pages are kept, and asked for again each run with their validators (If-None-Match,
    If-Modified-Since): a 304 serves the kept page, a 200 replaces it."""

    def should_cache_response(self, response: Response, request: scrapy.Request) -> bool:
        return response.status == 200 and super().should_cache_response(response, request)

    def is_cached_response_fresh(self, cachedresponse: Response, request: scrapy.Request) -> bool:
        self._set_conditional_validators(request, cachedresponse)
        return False


class StateCacheStorage:
    """Scrapy's HTTP cache, in the state file's http_cache table."""

    def __init__(self, settings):
        self.path = state.state_path(settings["HARVEST_OUT"])

    def open_spider(self, spider) -> None:
        self.db = state.open_state(self.path)
        self.fingerprint = spider.crawler.request_fingerprinter.fingerprint

    def close_spider(self, spider) -> None:
        self.db.close()

    def retrieve_response(self, spider, request):
        row = next(self.db.query("select * from http_cache where fingerprint = ?",
                                 [self.fingerprint(request).hex()]), None)
        if row is None:
            return None
        headers = Headers({k.encode("latin-1"): [v.encode("latin-1") for v in vs]
                           for k, vs in json.loads(row["headers"]).items()})
        cls = responsetypes.from_args(headers=headers, url=row["url"], body=row["body"])
        return cls(url=row["url"], headers=headers, status=row["status"], body=row["body"])

    def store_response(self, spider, request, response) -> None:
        headers = {k.decode("latin-1"): [v.decode("latin-1") for v in vs] for k, vs in response.headers.items()}
        with self.db.conn:
            self.db["http_cache"].upsert({"fingerprint": self.fingerprint(request).hex(), "url": response.url,
                                          "status": response.status, "headers": json.dumps(headers),
                                          "body": response.body, "stored_at": time()}, pk="fingerprint")


def recorded(callback):
    """A callback whose unexpected error (a page no rule foresaw) is one event, like any failure,
    instead of a line in Scrapy's log and a document silently missing."""
    @functools.wraps(callback)
    def safely(self, response: Response):
        try:
            yield from callback(self, response)
        except Exception as e:  # noqa: BLE001 (one page's surprise must not pass unrecorded)
            yield self._event(response.meta.get("column_url"), listed(response.request), "error",
                              f"{type(e).__name__}: {e}"[:300])
    return safely


def listed(request: scrapy.Request) -> str:
    """The URL an entry was listed under, before any redirect."""
    return request.meta.get("redirect_urls", [request.url])[0]


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class ReportColumnSpider(scrapy.Spider):
    name = "report_columns"
    # On a shared queue a machine with nothing to do waits this long for the others' new requests.
    SHARED_IDLE = 15.0

    def __init__(self, columns: list[Column], known: dict, polite: dict, shared_queue: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.last_busy = time()
        self.columns, self.known, self.polite = columns, known, polite
        self.shared_queue = shared_queue
        self.list_pages: dict[str, int] = {}
        self.entries: dict[str, int] = {}
        # URLs asked for. Requests are not left to Scrapy's duplicate filter: a redirect loop must
        # reach the redirect cap (and be reported), not vanish as a duplicate.
        self.asked: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.idle, signal=scrapy.signals.spider_idle)
        crawler.signals.connect(spider.busy, signal=scrapy.signals.response_received)
        return spider

    def idle(self) -> None:
        if self.shared_queue and time() - self.last_busy < self.SHARED_IDLE:
            raise DontCloseSpider

    def busy(self) -> None:
        self.last_busy = time()

    async def start(self):
        for column in self.columns:
            self.list_pages[column.url] = 1
            self.asked.add(column.url)
            yield self._request(column.url, self.parse_list, column.url, {"list_url": column.url})

    def _request(self, url: str, callback, column_url: str, meta: dict, **kwargs) -> scrapy.Request:
        # With a shared queue (scrapy-redis) every machine starts the same columns: there, the
        # shared duplicate filter keeps each URL to one machine.
        return scrapy.Request(url, callback=callback, errback=self.failed, dont_filter=not self.shared_queue,
                              meta={"column_url": column_url, **meta}, **kwargs)

    def _new(self, url: str) -> bool:
        """Whether `url` is yet to be asked for (and now it is)."""
        if url in self.asked:
            return False
        self.asked.add(url)
        return True

    def _profile(self, url: str) -> dict:
        return pages.profile_for(url, self.known)

    def _event(self, column_url: str, url: str, event: str, detail: str = "") -> dict:
        return {"event": event, "column_url": column_url, "url": url, "detail": detail}

    # --- list pages ----------------------------------------------------------------------------

    @recorded
    def parse_list(self, response: Response):
        column = response.meta["column_url"]
        profile = self._profile(response.url)
        if pages.file_kind(response.body, response.url) not in ("html", None):  # the column is a file
            yield from self.parse_file(response)
            return
        reason = pages.blocked(response.body, response.url, profile)
        if reason:
            yield self._event(column, response.url, "blocked", f"the list page is {reason}")
            return
        yield self._event(column, response.url, "list")
        yield from self._entries(pages.list_entries(response.body, response.url, profile), column)
        for url in pages.pager_urls(response.body, response.url, column, profile):
            if self.list_pages[column] < self.polite["max_list_pages"] and self._new(url):
                self.list_pages[column] += 1
                yield self._request(url, self.parse_list, column, {"list_url": url})
        spec = profile.get("json_list")
        if spec and response.meta.get("list_url") == column:
            first = spec.get("first_page", 1)
            yield self._request(urljoin(column, spec["url"].format(page=first)), self.parse_json_list, column,
                                {"page": first})

    @recorded
    def parse_json_list(self, response: Response):
        column = response.meta["column_url"]
        profile = self._profile(column)
        try:
            data = json.loads(response.text)
        except ValueError as e:
            yield self._event(column, response.url, "bad_list", f"the JSON list cannot be read ({e})")
            return
        found, page_count = pages.json_entries(data, response.url, profile)
        yield self._event(column, response.url, "list")
        yield from self._entries(found, column)
        page, spec = response.meta["page"], profile["json_list"]
        last = spec.get("first_page", 1) + (page_count or 0) - 1
        if found and page < last and self.list_pages[column] < self.polite["max_list_pages"]:
            self.list_pages[column] += 1
            yield self._request(urljoin(column, spec["url"].format(page=page + 1)), self.parse_json_list, column,
                                {"page": page + 1})

    def _entries(self, found: list[pages.Entry], column: str):
        for entry in found:
            if not pages.same_site(entry.url, column) or not self._new(entry.url):
                continue  # links to other sites are never followed
            if self.entries.get(column, 0) >= self.polite["max_entries"]:
                return
            self.entries[column] = self.entries.get(column, 0) + 1
            meta = {"list_url": entry.list_url, "title": entry.title, "published_date": entry.published_date}
            if pages.extension_of(entry.url) in self._profile(entry.url)["attachment_extensions"]:
                yield self._file_request(entry.url, column, meta)
            else:
                yield self._request(entry.url, self.parse_detail, column, meta)

    # --- detail pages and files --------------------------------------------------------------

    @recorded
    def parse_detail(self, response: Response):
        column, meta = response.meta["column_url"], response.meta
        profile = self._profile(response.url)
        if pages.file_kind(response.body, response.url) not in ("html", None):  # a file behind a page's URL
            yield from self.parse_file(response)
            return
        reason = pages.blocked(response.body, response.url, profile)
        if reason:
            yield self._event(column, listed(response.request), "blocked", f"the entry leads to {reason}")
            return
        detail = pages.read_detail(response.body, response.url, profile)
        given = {"list_url": meta.get("list_url"), "title": meta.get("title") or detail.title,
                 "published_date": meta.get("published_date") or detail.published_date,
                 "agency": detail.agency, "index_number": detail.index_number}
        attachments = [(url, text) for url, text in detail.attachments if pages.same_site(url, response.url)]
        if detail.inline_chars >= profile["min_inline_report_chars"] or (detail.inline_chars and not attachments):
            yield self._document(response, "html", column, given)
            return
        if not attachments:
            yield self._event(column, response.url, "no_report", "the page holds no article and links no file")
            return
        for url, _ in attachments:
            if self._new(url):
                yield self._file_request(url, column, given)

    def _file_request(self, url: str, column: str, meta: dict) -> scrapy.Request:
        # Files are not kept in the HTTP cache (the output folder holds them): a conditional
        # request with the validators of the version held, and a 304 is "unchanged".
        return self._request(url, self.parse_file, column, {**meta, "dont_cache": True,
                                                             "handle_httpstatus_list": [304]},
                             headers=self.keeper.validators(url))

    @recorded
    def parse_file(self, response: Response):
        column, meta = response.meta["column_url"], response.meta
        if response.status == 304:
            yield self._event(column, response.url, "unchanged304")
            return
        kind = pages.file_kind(response.body, response.url)
        expected = pages.extension_of(response.url)
        if kind in (None, "html") and expected in self._profile(response.url)["attachment_extensions"]:
            reason = pages.blocked(response.body, response.url, self._profile(response.url)) if kind else None
            yield self._event(column, response.url, "not_a_document",
                              f"a .{expected} link answered with {reason or ('an HTML page' if kind else 'unknown bytes')}")
            return
        yield self._document(response, kind or "html", column, {k: meta.get(k) for k in (
            "list_url", "title", "published_date", "agency", "index_number")})

    def _document(self, response: Response, kind: str, column: str, given: dict) -> dict:
        return {"event": "document", "column_url": column, "fetched": state.Fetched(
            url=response.url, body=response.body, kind=kind, name=pages.document_name(response.url, kind),
            column_url=column, etag=_header(response, "ETag"), last_modified=_header(response, "Last-Modified"),
            **given)}

    # --- failures ------------------------------------------------------------------------------

    def failed(self, failure):
        request = failure.request
        column = request.meta.get("column_url")
        kind, detail = describe(failure)
        yield self._event(column, listed(request), kind, detail)


def describe(failure) -> tuple[str, str]:
    """A failure's kind (the event name) and what it means, in words."""
    error = failure.value
    if failure.check(HttpError):
        status = error.response.status
        return f"http_{status}", f"the site answered {status}"
    if failure.check(DNSLookupError, CannotResolveHostError):
        return "dns", "the host name does not resolve (no network, or no such site)"
    if failure.check(TimeoutError, TCPTimedOutError, DownloadTimeoutError):
        return "timeout", "the site did not answer in time"
    if failure.check(ConnectionRefusedError, DownloadConnectionRefusedError):
        return "refused", "the site refused the connection"
    if failure.check(IgnoreRequest):
        message = str(error)
        if "robots.txt" in message:
            return "robots", "robots.txt disallows it"
        if "redirections" in message:
            return "redirect_loop", "too many redirects (a loop)"
        return "ignored", message
    message = str(error)
    if failure.check(DownloadCancelledError) and "max size" in message:
        return "too_large", f"over the {MAX_BYTES // (1024 * 1024)} MB cap"
    return "error", f"{type(error).__name__}: {message}"[:300]


class KeepDocuments:
    """The one writer: documents and sidecars into the output folder, events into the state file."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.out, self.polite = crawler.settings["HARVEST_OUT"], crawler.settings["HARVEST_POLITE"]

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.db = state.open_state(state.state_path(self.out))
        self.harvest = state.Harvest(self.out, self.db, [{"url": c.url, "agency": c.agency, "region_code": c.region_code}
                                                         for c in spider.columns], self.polite)
        spider.keeper = self.harvest

    def close_spider(self) -> None:
        self.harvest.finish()
        self.db.close()

    def process_item(self, item: dict) -> dict:
        if item["event"] == "document":
            self.harvest.keep(item["fetched"])
        elif item["event"] == "unchanged304":
            self.harvest.unchanged(item["column_url"], item["url"])
        else:
            with self.db.conn:
                self.harvest.event(item["column_url"], item["url"], item["event"], item["detail"])
        return {"event": item["event"], "url": item.get("url") or item["fetched"].url}
