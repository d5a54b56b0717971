"""Scrapy settings of partnerwatch. Every CRAWLER_* setting is described in docs/settings.md."""

BOT_NAME = "partnerwatch"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
COMMANDS_MODULE = "crawler.scrapy_commands"  # `scrapy crawl` with one-line argument errors

# --- politeness -------------------------------------------------------------------------
# berlin.de's robots.txt asks every robot to identify itself clearly and uniquely.
USER_AGENT = ("partnerwatch/0.1 (+https://github.com/partnerwatch/partnerwatch; "
              "news monitor for municipal development policy)")
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
# Scrapy starts CONCURRENT_ITEMS asyncio tasks for every response's callback output (default 100);
# a callback here yields one item at most, so 100 tasks a page were most of a 304 re-crawl's cost
CONCURRENT_ITEMS = 4

# --- safety and politeness middlewares (docs/safety.md) ----------------------
# Only http(s): no file:, data:, ftp: or s3: fetches, whatever a link or redirect says.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}
DOWNLOADER_MIDDLEWARES = {
    # before everything else, so every request and every redirect hop is checked first
    "crawler.middlewares.NetGuardMiddleware": 40,
    # the net guard also checks hosts, with ports; Scrapy's off-site filter drops redirects
    # silently when they are scheduled, so a refused article would get no outcome row
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.RobotsTxtFailClosedMiddleware": 100,
    # sees 429/503 before RetryMiddleware (550) schedules the retry
    "crawler.middlewares.RetryAfterMiddleware": 555,
    # a name the GuardedResolver refused is outcome `refused`, not a DNS error for RetryMiddleware
    "crawler.resolver.RefusedAddressMiddleware": 560,
    # sees a gzip/deflate body before Scrapy's HttpCompressionMiddleware (590), which inflates a
    # stream cut short without complaint (reliability.md H8); it hands on the inflated body
    "crawler.compression.StrictDecompressionMiddleware": 595,
    # loops and overlong chains end as named errors under the linked URL, not silently
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.redirects.StrictRedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.redirects.StrictMetaRefreshMiddleware": 580,
}
# host names are judged on the answer the connection uses, not on a lookup of their own
TWISTED_DNS_RESOLVER = "crawler.resolver.GuardedResolver"
# with HTTP(S)_PROXY in the environment the proxy would resolve names, and the guard would judge
# nothing; a deliberate proxy is configured by setting this True
HTTPPROXY_ENABLED = False
CRAWLER_NETGUARD_ENABLED = True
CRAWLER_NETGUARD_ALLOWED_PRIVATE: list[str] = []  # "address" or "address:port" that may be fetched although not public
CRAWLER_RETRY_AFTER_ENABLED = True
CRAWLER_RETRY_AFTER_MAX = 600.0  # seconds; a host asking for a longer Retry-After is deferred to the next run
CRAWLER_CRAWL_DELAY_MAX = 60.0  # seconds; a longer robots.txt Crawl-delay is cut to this
CRAWLER_RETRY_AFTER_DEFAULT = 5.0  # seconds to wait after a 429 without Retry-After
CRAWLER_RETRY_AFTER_MIN_DELAY = 1.0  # seconds between requests to a host that asked to slow down
CRAWLER_DISCOVERY_DEPTH_LIMIT = 50  # listing hops from a start URL, unless the source sets depth_limit
CRAWLER_DISCOVERY_MAX_LINKS = 500  # links taken from one listing, feed or sitemap
CRAWLER_DISCOVERY_SINCE = None  # ISO date: skip sitemap entries whose lastmod is older

