from spiders.news import NewsSpider


class SkewSpider(NewsSpider):
    """SKEW (Contao): the "Aktuelles" and "Im Fokus" archives."""

    name = "skew"
