"""Drives the generated rule book in headless Chromium.

Usage: site.py SITE_DIR SCREENSHOT CHROMIUM CHROMEDRIVER

Loads the index, types in the search box and checks that the list filters, follows a
link to a rule page and finds its example. Exits non-zero with a message on failure.
"""

import pathlib
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def visible_rules(driver):
    return [li for li in driver.find_elements(By.CSS_SELECTOR, "li.rule") if li.is_displayed()]


def visible_names(driver):
    return sorted({li.get_attribute("data-name") for li in visible_rules(driver)})


def check(condition, message):
    if not condition:
        print("browser test failed: " + message, file=sys.stderr)
        sys.exit(1)


def main():
    site, screenshot, chromium, chromedriver = sys.argv[1:5]
    index = pathlib.Path(site).resolve() / "index.html"
    profile = tempfile.mkdtemp(prefix="asynclint-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--user-data-dir=" + profile,
        "--window-size=1200,1600",
    ]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    try:
        driver.get(index.as_uri())
        check("rule book" in driver.title, "index title is " + repr(driver.title))
        everything = visible_names(driver)
        check(len(everything) >= 10, "the index lists %d rules" % len(everything))
        driver.save_screenshot(screenshot)

        search = driver.find_element(By.ID, "search")
        search.send_keys("lock")
        locked = visible_names(driver)
        check(0 < len(locked) < len(everything), "typing 'lock' left %s" % locked)
        for li in visible_rules(driver):
            check("lock" in li.get_attribute("data-search"), li.text + " does not match 'lock'")
        count = driver.find_element(By.ID, "count").text
        check(count == "%d rules match." % len(locked), "count says " + repr(count))
        check("lock-across-await" in locked, "lock-across-await is not among %s" % locked)

        search.clear()
        search.send_keys("no such rule anywhere")
        check(visible_names(driver) == [], "nonsense matched %s" % visible_names(driver))
        check(driver.find_element(By.ID, "count").text == "No rule matches.", "no-match message")

        search.clear()
        search.send_keys("task per item")
        found = visible_names(driver)
        check("unbounded-spawn" in found, "'task per item' finds %s" % found)
        link = next(
            li for li in visible_rules(driver) if li.get_attribute("data-name") == "unbounded-spawn"
        ).find_element(By.TAG_NAME, "a")
        link.click()
        check(driver.current_url.endswith("/rules/unbounded-spawn.html"), driver.current_url)
        heading = driver.find_element(By.TAG_NAME, "h1").text
        check(heading == "unbounded-spawn", "rule page heading " + repr(heading))
        code = [c.text for c in driver.find_elements(By.CSS_SELECTOR, "pre code")]
        check(any("spawn" in c for c in code), "no example code on the rule page")
        practice = driver.find_element(By.ID, "practice")
        check(practice.is_displayed(), "no practice section")
        exercise = driver.find_element(By.PARTIAL_LINK_TEXT, "A task per line")
        exercise.click()
        check("/exercises/" in driver.current_url, driver.current_url)
        check("asynclint learn start" in driver.page_source, "exercise page has no start command")
    finally:
        driver.quit()
    print("browser test: index, search, rule page and exercise page all behave")


if __name__ == "__main__":
    main()