# --- limits (reliability.md findings 1 and 3, rows H5, H13) -------------------------------
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024  # Scrapy's default is 1 GiB
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30
REDIRECT_MAX_TIMES = 5
RETRY_TIMES = 2
# No control ports on a nightly crawler: Scrapy 2.19 opens a remote-control HTTP server by default.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
# A news crawler needs no cookies; and Scrapy's cookie middleware looks up the public suffix
# list on the internet (tldextract) the first time a site sets one.
COOKIES_ENABLED = False
LOG_LEVEL = "INFO"
# Scrapy re-reads and parses a generator callback's source for every response to warn about a
# `return value` in it: its cache holds bound methods weakly, and each request's dies at once
# (~3 % of a re-crawl's event loop). tests/test_discovery.py checks our callbacks return no value.
WARN_ON_GENERATOR_RETURN_VALUE = False
STATS_CLASS = "crawler.crawl_stats.CrawlStats"  # Scrapy's, without a shim on every attribute access

ITEM_PIPELINES = {
    "crawler.pipelines.ExtractPipeline": 300,
    "crawler.archive_pipeline.StoragePipeline": 800,
}

# --- partnerwatch -----------------------------------------------------------------------
CRAWLER_STORAGE_ENABLED = True
CRAWLER_STORAGE_PATH = "archive.db"
CRAWLER_STORAGE_PROCESS = True  # the archive writer in a process of its own (False: a thread of the crawl's)
CRAWLER_STORAGE_MAX_MB = 0.0  # cap on the archive's size (0: none); past it the crawl stops as on a full disk
CRAWLER_SOURCES_PATH = None  # None: the bundled spiders/sources.toml
CRAWLER_ORIGIN_MAP: dict[str, str] = {}  # real origin -> origin to crawl instead, e.g. the offline replica
CRAWLER_SOURCE_DELAYS_ENABLED = True  # honour a source's own `delay`
CRAWLER_EXTRACT_WORKERS = 2  # processes for extraction; 0 extracts in the crawl process
CRAWLER_EXTRACT_TIMEOUT = 20  # seconds for one page; trafilatura has no timeout of its own
CRAWLER_EXTRACT_MAX_BYTES = 5 * 1024 * 1024  # larger pages never reach the extractor
CRAWLER_EXTRACT_MIN_CHARS = 200  # shorter main text is "no article"
# seconds between returns of the crawl process's free heap to the system (crawler/memory.py); 0: never
CRAWLER_MEMORY_TRIM_INTERVAL = 10.0

# --- duplicates (issue 6; defaults measured by bench/duplicates.py) ----------------------
CRAWLER_DEDUP_ENABLED = True  # link exact and near-duplicate texts into story clusters
CRAWLER_DEDUP_JACCARD = 0.5  # estimated Jaccard of word 5-shingles from which texts are near-duplicates
CRAWLER_DEDUP_SHARED_WORDS = 30  # words of verbatim shared sentences from which texts are one story
CRAWLER_DEDUP_BOILERPLATE_ARTICLES = 50  # a sentence in this many articles is boilerplate, not a link
CRAWLER_DEDUP_SHARED_SHARE = 0.27  # ...and that share of the shorter text's words (issue 11: no quoted-line links)
CRAWLER_DEDUP_TOPIC_OVERLAP = 0.08  # a quote (under half the shorter text) also needs this share of other words alike

# --- change monitoring (issue 5) ---------------------------------------------------------
CRAWLER_CONDITIONAL_ENABLED = True  # If-None-Match / If-Modified-Since for known articles
CRAWLER_REVISIT_ENABLED = True  # re-fetch known articles that no listing or feed linked this run
CRAWLER_GONE_AFTER_RUNS = 3  # consecutive completed runs answering 404/410 before the tombstone (410: 1)
# a known article's text with fewer than this share of its current words is stored only when the
# next run finds it again (reliability.md H8 (b)); 0: store at once
CRAWLER_SHRINK_QUARANTINE_RATIO = 0.5
DOWNLOADER_MIDDLEWARES |= {  # |=: the safety middlewares above stay
    # below Redirect (600) and HttpCompression (590): it sees final, decoded responses
    "crawler.conditional.ConditionalRequestsMiddleware": 560,
}
# SettingsCheck first: a bad CRAWLER_* value stops the crawl, naming the setting, before any other part reads it
CRAWLER_REVISIT_TODAY = None  # ISO date the adaptive revisit policy takes as tonight (simulations); None: today (UTC)
EXTENSIONS = {"crawler.settings_check.SettingsCheck": -100, "crawler.ownership.ArchiveOwnership": -90,
              "crawler.revisit.RevisitExtension": 500, "crawler.adaptive_revisits.AdaptiveRevisits": 400,
              "crawler.memory.MemoryTrim": 0,
              "crawler.gc_tuning.GarbageCollectorTuning": 0, "crawler.log_threshold.LogThreshold": 0}
