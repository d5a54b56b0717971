"""A resolver whose answers a test writes: the crawl's GuardedResolver with its lookup replaced.

The crawl subprocess loads it with `TWISTED_DNS_RESOLVER=tests.scripted_dns.ScriptedResolver`
and reads the script from the environment, PARTNERWATCH_TEST_DNS = JSON {name: [answer, …]}:
each lookup of a name takes the next answer (the last one repeats), "" is an empty answer and
"!error" a failing lookup. No query ever leaves the process.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.error import DNSLookupError

from crawler.resolver import GuardedResolver

SCRIPT_ENV = "PARTNERWATCH_TEST_DNS"


class ScriptedResolver(GuardedResolver):
    """Answers from the test's script; the guard's checks run on them as on real answers."""

    calls: dict[str, int] = {}

    def lookup(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        answers = json.loads(os.environ.get(SCRIPT_ENV, "{}")).get(name)
        if not answers:
            return fail(DNSLookupError(f"{name}: not in the test's script"))
        number = self.calls.get(name, 0)
        self.calls[name] = number + 1
        answer = answers[min(number, len(answers) - 1)]
        if answer == "!error":
            return fail(DNSLookupError(f"{name}: lookup failed (scripted)"))
        return succeed(answer)
