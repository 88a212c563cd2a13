"""The web dashboard in a real browser (Debian's chromium + chromedriver, Selenium from PyPI),
against a real `gssa server`, launch daemon and dockerd started by scripts/browser-test.

Signs in, submits examples/python-demo through the form and watches its progress bar reach
100 % without a reload, downloads the results bundle and checks it, submits a sweep of three
through the form and checks its children table and plot, reschedules a finished run, suspends,
resumes and cancels a long run, checks
that another user's run is invisible and that a bad family shows its line, measures event ->
display latency and the first-load transfer size, and writes a screenshot of every page, each
checked for gross breakage (empty page, error page, missing key text).

Usage: dashboard_test.py URL ALICE_TOKEN BOB_TOKEN ADMIN_TOKEN OUT_DIR
"""
import json
import os
import shutil
import statistics
import sys
import tarfile
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import (NoAlertPresentException, NoSuchElementException,
                                        StaleElementReferenceException, WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

URL, ALICE, BOB, ADMIN, OUT = sys.argv[1:6]
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(REPO, "Tests", "GSSAServerTests", "Fixtures")
DOWNLOADS = tempfile.mkdtemp(prefix="gssa-browser-downloads-")
os.makedirs(OUT, exist_ok=True)
failures = []
figures = {}


def check(condition, what):
    print(("ok    " if condition else "FAIL  ") + what, flush=True)
    if not condition:
        failures.append(what)


def api(method, path, token, body=None, content_type="application/json"):
    request = urllib.request.Request(URL + path, method=method, data=body)
    request.add_header("Authorization", "Bearer " + token)
    if body is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


def driver():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1100", "--disable-gpu"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": DOWNLOADS, "download.prompt_for_download": False})
    browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    browser.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": DOWNLOADS})
    return browser


def wait(browser, condition, seconds=60, what="condition"):
    try:
        # Live pages re-render their rows on events: an element found a moment ago may be gone,
        # so a stale or missing element means "not yet", and the condition is tried again.
        return WebDriverWait(browser, seconds, poll_frequency=0.1,
                             ignored_exceptions=[NoSuchElementException, StaleElementReferenceException]
                             ).until(lambda b: condition(b))
    except Exception:
        shot(browser, "timeout-" + what.replace(" ", "-")[:40], [], check_errors=False)
        raise AssertionError("timed out after %d s waiting for %s (url %s)" % (seconds, what, browser.current_url))


def shot(browser, name, key_texts, check_errors=True):
    """A screenshot of the current page, and the gross-breakage checks on it."""
    path = os.path.join(OUT, name + ".png")
    browser.save_screenshot(path)
    if not key_texts:
        return
    text = browser.find_element(By.TAG_NAME, "body").text
    check(len(text.strip()) > 40, "%s: the page is not empty (%d characters)" % (name, len(text.strip())))
    check(os.path.getsize(path) > 8000, "%s: the screenshot is not blank (%d bytes)" % (name, os.path.getsize(path)))
    for bad in ("no such endpoint", "Internal Server Error", "Loading…"):
        check(bad not in text, "%s: no '%s' on the page" % (name, bad))
    if check_errors:
        # In a 1-tuple, so that no error box (an empty list) still ends the wait.
        errors = wait(browser, lambda b: ([e.text for e in b.find_elements(By.CSS_SELECTOR, ".error") if e.is_displayed()],),
                      what="the error boxes")[0]
        check(not errors, "%s: no error box shown (%s)" % (name, errors))
    for key in key_texts:
        check(key in text, "%s: shows '%s'" % (name, key))


def sign_in(browser, token):
    browser.get(URL + "/runs")
    wait(browser, lambda b: "/signin" in b.current_url, what="redirect to sign-in")
    field = browser.find_element(By.NAME, "token")
    field.send_keys(token)
    field.submit()
    wait(browser, lambda b: b.current_url.rstrip("/").endswith("/runs") or "/runs?" in b.current_url, what="runs page after sign-in")
    wait(browser, lambda b: b.find_element(By.ID, "runs-count").text != "", what="runs list")


