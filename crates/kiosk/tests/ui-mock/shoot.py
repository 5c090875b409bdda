#!/usr/bin/env python3
"""Screenshots of every mock screen, in both languages and three sizes, through chromedriver
(WebDriver over plain HTTP: no Python package needed), with checks a person would make by eye:
no horizontal overflow, no element wider than its box, every button at least 48 px high and
pad keys at least 64x64.

    python3 crates/kiosk/tests/ui-mock/serve.py &            # the mock, port 8788
    python3 crates/kiosk/tests/ui-mock/shoot.py [--out /tmp/ui-shots] [--only NAME]

Writes OUT/<station-name>-<lang>-<WxH>.png and prints one line per problem found (exit 1 if any).
"""

import argparse
import base64
import json
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
if (document.body.scrollHeight > window.innerHeight + 1) out.push('page scrolls down: ' + document.body.scrollHeight + ' > ' + window.innerHeight);
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
                     "--window-size=1280,800", "--lang=ja"]}}}}
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

    def quit(self):
        try:
            self.call("DELETE", f"/session/{self.sid}")
        except Exception:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mock", default="http://127.0.0.1:8788")
    ap.add_argument("--out", default="/tmp/ui-shots")
    ap.add_argument("--only", default=None, help="a substring of the station names to shoot")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    port = free_port()
    cd = subprocess.Popen(["chromedriver", f"--port={port}"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    problems = 0
    try:
        time.sleep(0.5)
        d = Driver(port)
        d.s("POST", "/url", {"url": f"{args.mock}/?token={TOKEN}"})
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
                    for p in d.js(CHECK_JS):
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
    print(f"{problems} problem(s); screenshots in {out}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
