"""Times the dashboard's runs page JSON (/web/api/runs) with N stored runs (docs/performance.md).

Creates N runs through the token API (PUT definition: a stored run with its directory), signs in
through the form, and times first/deep pages and filtered queries over the session cookie.
Usage: runs_page_bench.py URL TOKEN [N]   (a fresh server: the runs are left in its data directory)
"""
import concurrent.futures
import http.cookiejar
import statistics
import sys
import time
import urllib.parse
import urllib.request

URL, TOKEN = sys.argv[1], sys.argv[2]
N = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
XML = b"""<?xml version="1.0"?><simulationDefinition><numericalModel><needles/><regions/>
<definition family="python-demo"/></numericalModel></simulationDefinition>"""


def put(index):
    request = urllib.request.Request("%s/api/v1/simulations/BENCH-%05d/definition" % (URL, index), data=XML, method="PUT")
    request.add_header("Authorization", "Bearer " + TOKEN)
    request.add_header("Content-Type", "application/xml")
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200


began = time.time()
with concurrent.futures.ThreadPoolExecutor(8) as pool:
    list(pool.map(put, range(N)))
print("created %d runs in %.0f s" % (N, time.time() - began))

jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
opener.open(URL + "/signin", data=urllib.parse.urlencode({"token": TOKEN}).encode(), timeout=60).read()


def timed(path, n=30):
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        body = opener.open(URL + path, timeout=60).read()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    print("| `%s` | %d | %.1f ms | %.1f ms | %d B |" % (path, n, statistics.median(samples), samples[-1], len(body)))


print("| request | n | p50 | max | body |\n|---|---|---|---|---|")
timed("/web/api/runs")
timed("/web/api/runs?page=150")
timed("/web/api/runs?q=bench-0999")
timed("/web/api/runs?state=created&family=python-demo&page=20")
timed("/runs")