def submit_form(browser, xml_path=None, xml_text=None, files=(), sweep=None, after=None):
    browser.get(URL + "/submit")
    wait(browser, lambda b: b.find_elements(By.ID, "definition-text"), what="submit form")
    if xml_path:
        browser.find_element(By.ID, "definition-file").send_keys(xml_path)
        wait(browser, lambda b: b.find_element(By.ID, "definition-text").get_property("value").strip() != "", what="definition loaded")
    if xml_text is not None:
        browser.execute_script(
            "const t = document.getElementById('definition-text'); t.value = arguments[0]; t.dispatchEvent(new Event('change'));", xml_text)
    if files:
        browser.find_element(By.ID, "input-files").send_keys("\n".join(files))
    if sweep:
        browser.find_element(By.ID, "sweep").send_keys(sweep)
    if after:
        browser.find_element(By.ID, "after").send_keys(after)
    browser.find_element(By.ID, "submit").click()


def run_guid(browser):
    wait(browser, lambda b: "/runs/" in b.current_url, seconds=90, what="the run page")
    wait(browser, lambda b: b.find_elements(By.ID, "run-state"), what="run page drawn")
    return browser.current_url.rsplit("/", 1)[1]


def percent(browser):
    return float(browser.find_element(By.ID, "run-progress").get_attribute("aria-valuenow"))


def state(browser):
    return browser.find_element(By.ID, "run-state").text.strip()


