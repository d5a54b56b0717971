"""A Datasette facet by year of an ISO date column (`facets: [{year: published_at}]`, `?_facet_year=`).

Datasette's own date facet counts days; a news archive is browsed by year. Choosing a year
filters with Datasette's `COLUMN__startswith=YYYY`, so no new filter is needed.
"""

from __future__ import annotations

from typing import Any

from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args


class YearFacet(Facet):
    type = "year"

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results, timed_out = [], []
        args = dict(self.get_querystring_pairs())
        size = self.get_facet_size()
        for found in self.get_configs():
            column = found["config"].get("column") or found["config"]["simple"]
            year = f"substr({escape_sqlite(column)}, 1, 4)"
            # the column is escaped, the inner query is Datasette's own and its values stay parameters
            sql = (f"select {year} as value, count(*) as count from ({self.sql}) "  # noqa: S608
                   f"where {escape_sqlite(column)} glob '[0-9][0-9][0-9][0-9]*' "
                   f"group by value order by value desc limit {size + 1}")
            try:
                rows = (await self.ds.execute(self.database, sql, self.params, truncate=False,
                                              custom_time_limit=self.ds.setting("facet_time_limit_ms"))).rows
            except QueryInterrupted:
                timed_out.append(column)
                continue
            selector = f"{column}__startswith"
            values = []
            for row in rows[:size]:
                selected = args.get(selector) == row["value"]
                path = (path_with_removed_args(self.request, {selector: row["value"]}) if selected
                        else path_with_added_args(self.request, {selector: row["value"]}))
                values.append({"value": row["value"], "label": row["value"], "count": row["count"],
                               "toggle_url": self.ds.absolute_url(self.request, path), "selected": selected})
            results.append({"name": column, "type": self.type, "results": values,
                            "hideable": found["source"] != "metadata",
                            "toggle_url": path_with_removed_args(self.request, {"_facet_year": column}),
                            "truncated": len(rows) > size})
        return results, timed_out
