"""Times admin dashboard pages for scripts/bench.d/admin_search.sh.

Usage: admin_search.py BASE_URL EMAIL PASSWORD REPEAT "label=path" ...
Signs in through the hosted login form, then GETs each path REPEAT times (after one warm-up)
and prints one line per path: p50, p95 and max in milliseconds and the rows on the page.
A path of NEXT follows the previous page's "Next page" link.
"""

import html
import http.cookiejar
import re
import statistics
import sys
import time
import urllib.parse
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


def main() -> None:
    base, email, password, repeat = (
        sys.argv[1],
        sys.argv[2],
        sys.argv[3],
        int(sys.argv[4]),
    )
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(jar), NoRedirect()
    )
    page = opener.open(base + "/login").read().decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf, "no CSRF token on the login page"
    form = urllib.parse.urlencode(
        {
            "csrf_token": html.unescape(csrf.group(1)),
            "email": email,
            "password": password,
        }
    ).encode()
    try:
        opener.open(base + "/login", data=form)
    except urllib.error.HTTPError as e:
        assert e.code == 303, f"login answered {e.code}"
    last = ""
    for spec in sys.argv[5:]:
        label, path = spec.split("=", 1)
        if path == "NEXT":
            m = re.search(r'href="([^"]+)" id="next-page"', last)
            assert m, f"{label}: the previous page has no next page"
            path = html.unescape(m.group(1))
        times = []
        body = ""
        for i in range(repeat + 1):
            t = time.perf_counter()
            res = opener.open(base + path)
            body = res.read().decode()
            assert res.status == 200, f"{path}: {res.status}"
            if i:
                times.append((time.perf_counter() - t) * 1000)
        last = body
        rows = len(re.findall(r"data-(?:user|org)-id=", body))
        times.sort()
        p95 = times[max(0, round(0.95 * len(times)) - 1)]
        print(
            f"{label:34} p50 {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   max {times[-1]:7.1f} ms   rows {rows}"
        )


if __name__ == "__main__":
    main()