def main():
    # Another user's run, made through the token API.
    bob_run = "BOB-PRIVATE-" + str(int(time.time()))
    with open(os.path.join(FIXTURES, "demo.xml"), "rb") as f:
        status, _ = api("PUT", "/api/v1/simulations/%s/definition" % bob_run, BOB, f.read(), "application/xml")
    check(status == 200, "bob's run created through the API (%s)" % status)

    browser = driver()
    try:
        # Sign-in page, a wrong token, then alice.
        browser.get(URL + "/runs")
        wait(browser, lambda b: "/signin" in b.current_url, what="redirect to sign-in")
        browser.find_element(By.NAME, "token").send_keys("gssa_not_a_token")
        browser.find_element(By.NAME, "token").submit()
        wait(browser, lambda b: "not valid" in b.find_element(By.ID, "message").text, what="wrong-token message")
        shot(browser, "01-signin-wrong-token", ["That token is not valid", "Sign in"], check_errors=False)
        sign_in(browser, ALICE)
        shot(browser, "02-runs-empty", ["Runs", "alice"])
        check(bob_run not in browser.page_source, "bob's run is not in alice's list")
        browser.get(URL + "/runs/" + bob_run)
        wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, ".error"), what="not-found message")
        check("no" in browser.find_element(By.CSS_SELECTOR, ".error").text.lower(), "bob's run answers not found to alice")
        shot(browser, "03-run-of-another-user", ["Run " + bob_run], check_errors=False)

        # Keyboard: the first Tab reaches the skip link.
        browser.get(URL + "/runs")
        wait(browser, lambda b: b.find_element(By.ID, "runs-count").text != "", what="runs list")
        browser.find_element(By.TAG_NAME, "body").send_keys("\t")
        check(browser.execute_script("return document.activeElement.className") == "skip", "Tab reaches the skip link first")

        # python-demo through the form; the progress bar reaches 100 % without a reload.
        demo = os.path.join(REPO, "examples", "python-demo")
        submit_form(browser, xml_path=os.path.join(demo, "definition.xml"), files=[os.path.join(demo, "tumour.stl")])
        guid = run_guid(browser)
        browser.execute_script("window.__noReload = 'still here';")
        wait(browser, lambda b: percent(b) >= 100 and state(b) == "succeeded", seconds=240, what="python-demo at 100 %")
        check(browser.execute_script("return window.__noReload") == "still here", "progress reached 100 % without a reload")
        wait(browser, lambda b: b.find_elements(By.ID, "download-results"), what="download link")
        shot(browser, "04-run-succeeded", ["succeeded", "Stages", "Definition", "CONSTANT_COOLING_RATE", "Download results"])

        # The results bundle, downloaded by the browser.
        browser.find_element(By.ID, "download-results").click()
        deadline = time.time() + 60
        bundle = None
        while time.time() < deadline and bundle is None:
            done = [n for n in os.listdir(DOWNLOADS) if n.endswith((".tar.gz", ".tgz"))]
            bundle = os.path.join(DOWNLOADS, done[0]) if done else None
            time.sleep(0.2)
        check(bundle is not None, "the results bundle was downloaded")
        if bundle:
            with tarfile.open(bundle) as tar:
                names = tar.getnames()
            check(any(n.endswith("summary.json") for n in names) and any(n.endswith("curve.csv") for n in names),
                  "the bundle holds summary.json and curve.csv (%d members)" % len(names))

        browser.get(URL + "/runs")
        wait(browser, lambda b: guid in b.page_source, what="the run in the list")
        shot(browser, "05-runs", ["Runs", guid[:8], "python-demo", "succeeded"])

        # A sweep through the form: three cooling rates. The parent's page lists the children
        # live and plots final_temperature (from each child's summary.json) against the rate.
        # The range is expanded in the browser (start:stop:step, stop included).
        rates = ["0.01", "0.02", "0.03"]
        submit_form(browser, xml_path=os.path.join(demo, "definition.xml"), files=[os.path.join(demo, "tumour.stl")],
                    sweep="CONSTANT_COOLING_RATE=0.01:0.03:0.01")
        parent = run_guid(browser)
        wait(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#sweep-children tbody tr")) == 3, what="the sweep's three children")
        browser.execute_script("window.__noReload = 'sweep';")
        wait(browser, lambda b: state(b) == "succeeded"
             and len(b.find_elements(By.CSS_SELECTOR, "#sweep-plot svg circle")) == 3
             and all("succeeded" in row.text for row in b.find_elements(By.CSS_SELECTOR, "#sweep-children tbody tr")),
             seconds=240, what="the sweep succeeded with three points")
        check(browser.execute_script("return window.__noReload") == "sweep", "the sweep's page followed its children without a reload")
        # The children's table follows events, so its rows are read in one go (again if a row
        # is replaced while being read) and never kept.
        children = wait(browser, lambda b: [(row.get_attribute("data-guid"), row.find_elements(By.TAG_NAME, "td")[3].text)
                                            for row in b.find_elements(By.CSS_SELECTOR, "#sweep-children tbody tr")],
                        what="the sweep's rows")
        check([name.startswith(parent + "-") for name, _ in children] == [True] * 3, "the children are the parent's")
        shown = [rate for _, rate in children]
        check(shown == rates, "each child's row shows its rate, in order (%s)" % shown)
        check(browser.find_element(By.ID, "sweep-x").get_attribute("value") == "CONSTANT_COOLING_RATE"
              and browser.find_element(By.ID, "sweep-y").get_attribute("value") == "final_temperature",
              "the plot is final_temperature against CONSTANT_COOLING_RATE")
        points = sorted(wait(browser, lambda b: [(float(c.get_attribute("cx")), float(c.get_attribute("cy")))
                                                 for c in b.find_elements(By.CSS_SELECTOR, "#sweep-plot svg circle")],
                             what="the plotted points"))
        # Faster cooling, lower final temperature: further down the plot (SVG y grows downwards).
        check(points[0][1] < points[1][1] < points[2][1], "the plotted temperature falls as the rate grows (%s)" % points)
        check("3 runs" in browser.find_element(By.ID, "sweep-counts").text and "succeeded: 3" in browser.find_element(By.ID, "sweep-counts").text,
              "the sweep's counts: %s" % browser.find_element(By.ID, "sweep-counts").text)
        browser.execute_script("document.getElementById('sweep').scrollIntoView()")
        shot(browser, "12-sweep", ["Sweep", "final_temperature", "CONSTANT_COOLING_RATE", "succeeded: 3"])
        # The sweep view's JSON: only for a sweep, and only the caller's.
        fetch = "return fetch(arguments[0]).then(async (r) => [r.status, (await r.json()).error?.message ?? ''])"
        status, message = browser.execute_script(fetch, "/web/api/runs/%s/sweep" % guid)
        check(status == 404 and "not a sweep" in message, "a run that is not a sweep has no sweep view (%s %s)" % (status, message))
        status, message = browser.execute_script(fetch, "/web/api/runs/%s/sweep" % bob_run)
        check(status == 404 and bob_run in message, "another user's run has no sweep view either (%s %s)" % (status, message))
        second = children[1][0]
        wait(browser, lambda b: b.find_element(By.CSS_SELECTOR, "tr[data-guid='%s'] a" % second).click() or True,
             what="a click on the second child's link")
        wait(browser, lambda b: b.current_url.endswith("/runs/" + second), what="a child's page")
        wait(browser, lambda b: b.find_elements(By.ID, "run-state") and "CONSTANT_COOLING_RATE = 0.02" in b.find_element(By.TAG_NAME, "body").text,
             what="the child's swept value")
        check(parent in browser.find_element(By.TAG_NAME, "dl").text, "the child names its parent")
        shot(browser, "13-sweep-child", ["Parent", "Swept values", "succeeded"])

        # Latency: a run with many status events, watched on its page.
        with open(os.path.join(FIXTURES, "sleep.xml")) as f:
            sleep_xml = f.read()
        submit_form(browser, xml_text=sleep_xml.replace('"STEPS"', '"80"').replace('"SLEEP"', '"0.1"'))
        run_guid(browser)
        wait(browser, lambda b: state(b) == "succeeded", seconds=240, what="the latency run")
        latencies = sorted(browser.execute_script("return window.__gssaLatencies"))
        check(len(latencies) >= 20, "latency samples (%d)" % len(latencies))
        if latencies:
            p50 = statistics.median(latencies)
            p99 = latencies[min(len(latencies) - 1, int(round(0.99 * (len(latencies) - 1))))]
            figures["event_to_display_ms"] = {"samples": len(latencies), "p50": p50, "p99": p99, "max": latencies[-1]}
            print("figure: status event -> displayed: p50 %.0f ms, p99 %.0f ms (%d events)" % (p50, p99, len(latencies)))
            check(p99 <= 200, "a new state is shown within 200 ms of its event (p99 %.0f ms)" % p99)

        # The runs list is live: a run started elsewhere (the token API) appears and finishes
        # on the open page without a reload.
        browser.get(URL + "/runs")
        wait(browser, lambda b: b.find_element(By.ID, "runs-count").text != "", what="runs list")
        browser.execute_script("window.__noReload = 'list';")
        other = "API-RUN-" + str(int(time.time()))
        short = sleep_xml.replace('"STEPS"', '"10"').replace('"SLEEP"', '"0.2"').encode()
        status, _ = api("PUT", "/api/v1/simulations/%s/definition" % other, ALICE, short, "application/xml")
        status2, _ = api("POST", "/api/v1/simulations/%s/finalize" % other, ALICE, b'{"directory": "."}')
        status3, _ = api("POST", "/api/v1/simulations/%s/start" % other, ALICE, b"{}")
        check((status, status2, status3) == (200, 200, 202), "a run started through the API (%s %s %s)" % (status, status2, status3))
        row = "tr[data-guid='%s']" % other
        wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, row), seconds=60, what="the API run in the live list")
        wait(browser, lambda b: "succeeded" in b.find_element(By.CSS_SELECTOR, row).text, seconds=120, what="the API run succeeded in the list")
        check(browser.execute_script("return window.__noReload") == "list", "the runs list followed the run without a reload")

        # Reschedule the finished API run from its page: the button lands on the new run.
        browser.get(URL + "/runs/" + other)
        wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "button[data-action=reschedule]"), what="the reschedule button")
        browser.find_element(By.CSS_SELECTOR, "button[data-action=reschedule]").click()
        wait(browser, lambda b: b.current_url.endswith("/runs/" + other + "-R1"), what="the rescheduled run's page")
        wait(browser, lambda b: b.find_elements(By.ID, "run-state") and state(b) == "succeeded", seconds=120, what="the rescheduled run succeeded")
        check(other in browser.find_element(By.TAG_NAME, "dl").text, "the new run names the run it re-runs")
        shot(browser, "14-rescheduled", ["Rescheduled from", "succeeded"])
        browser.get(URL + "/runs/" + other)
        wait(browser, lambda b: b.find_elements(By.ID, "rescheduled-as"), what="the link to the new run")
        check(not browser.find_elements(By.CSS_SELECTOR, "button[data-action=reschedule]"), "a run is rescheduled once: no second button")

        # Dark theme (the system setting) and 200 % zoom (a 1280 px window at zoom 2 is a 640 px
        # CSS viewport at twice the pixels): the page reflows, no horizontal page scrolling.
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        browser.get(URL + "/runs/" + guid[:8])
        wait(browser, lambda b: b.find_elements(By.ID, "run-state") and state(b) == "succeeded", what="run page by prefix")
        check(browser.current_url.endswith("/runs/" + guid), "a unique GUID prefix opens the run")
        background = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
        check(background in ("rgb(13, 17, 23)",), "dark theme follows prefers-color-scheme (%s)" % background)
        shot(browser, "10-run-dark", ["succeeded", "Definition"])
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 640, "height": 550, "deviceScaleFactor": 2, "mobile": False})
        for page in ("/runs", "/runs/" + guid, "/submit"):
            browser.get(URL + page)
            wait(browser, lambda b: "Loading…" not in b.find_element(By.TAG_NAME, "body").text, what="page at 200 %")
            overflow = browser.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            check(overflow <= 1, "%s at 200 %% zoom: no horizontal page scroll (%d px too wide)" % (page, overflow))
        shot(browser, "11-run-200-percent", ["succeeded"])
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})

        # A long run, cancelled from its page.
        # It prints a line per step, which the page's stdout tail shows while it runs.
        talking = sleep_xml.replace('    update.status("step %d" % step', '    print("tick %d" % step, flush=True)\n    update.status("step %d" % step')
        check("tick" in talking, "the long run prints a line per step")
        submit_form(browser, xml_text=talking.replace('"STEPS"', '"1200"').replace('"SLEEP"', '"0.5"'))
        run_guid(browser)
        wait(browser, lambda b: state(b) == "running" and percent(b) > 0, seconds=180, what="the long run running")
        wait(browser, lambda b: "tick 2" in b.find_element(By.ID, "stdout").text, seconds=60, what="the live stdout tail")
        # Suspend and resume with the buttons; then from elsewhere (the token API), which the
        # open page follows through its events.
        long_guid = browser.current_url.rsplit("/", 1)[1]
        browser.execute_script("window.__noReload = 'long';")
        browser.find_element(By.CSS_SELECTOR, "button[data-action=suspend]").click()
        wait(browser, lambda b: state(b) == "suspended" and b.find_elements(By.CSS_SELECTOR, "button[data-action=resume]"), what="the long run suspended")
        shot(browser, "15-run-suspended", ["suspended", "Resume"])
        paused_at = percent(browser)
        browser.find_element(By.CSS_SELECTOR, "button[data-action=resume]").click()
        wait(browser, lambda b: state(b) == "running" and percent(b) > paused_at, seconds=60, what="the long run resumed and progressing")
        status, _ = api("POST", "/api/v1/simulations/%s/suspend" % long_guid, ALICE)
        wait(browser, lambda b: state(b) == "suspended", what="a suspend from the API shown live")
        status2, _ = api("POST", "/api/v1/simulations/%s/resume" % long_guid, ALICE)
        wait(browser, lambda b: state(b) == "running", what="a resume from the API shown live")
        check((status, status2) == (200, 200), "suspend and resume through the API (%s %s)" % (status, status2))
        check(browser.execute_script("return window.__noReload") == "long", "suspend and resume were shown without a reload")
        browser.find_element(By.CSS_SELECTOR, "button[data-action=cancel]").click()
        try:
            browser.switch_to.alert.accept()
        except NoAlertPresentException:
            pass
        wait(browser, lambda b: state(b) == "cancelled", seconds=60, what="the long run cancelled")
        shot(browser, "06-run-cancelled", ["cancelled", "stdout"])

        # "Start after" on the form: a run after the cancelled one never starts, and says why.
        submit_form(browser, xml_text=short.decode(), after=long_guid)
        run_guid(browser)
        wait(browser, lambda b: state(b) == "cancelled", what="the dependent run cancelled")
        text = browser.find_element(By.TAG_NAME, "body").text
        check("dependency %s was cancelled" % long_guid in text, "the dependent run names its cancelled dependency")
        check(long_guid in browser.find_element(By.TAG_NAME, "dl").text, "the dependent run lists its dependency under After")

        # A definition with an unknown family: the server's error with its line.
        with open(os.path.join(FIXTURES, "bad-family.xml")) as f:
            bad = f.read()
        submit_form(browser, xml_text=bad)
        wait(browser, lambda b: b.find_elements(By.ID, "submit-error"), what="the bad-family error")
        message = browser.find_element(By.ID, "submit-error").text
        check("line" in message.lower() and "famil" in message.lower(), "the bad family is named with its line: %s" % message)
        shot(browser, "07-submit-bad-family", ["Submit a run", "line"], check_errors=False)

        # First-load transfer size of the runs page, with an empty cache.
        browser.execute_cdp_cmd("Network.enable", {})
        browser.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        browser.get(URL + "/runs")
        wait(browser, lambda b: b.find_element(By.ID, "runs-count").text != "", what="runs list")
        size = browser.execute_script("""
            const nav = performance.getEntriesByType('navigation')[0];
            let total = nav.transferSize, count = 1;
            for (const r of performance.getEntriesByType('resource')) { total += r.transferSize; count += 1; }
            return [total, count];""")
        figures["first_load"] = {"bytes": size[0], "requests": size[1]}
        print("figure: first load of /runs: %d bytes in %d requests" % (size[0], size[1]))
        browser.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": False})

        # Sign out; the admin sees everyone's runs and the admin page.
        browser.find_element(By.CSS_SELECTOR, ".signout button").click()
        wait(browser, lambda b: "/signin" in b.current_url, what="signed out")
        check("signed out" in browser.find_element(By.ID, "message").text, "sign-out says so")
        browser.get(URL + "/runs")
        wait(browser, lambda b: "/signin" in b.current_url, what="pages need a sign-in again")
        sign_in(browser, ADMIN)
        wait(browser, lambda b: "BOB-PRIV" in b.page_source, what="the admin sees bob's run")
        browser.get(URL + "/submit")
        wait(browser, lambda b: b.find_elements(By.ID, "previous"), what="submit page")
        shot(browser, "08-submit", ["Submit a run", "Definition", "Input files"])
        browser.get(URL + "/admin")
        wait(browser, lambda b: b.find_elements(By.ID, "users"), what="admin page")
        shot(browser, "09-admin", ["Admin", "Users by usage", "alice", "bob", "Free daemon slots"])
    finally:
        browser.quit()
        shutil.rmtree(DOWNLOADS, ignore_errors=True)

    with open(os.path.join(OUT, "figures.json"), "w") as f:
        json.dump(figures, f, indent=2)
    print("screenshots and figures.json in %s" % OUT)
    if failures:
        print("browser test: %d FAILED:\n  %s" % (len(failures), "\n  ".join(failures)))
        sys.exit(1)
    print("browser test: passed")


if __name__ == "__main__":
    try:
        main()
    except (AssertionError, WebDriverException) as error:
        print("browser test: FAILED: %s" % error)
        sys.exit(1)
