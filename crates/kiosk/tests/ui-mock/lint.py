#!/usr/bin/env python3
"""Static checks of the page's three assets against the contract (KIOSK-SPEC.md, "DOM" and
"Security"), no browser needed:

    python3 crates/kiosk/tests/ui-mock/lint.py        # exit 1 with one line per problem

- nothing the CSP forbids: no inline script or style, no event-handler attribute, no `style=`,
  no eval / new Function / string timers, no javascript: URL;
- nothing from elsewhere: no http(s):// URL, no @import, no url() of another origin, no web font;
- the entry stays out of reach: no innerHTML/outerHTML/insertAdjacentHTML/document.write, no
  console.*, no localStorage/sessionStorage/indexedDB/document.cookie, no history.push/replaceState;
- the contract's ids and attributes are all there.
"""

import re
import sys
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[2] / "src" / "web" / "assets"


def main():
    html = (ASSETS / "index.html").read_text(encoding="utf-8")
    js = (ASSETS / "app.js").read_text(encoding="utf-8")
    css = (ASSETS / "app.css").read_text(encoding="utf-8")
    problems = []

    def bad(what, text, pattern, flags=0):
        for m in re.finditer(pattern, text, flags):
            line = text.count("\n", 0, m.start()) + 1
            problems.append(f"{what}:{line}: {m.group(0)!r}")

    # the CSP: no inline code or style
    bad("index.html", html, r"<script(?![^>]*\bsrc=)[^>]*>")
    bad("index.html", html, r"<style\b")
    bad("index.html", html, r"\sstyle\s*=")
    bad("index.html", html, r"\son[a-z]+\s*=")
    bad("index.html", html, r"javascript:")
    bad("app.js", js, r"\beval\s*\(|\bnew\s+Function\b|set(?:Timeout|Interval)\s*\(\s*['\"`]")
    bad("app.js", js, r"\.style\b|setAttribute\(\s*['\"](?:style|on[a-z]+)['\"]")
    bad("app.js", js, r"javascript:")
    # nothing from elsewhere
    for name, text in (("index.html", html), ("app.js", js), ("app.css", css)):
        bad(name, text, r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[/\"')]", re.I)
    bad("app.css", css, r"@import|@font-face|url\(")
    # the entry out of reach
    bad("app.js", js, r"\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write")
    bad("app.js", js, r"\bconsole\.")
    bad("app.js", js, r"localStorage|sessionStorage|indexedDB|document\.cookie")
    bad("app.js", js, r"history\.(?:push|replace)State|location\.(?:search|hash)\s*=|location\.href\s*=")
    # the contract's DOM
    for ident in ("screen", "heading", "lines", "question", "progress", "notice", "error",
                  "station-name", "lang", "virtual-remove", "virtual-insert", "take-over"):
        if f'id="{ident}"' not in html and f"id = '{ident}'" not in js:
            problems.append(f"the contract's #{ident} is missing")
    if "pin-display" not in js:
        problems.append("the contract's #pin-display is missing")
    for attr in ("data-kind", "data-screen", "data-stage", "data-of", "data-choice", "data-answer",
                 "data-key", "aria-pressed"):
        if attr not in html + js:
            problems.append(f"the contract's {attr} is missing")
    for answer in ("yes", "no", "quit", "submit"):
        if f"'data-answer': '{answer}'" not in js:
            problems.append(f"no button[data-answer={answer}]")
    for key in ("back", "clear", "ok"):
        if f"'data-key': '{key}'" not in js:
            problems.append(f"no button[data-key={key}]")
    if "credentials: 'same-origin'" not in js or "'Content-Type'] = 'application/json'" not in js:
        problems.append("app.js: fetch without credentials: 'same-origin' or the JSON Content-Type")
    fonts = '"Noto Sans CJK JP", "Noto Sans JP", sans-serif'
    if fonts not in css:
        problems.append(f"app.css: the font stack is not {fonts}")

    for p in problems:
        print(p)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
