#!/usr/bin/env python3
"""Screenshots of every mock screen, in both languages and three sizes, through chromedriver
(WebDriver over plain HTTP: no Python package needed), with checks a person would make by eye:
no horizontal overflow, no element wider than its box, every button at least 48 px high and
pad keys at least 64x64.

    python3 crates/kiosk/tests/ui-mock/shoot.py [--out /tmp/ui-shots] [--only NAME] [--walk]
                                                [--mock http://127.0.0.1:8788]

(it starts its own mock on a free port unless --mock names one already running). Without chromium
or chromedriver it skips loudly (exit 0), or fails with CI=true.

Writes OUT/<station-name>-<lang>-<WxH>.png and prints one line per problem found (exit 1 if any).
"""

import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

TOKEN = "0" * 64
SIZES = [(1280, 800), (1024, 768), (800, 1280)]

CHECK_JS = r"""
const out = [];
const de = document.documentElement;
if (de.scrollWidth > window.innerWidth + 1) out.push('page scrolls sideways: ' + de.scrollWidth + ' > ' + window.innerWidth);
for (const e of document.querySelectorAll('body *')) {
  if (!e.offsetParent && getComputedStyle(e).position !== 'fixed') continue;
  const r = e.getBoundingClientRect();
  if (r.width === 0) continue;
  if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible' && e.clientWidth > 0)
    out.push('overflow in ' + e.tagName + '.' + e.className + ' ' + (e.id || '') + ': ' + e.scrollWidth + ' > ' + e.clientWidth);
  if (r.right > window.innerWidth + 1) out.push('off screen right: ' + e.tagName + '.' + e.className + ' ' + (e.id||''));
}
for (const b of document.querySelectorAll('button')) {
  if (!b.offsetParent) continue;
  const r = b.getBoundingClientRect();
  if (r.height < 48) out.push('button too small: ' + (b.id || b.dataset.key || b.dataset.answer || b.dataset.choice) + ' ' + r.width + 'x' + r.height);
  if (b.dataset.key && (r.height < 64 || r.width < 64)) out.push('key too small: ' + b.dataset.key + ' ' + r.width + 'x' + r.height);
}
for (const e of document.querySelectorAll('body *')) {
  if (!e.offsetParent) continue;
  const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  const px = parseFloat(getComputedStyle(e).fontSize);
  if (own && px < 20) out.push('text under 20 px: ' + e.tagName + '.' + e.className + ' ' + px);
  if (e.tagName === 'H1' && own && px < 28) out.push('heading under 28 px: ' + px);
}
if (!document.getElementById('screen').hasAttribute('data-multiple') && document.body.scrollHeight > window.innerHeight + 1) out.push('page scrolls down: ' + document.body.scrollHeight + ' > ' + window.innerHeight);
return out;
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Driver:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                     "--window-size=1280,800", "--lang=ja"]}, "goog:loggingPrefs": {"browser": "ALL"}}}}
        self.sid = self.call("POST", "/session", caps)["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())["value"] if method != "POST" or path != "/session" else json.loads(r.read())["value"]

    def s(self, method, path, body=None):
        return self.call(method, f"/session/{self.sid}{path}", body)

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def size(self, w, h):
        self.s("POST", "/window/rect", {"width": w, "height": h})
        # make the viewport (not the window) w x h
        iw, ih = self.js("return [innerWidth, innerHeight]")
        self.s("POST", "/window/rect", {"width": w + (w - iw), "height": h + (h - ih)})

    def wait(self, script, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if self.js(script):
                return True
            time.sleep(0.1)
        return False

    def console(self):
        """The browser's console since the last call: CSP violations and script errors land here."""
        try:
            return [e["message"] for e in self.s("POST", "/se/log", {"type": "browser"})
                    if e.get("level") in ("SEVERE", "WARNING") and "favicon.ico" not in e["message"]]
        except Exception as e:  # a chromedriver without the log endpoint
            return [f"(no console log: {e})"]

    def quit(self):
        try:
            self.call("DELETE", f"/session/{self.sid}")
        except Exception:
            pass


def shot(d, path):
    path.write_bytes(base64.b64decode(d.s("GET", "/screenshot")))