# gc.set_threshold in the crawl process: Python's own, cheap once start-up is frozen; [] keeps Python's
CRAWLER_GC_THRESHOLD = [700, 10, 10]
# MB the crawl process may grow between full collections (crawler/gc_tuning.py); 0: only the thresholds
CRAWLER_GC_MEMORY_STEP = 64
# --- the crawl job, its schedule and its reports (schedules/, docs/scheduling.md) -------
CRAWLER_RUN_ID = None  # set by the crawl job on each spider process: write under the job's run
CRAWLER_JOB_SPIDER_TIMEOUT = 4 * 3600  # seconds one spider process may run before it is stopped
# crawl processes of a job at once (never two on one host); 0: one per core, as each forks
# CRAWLER_EXTRACT_WORKERS extraction workers, cut so all of them together fit the cores
CRAWLER_JOB_PARALLEL = 0
CRAWLER_SCHEDULE_TIME = "02:00"  # local time of the nightly run, HH:MM or HH:MM:SS
CRAWLER_SCHEDULE_TIMEZONE = "Europe/Berlin"
CRAWLER_SCHEDULE_MISFIRE_GRACE = 6 * 3600  # seconds a late firing still runs (APScheduler's default: 1)
CRAWLER_SCHEDULE_CHECK_INTERVAL = 3600  # seconds between checks for a due night without a run
CRAWLER_REPORT_DIR = None  # None: reports/ next to the archive
CRAWLER_NOTIFY_COMMAND = None  # run with the report's path (and its JSON on stdin) on failure or news
CRAWLER_NOTIFY_URL = None  # POST the report JSON here on failure or news
CRAWLER_STATUS_STALE_DAYS = 3  # `partnerwatch status`: a source without a successful run this long is stale
# --- site templates and the raw archive (issue 4; docs/schema.md, docs/extraction.md) ----------
CRAWLER_TEMPLATE_ENABLED = True  # learn each source's repeated paragraphs; keep them out of stored texts
CRAWLER_TEMPLATE_MIN_PAGES = 8  # distinct pages of a source counted before any block is learned
CRAWLER_TEMPLATE_MIN_BLOCK_PAGES = 3  # distinct pages (articles) a paragraph or DOM block must repeat on to be a block
CRAWLER_TEMPLATE_HOLD_PAGES = 20  # per source, the newest extracted articles held back until this many more were seen
CRAWLER_RAW_PAGES_ENABLED = True  # keep every extracted page's raw bytes (zstd, each distinct body once)
# --- many machines: `partnerwatch worker`, `writer`, `enqueue` (README, "Many machines") ----------
CRAWLER_REDIS_PREFIX = "partnerwatch"  # the night's Redis keys start with this (REDIS_URL: scrapy-redis's)
CRAWLER_REDIS_SEED = False  # set by `partnerwatch enqueue`: its crawl queues the start requests and fetches nothing
CRAWLER_REDIS_SHARD = 0  # the worker's shard: it fetches the hosts whose hash modulo the night's shards is this
CRAWLER_REDIS_IDLE_TIMEOUT = 600.0  # seconds an idle worker waits for requests other workers may still queue
