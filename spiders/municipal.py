from spiders.news import NewsSpider


class MunicipalSpider(NewsSpider):
    """Every municipal-style source of the sources file (or one, with -a source=NAME)."""

    name = "municipal"