def walk(d, mock, out):
    """The walk-through on station 0, as a person does it, with the checks on secrets. Returns
    the problems found."""
    problems = []
    d.size(1280, 800)
    d.s("POST", "/url", {"url": mock + "/station/0/"})

    def kind():
        return d.js("return document.getElementById('screen').dataset.kind")

    def until(k, what):
        if not d.wait(f"return document.getElementById('screen').dataset.kind === '{k}'", 10):
            problems.append(f"walk: no {k} screen after {what} (on {kind()})")
            raise StopIteration

    def click(sel):
        d.js(f"document.querySelector('{sel}').click()")

    def keys(s):
        for c in s:
            click(f'[data-key="{c}"]')

    def no_secret(value):
        html = d.js("return document.documentElement.outerHTML + JSON.stringify(localStorage) + "
                    "JSON.stringify(sessionStorage) + location.href")
        if value in html:
            problems.append(f"walk: the entry {value!r} is in the page, the storage or the URL")

    try:
        d.wait("return document.getElementById('screen').dataset.kind !== ''")
        if kind() != "start":
            click("#virtual-remove")
        until("start", "load")
        if d.js("return document.documentElement.lang") != "ja":
            click("#lang")
            d.wait("return document.documentElement.lang === 'ja'")
        click("#virtual-insert")
        until("menu", "insert")
        if d.js("return document.querySelector('[data-answer=quit]') === null"):
            problems.append("walk: no quit button on the menu")
        # the network goes: the answer is not sent, the page says so and recovers
        d.s("POST", "/chromium/network_conditions", {"network_conditions": {
            "offline": True, "latency": 0, "download_throughput": -1, "upload_throughput": -1}})
        click('[data-choice="1"]')
        if not d.wait("return !document.getElementById('connection').hidden && "
                      "!document.getElementById('error').hidden", 10):
            problems.append("walk: no connecting notice and error when offline")
        shot(d, out / "connecting-ja-1280x800.png")
        d.s("DELETE", "/chromium/network_conditions")
        if kind() != "menu":
            problems.append("walk: the screen changed while offline")
        click('[data-choice="1"]')
        until("yesno", "choice 1")
        if not d.wait("return document.getElementById('connection').hidden", 15):
            problems.append("walk: the connecting notice stays after the network is back")
        click('[data-answer="yes"]')
        until("secret", "yes")
        if not d.js("return document.querySelector('[data-key=ok]').disabled"):
            problems.append("walk: ok enabled with an empty entry")
        keys("98")
        if d.js("return document.querySelectorAll('#pin-display .dot.filled').length") != 2:
            problems.append("walk: not two dots after two keys")
        if not d.js("return document.querySelector('[data-key=ok]').disabled"):
            problems.append("walk: ok enabled below min")
        keys("76")
        keys("5")  # beyond max: ignored
        if d.js("return document.querySelectorAll('#pin-display .dot.filled').length") != 4:
            problems.append("walk: the pad did not stop at max")
        no_secret("9876")
        sid = d.js("return document.getElementById('screen').dataset.screen")
        click('[data-key="ok"]')   # wrong other PIN: it goes on to the new PIN, then fails
        d.wait(f"return document.getElementById('screen').dataset.screen !== '{sid}'")
        if d.js("return document.querySelectorAll('#pin-display .dot.filled').length") != 0:
            problems.append("walk: the pad kept the entry after sending")
        # the new signature password, by keyboard (staff)
        sid = d.js("return document.getElementById('screen').dataset.screen")
        d.s("POST", "/actions", {"actions": [{"type": "key", "id": "kb", "actions": sum(
            ([{"type": "keyDown", "value": c}, {"type": "keyUp", "value": c}] for c in "abc123\ue007"), [])}]})
        d.wait(f"return document.getElementById('screen').dataset.screen !== '{sid}'")
        no_secret("ABC123")
        keys("ABC123")
        click('[data-key="ok"]')
        until("busy", "the new PIN twice")
        until("yesno", "the reset (wrong other PIN: try again?)")
        if "2" not in d.js("return document.getElementById('lines').textContent"):
            problems.append("walk: the tries left are not shown")
        click('[data-answer="yes"]')
        until("secret", "try again")
        keys("1234")
        click('[data-key="ok"]')
        until("done", "the right other PIN")
        if d.js("return document.getElementById('screen').dataset.outcome") != "done":
            problems.append("walk: the outcome is not done")
        click("#virtual-remove")
        until("start", "removing the card")
        # pulled mid-flow
        click("#virtual-insert")
        until("menu", "insert again")
        click('[data-choice="1"]')
        until("yesno", "choice 1 again")
        click("#virtual-remove")
        until("start", "pulling the card")
        if not d.js("return !document.getElementById('notice').hidden"):
            problems.append("walk: no notice after the card was pulled")
        # another tab takes the station: this one's answers are refused, take-over works
        click("#virtual-insert")
        until("menu", "insert a third time")
        d.js("return fetch('api/claim', {method: 'POST', credentials: 'same-origin', "
             "headers: {'Content-Type': 'application/json'}, body: '{}'}).then(r => r.status)")
        click('[data-choice="1"]')
        if not d.wait("return !document.getElementById('other-tab').hidden", 5):
            problems.append("walk: no take-over after another tab claimed")
        else:
            shot(d, out / "other-tab-ja-1280x800.png")
            click("#take-over")
            d.wait("return document.getElementById('other-tab').hidden", 5)
            click('[data-choice="1"]')
            until("yesno", "taking over")
        click('[data-answer="quit"]')
        until("done", "quit")
        click("#virtual-remove")
        until("start", "removing the card at the end")
    except StopIteration:
        problems.append("walk: stopped; error banner: " + repr(d.js(
            "return [document.getElementById('error').textContent, document.getElementById('error').hidden, "
            "String(document.querySelector('[data-answer=quit]') && document.querySelector('[data-answer=quit]').disabled)]")))
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mock", default=None,
                    help="the mock's base URL (default: start serve.py on a free port)")
    ap.add_argument("--out", default="/tmp/ui-shots")
    ap.add_argument("--only", default=None, help="a substring of the station names to shoot")
    ap.add_argument("--walk", action="store_true", help="only the walk-through on station 0")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        msg = "SKIPPED: chromium or chromedriver is missing (apt-get install chromium chromium-driver)"
        print(msg, file=sys.stderr)
        sys.exit(1 if os.environ.get("CI") == "true" else 0)
    mock = None
    if args.mock is None:
        mport = free_port()
        mock = subprocess.Popen([sys.executable, str(Path(__file__).with_name("serve.py")),
                                 "--port", str(mport)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        mock.stdout.readline()  # its first line: it serves
        args.mock = f"http://127.0.0.1:{mport}"
    port = free_port()
    cd = subprocess.Popen(["chromedriver", f"--port={port}"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    problems = 0
    try:
        time.sleep(0.5)
        d = Driver(port)
        d.s("POST", "/url", {"url": f"{args.mock}/?token={TOKEN}"})
        for p in walk(d, args.mock, out) + [m for m in d.console()
                                             if "Failed to load resource" not in m]:
            problems += 1
            print(p)
        if args.walk:
            d.quit()
            print(f"{problems} problem(s)")
            sys.exit(1 if problems else 0)
        stations = json.loads(d.js("return fetch('/api/stations').then(r => r.text())"))
        for st in stations:
            name = st["reader"].replace("mock: ", "")
            if args.only and args.only not in name:
                continue
            for (w, h) in SIZES:
                for lang in ("ja", "en"):
                    d.size(w, h)
                    d.s("POST", "/url", {"url": args.mock + st["url"]})
                    d.wait("return document.getElementById('screen').dataset.screen !== ''")
                    if d.js("return document.documentElement.lang") != lang:
                        d.js("document.getElementById('lang').click()")
                        d.wait(f"return document.documentElement.lang === '{lang}'")
                    if d.js("return document.getElementById('screen').dataset.kind") == "secret":
                        # two characters on the pad, to show the dots
                        d.js("for (const k of ['1','2']) document.querySelector('[data-key=\"' + k + '\"]').click()")
                    time.sleep(0.3)
                    png = base64.b64decode(d.s("GET", "/screenshot"))
                    f = out / f"{name}-{lang}-{w}x{h}.png"
                    f.write_bytes(png)
                    for p in d.js(CHECK_JS) + d.console():
                        problems += 1
                        print(f"{f.name}: {p}")
            # back to Japanese for the next run
            d.s("POST", "/url", {"url": args.mock + st["url"]})
            d.wait("return document.getElementById('screen').dataset.screen !== ''")
            if d.js("return document.documentElement.lang") != "ja":
                d.js("document.getElementById('lang').click()")
                d.wait("return document.documentElement.lang === 'ja'")
        d.quit()
    finally:
        cd.terminate()
        cd.wait()
        if mock is not None:
            mock.terminate()
            mock.wait()
    print(f"{problems} problem(s); screenshots in {out}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
