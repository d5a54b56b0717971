from spiders.news import NewsSpider


class Lag21Spider(NewsSpider):
    """LAG 21 NRW (TYPO3 tx_news): the "Aktuelles" list and its pages."""

    name = "lag21"
