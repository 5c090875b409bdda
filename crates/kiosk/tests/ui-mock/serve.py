#!/usr/bin/env python3
"""A mock of `myna-kiosk --web` for working on the touch page without building the server.

    python3 crates/kiosk/tests/ui-mock/serve.py [--port 8788]

It serves the three page assets (index.html, app.js, app.css from crates/kiosk/src/web/assets/,
read again on every request: edit and reload) at the contract's paths, with the contract's
security headers (so a CSP violation shows in the browser as it would with the real server), and
the contract's API (claim, long-poll state, answer, lang, virtual) with the same JSON shapes.

Stations:
  /station/0/   a walk through the flow on a virtual card: insert it with the demo button, choose
                the signature password, answer yes, the user-authentication PIN is 1234 (any other
                4 digits is wrong and spends a try; at one try left the last-try question comes),
                then a new signature password twice (6-16 of A-Z and 0-9, at least one of each).
  /station/N/   N >= 1: one fixed screen each (every screen kind, ja and en with the language
                button): listed at / and by GET /api/stations.

With `--upstream URL` (the first line `myna-kiosk --web` prints, token included) the mock serves
the page's assets from this source tree and forwards every API request to that real server (with
the token as `X-Kiosk-Token` and the server's own `Origin`): the page under work against the real
flow, without rebuilding the binary.

The texts are the kiosk's and the library's (crates/kiosk/src/text.rs, flow.rs; src/pin.rs,
src/policy.rs), copied by hand: the real server is the reference. This is a development tool,
not a test of the server.
"""

import argparse
import json
import secrets
import urllib.error
import urllib.request
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ASSETS = Path(__file__).resolve().parents[2] / "src" / "web" / "assets"
TOKEN = "0" * 64  # the mock's fixed token (the real server makes a random one per launch)

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'none'")

# ---- texts (ja, en) ----

PIN = {
    "signature": ("署名用電子証明書の暗証番号", "signature password (署名用電子証明書)"),
    "user_auth": ("利用者証明用電子証明書の暗証番号", "user-authentication PIN (利用者証明用電子証明書)"),
    "residence": ("住民基本台帳用の暗証番号", "residence-registry PIN (住民基本台帳用)"),
    "text_assist": ("券面入力補助用の暗証番号", "text-input-assist PIN (券面入力補助用)"),
}
KINDS = ["signature", "user_auth", "residence", "text_assist"]
LIMIT = {"signature": 5, "user_auth": 3, "residence": 3, "text_assist": 3}
KIOSK = ("署名用電子証明書と利用者証明用電子証明書の暗証番号を両方とも再設定できるコンビニ等のキオスク端末",
         "a convenience-store kiosk that resets both JPKI PINs")
COUNTER = ("市区町村窓口（市役所・コミュニティセンター等）、本人が来庁",
           "the municipal counter (city office or community centre), in person")


def L(lang, pair):
    return pair[0] if lang == "ja" else pair[1]


def heading(n, lang):
    return L(lang, {
        1: ("カードを挿入してください。", "Insert your My Number Card."),
        2: ("暗証番号の状態（読み取りでは回数は減りません）:", "Your PINs (reading them spends no try):"),
        3: ("どの暗証番号を再設定しますか？", "Which PIN do you want to reset?"),
        4: (None, None),
        5: ("暗証番号を入力してください。入力した文字は表示されません。", "Enter your PINs. Nothing you type is shown."),
        6: (None, None),
        7: ("現在の暗証番号の状態:", "Your PINs now:"),
    }[n])


def checking(kind, lang):
    return (f"ここで{PIN[kind][0]}を再設定できるか確認します。" if lang == "ja"
            else f"Checking the rules for the {PIN[kind][1]} here.")


def resetting(kind, lang):
    return (f"{PIN[kind][0]}を再設定しています…" if lang == "ja" else f"Resetting the {PIN[kind][1]}…")


def state_text(lang, left, limit):
    if left == 0:
        return L(lang, ("ロック中", "BLOCKED"))
    return f"残り{left}回（上限{limit}回）" if lang == "ja" else f"{left} of {limit} tries left"


def status_text(lang, kind, left):
    s = state_text(lang, left, LIMIT[kind])
    if kind != "residence":
        return s
    # the residence PIN: one counter in each of its two applications
    if lang == "ja":
        return f"住基AP: {s}、共通カードAP: {s}"
    return f"{s} (住基AP), {s} (共通カードAP)"


def status_lines(lang, tries):
    return [f"  {i + 1}. {L(lang, PIN[k])}: {status_text(lang, k, tries[k])}"
            for i, k in enumerate(KINDS)]


def other_of(kind):
    return {"signature": "user_auth", "user_auth": "signature"}.get(kind)


def possible_lines(lang, other):
    if lang == "ja":
        return [f"{KIOSK[0]}で再設定できます。必要なもの:", "  - マイナンバーカード",
                "  - カードに署名用と利用者証明用の電子証明書が両方とも設定されていること",
                f"  - {PIN[other][0]}（ロックされていないこと。間違えると、その暗証番号の残り回数が1回減ります）",
                "  - カードを読み取れるNFC対応スマートフォンとJPKI暗証番号リセットアプリ（カードの顔写真との顔照合）"]
    return [f"Possible at {KIOSK[1]}. You need:", "  - the My Number Card",
            "  - both certificates (signature and user authentication) set on the card",
            f"  - the {PIN[other][1]}, known and not blocked (a wrong value costs one of its tries)",
            "  - an NFC smartphone that reads the card, with the JPKI reset app "
            "(JPKI暗証番号リセットアプリ; face match against the card's photo)"]


def not_possible_lines(lang, kind):
    if lang == "ja":
        return [f"{KIOSK[0]}では再設定できません:",
                f"  - {PIN[kind][0]}はセルフサービスでは再設定できません。市区町村窓口でだけ再設定できます",
                "代わりに次の場所で再設定できます:", f"  - {COUNTER[0]}"]
    return [f"Not possible at {KIOSK[1]}:",
            f"  - the {PIN[kind][1]} cannot be reset by self-service: only the municipal counter resets it",
            "Go instead to:", f"  - {COUNTER[1]}"]


def choose_new(kind, lang):
    if kind == "signature":
        hint = L(lang, ("英大文字A-Zと数字0-9を各1文字以上含む6〜16文字",
                        "6 to 16 characters, upper-case letters A-Z and digits 0-9, at least one of each"))
    else:
        hint = L(lang, ("数字4桁", "exactly 4 digits"))
    return (f"新しい{PIN[kind][0]}を決めてください: {hint}。" if lang == "ja"
            else f"Choose the new {PIN[kind][1]}: {hint}.")


def new_pin_q(kind, lang, again=False):
    if again:
        return (f"新しい{PIN[kind][0]}（確認のためもう一度）:" if lang == "ja" else f"New {PIN[kind][1]}, again:")
    return f"新しい{PIN[kind][0]}:" if lang == "ja" else f"New {PIN[kind][1]}:"


def other_q(k, lang):
    return f"{PIN[k][0]}:" if lang == "ja" else f"Your {PIN[k][1]}:"


def wrong_other(k, n, kind, lang):
    if lang == "ja":
        return f"{PIN[k][0]}が違います。ロックまで残り{n}回です。{PIN[kind][0]}は再設定されていません。"
    return (f"That {PIN[k][1]} was wrong: {n} {'try' if n == 1 else 'tries'} left before it locks. "
            f"The {PIN[kind][1]} was not reset.")


def last_try_line(k, lang):
    if lang == "ja":
        return f"{PIN[k][0]}は残り1回です。この値が違うとロックされ、どちらの暗証番号も市区町村の窓口でしか再設定できなくなります。"
    return (f"Your {PIN[k][1]} has 1 try left: if this value is wrong it will be locked, "
            "and then only the municipal counter can reset either PIN.")


def was_reset(kind, lang, left):
    s = state_text(lang, left, LIMIT[kind])
    return f"{PIN[kind][0]}を再設定しました: {s}。" if lang == "ja" else f"The {PIN[kind][1]} was reset: {s}."


def rule_broken(lang, secret, spec):
    """The rule a refused value broke (never the value), or None."""
    n = len(secret)
    if spec["min"] == spec["max"] and n != spec["max"]:
        return (f"{spec['max']}文字で入力してください（{n}文字でした）" if lang == "ja"
                else f"enter exactly {spec['max']} characters (got {n})")
    if n < spec["min"] or n > spec["max"]:
        return (f"{spec['min']}〜{spec['max']}文字で入力してください（{n}文字でした）" if lang == "ja"
                else f"enter {spec['min']} to {spec['max']} characters (got {n})")
    if spec["alphabet"] == "digits" and not secret.isdigit():
        return L(lang, ("数字だけで入力してください", "use digits only"))
    if spec["alphabet"] == "upper_alnum":
        if not all(c.isdigit() or "A" <= c <= "Z" for c in secret):
            return L(lang, ("英大文字A-Zと数字0-9だけで入力してください", "use upper-case letters A-Z and digits 0-9 only"))
        if not any(c.isdigit() for c in secret) or not any(c.isalpha() for c in secret):
            return L(lang, ("英大文字と数字を各1文字以上含めてください", "include at least one letter and one digit"))
    return None


INSERT_Q = ("カードを挿入してください。", "Insert your My Number Card.")
WHICH_Q = ("選んでください。", "Touch your choice.")
TITLE = ("マイナンバーカード 暗証番号の再設定", "My Number Card PIN reset (マイナンバーカード 暗証番号の再設定)")


def start_lines(lang, reader):
    return [L(lang, ("端末: ", "Terminal: ")) + "stand-in self-service kiosk terminal (not the real issuer protocol)",
            L(lang, ("場所: ", "Place: ")) + L(lang, KIOSK),
            L(lang, ("カード: ", "Card: ")) + reader]


def start_screen(lang, reader, notice=None):
    return screen("start", progress=prog(1), heading=L(lang, TITLE), lines=start_lines(lang, reader),
                  question=L(lang, INSERT_Q), notice=L(lang, notice) if notice else None)
TRY_AGAIN = ("もう一度入力しますか？", "Try again?")
LAST_TRY_Q = ("「はい」を押すと最後の1回を使って入力した暗証番号を確認します。「いいえ」で中止します。",
              "Yes uses the last try to check the PIN you entered. No stops here.")
DONE_TAKE = ("完了しました。カードをお取りください。", "Done. Please take your card.")
NOTHING_MORE = ("ここでの手続は以上です。カードをお取りください。", "Nothing more to do here. Please take your card.")
PULLED = ("カードが取り出されました。入力した内容は保持していません。",
          "The card was removed. Nothing you entered was kept.")
TIMED_OUT = ("一定時間操作がなかったため、手続を終了しました。入力した内容は保持していません。",
             "Nothing was entered for a while, so the flow was ended. Nothing you entered was kept.")
NOT_MYNA = ("このカードはマイナンバーカードではありません。マイナンバーカードを挿入してください。",
            "This is not a My Number Card. Please insert your My Number Card.")
SEVERAL_Q = ("職員: 提示された書類をすべて選び、最後に決定を押してください（なければそのまま決定）。",
             "Staff: touch every document shown, then OK (none: OK at once).")
ENTRIES_DIFFER = ("2回の入力が一致しません。もう一度:", "The two entries differ. Again:")
CARD_FOUND = ("カードを確認しました。", "Card found.")


def screen(kind, **kw):
    s = {"id": 0, "kind": kind, "progress": None, "heading": None, "lines": [], "question": None,
         "choices": [], "multiple": False, "secret": None, "outcome": None, "notice": None}
    s.update(kw)
    return s


def secret_spec(pin, purpose):
    if pin == "signature":
        return {"pin": pin, "purpose": purpose, "min": 6, "max": 16, "alphabet": "upper_alnum"}
    return {"pin": pin, "purpose": purpose, "min": 4, "max": 4, "alphabet": "digits"}


def prog(n):
    return {"stage": n, "of": 7}


# ---- fixed screens (stations 1..) ----

def menu_which(lang, tries, lines_before=()):
    return screen("menu", progress=prog(3), heading=heading(3, lang),
                  lines=list(lines_before) + [L(lang, CARD_FOUND)] + status_lines(lang, tries),
                  question=L(lang, WHICH_Q),
                  choices=[{"number": i + 1, "text": L(lang, PIN[k])} for i, k in enumerate(KINDS)])


BLOCKED_SIG = {"signature": 0, "user_auth": 3, "residence": 3, "text_assist": 3}

DOCS = [
    ("マイナンバーカード (the proxy's own My Number Card) [これ1点で可]", "マイナンバーカード (the proxy's own My Number Card) [enough on its own]"),
    ("運転免許証 (driving licence) [A書類]", "運転免許証 (driving licence) [class A]"),
    ("運転経歴証明書 (driving history certificate, issued on or after 2012-04-01) [A書類]", "運転経歴証明書 (driving history certificate, issued on or after 2012-04-01) [class A]"),
    ("旅券 (passport) [A書類]", "旅券 (passport) [class A]"),
    ("身体障害者手帳 (physical disability certificate) [A書類]", "身体障害者手帳 (physical disability certificate) [class A]"),
    ("在留カード (residence card) [A書類]", "在留カード (residence card) [class A]"),
    ("運転経歴証明書 (driving history certificate, issued before 2012-04-01: not accepted) [不可]", "運転経歴証明書 (driving history certificate, issued before 2012-04-01: not accepted) [not accepted]"),
    ("介護保険証 (long-term care insurance card) [B書類]", "介護保険証 (long-term care insurance card) [class B]"),
    ("年金証書 (pension certificate) [B書類]", "年金証書 (pension certificate) [class B]"),
    ("社員証 (employee ID) [B書類]", "社員証 (employee ID) [class B]"),
    ("学生証 (student ID) [B書類]", "学生証 (student ID) [class B]"),
]


def fixed_screens():
    """name -> function(lang) -> screen"""
    return [
        ("start", lambda l: start_screen(l, "Virtual PCD 00")),
        ("start-pulled", lambda l: start_screen(l, "Virtual PCD 00", PULLED)),
        ("start-timed-out", lambda l: start_screen(l, "Virtual PCD 00", TIMED_OUT)),
        ("start-not-my-number", lambda l: start_screen(l, "Virtual PCD 00", NOT_MYNA)),
        ("start-pulled-unknown", lambda l: start_screen(l, "Virtual PCD 00", (
            PULLED[0] + "\n再設定を完了できませんでした: カードの応答が途中で途切れたため、再設定の結果が分かりません。"
            "\n署名用電子証明書は古い暗証番号か新しい暗証番号のどちらかです",
            PULLED[1] + "\nThe reset did not complete: the card stopped answering, so the outcome is unknown."
            "\nsignature certificate has the old or the new PIN"))),
        ("menu-which-pin", lambda l: menu_which(l, BLOCKED_SIG)),
        ("yesno-know-other", lambda l: screen("yesno", progress=prog(4), heading=checking("signature", l),
                                              question=(f"{PIN['user_auth'][0]}が分かりますか？" if l == "ja"
                                                        else f"Do you know your {PIN['user_auth'][1]}?"))),
        ("secret-other-pin", lambda l: screen("secret", progress=prog(5), heading=heading(5, l),
                                              lines=possible_lines(l, "user_auth"),
                                              question=other_q("user_auth", l),
                                              secret=secret_spec("user_auth", "other_pin"))),
        ("secret-new-pin", lambda l: screen("secret", progress=prog(5), heading=heading(5, l),
                                            lines=[choose_new("signature", l)],
                                            question=new_pin_q("signature", l),
                                            secret=secret_spec("signature", "new_pin"))),
        ("secret-new-pin-again", lambda l: screen("secret", progress=prog(5), heading=heading(5, l),
                                                  question=new_pin_q("signature", l, again=True),
                                                  secret=secret_spec("signature", "new_pin_again"))),
        ("busy", lambda l: screen("busy", progress=prog(6), heading=resetting("signature", l))),
        ("yesno-try-again", lambda l: screen("yesno", progress=prog(6), heading=resetting("signature", l),
                                             lines=[wrong_other("user_auth", 2, "signature", l)],
                                             question=L(l, TRY_AGAIN))),
        ("confirm-last-try", lambda l: screen("confirm", progress=prog(6), heading=resetting("signature", l),
                                              lines=[last_try_line("user_auth", l)],
                                              question=L(l, LAST_TRY_Q))),
        ("done-reset", lambda l: screen("done", progress=prog(7), heading=heading(7, l),
                                        lines=[was_reset("signature", l, 5)] + status_lines(
                                            l, {"signature": 5, "user_auth": 3, "residence": 3, "text_assist": 3}),
                                        question=L(l, DONE_TAKE), outcome="done")),
        ("done-not-possible", lambda l: screen("done", progress=prog(4), heading=checking("residence", l),
                                               lines=not_possible_lines(l, "residence"),
                                               question=L(l, NOTHING_MORE), outcome="not_possible")),
        ("done-wrong-pin", lambda l: screen("done", progress=prog(6), heading=resetting("signature", l),
                                            lines=[wrong_other("user_auth", 2, "signature", l)],
                                            question=L(l, NOTHING_MORE), outcome="wrong_pin")),
        ("menu-proxy-documents", lambda l: screen("menu", progress=prog(4), heading=checking("signature", l),
                                                  lines=[L(l, ("代理人の本人確認書類:", "The proxy's identity documents:"))],
                                                  question=L(l, SEVERAL_Q),
                                                  choices=[{"number": i + 1, "text": L(l, d)} for i, d in enumerate(DOCS)],
                                                  multiple=True)),
    ]


# ---- stations ----

class Station:
    def __init__(self, number, name, virtual, fixed=None):
        self.number = number
        self.reader = name
        self.virtual = virtual
        self.fixed = fixed  # a function(lang) -> screen, or None for the walk-through
        self.lang = "ja"
        self.version = 1
        self.screen_id = 1
        self.tab = None
        self.cond = threading.Condition()
        self.busy_until = 0.0
        self.reset_walk(notice=None)

    # the walk-through's model
    def reset_walk(self, notice):
        self.step = "start"
        self.card = False
        self.kind = None
        self.tries = {"signature": 0, "user_auth": 3, "residence": 3, "text_assist": 3}
        self.first_new = None
        self.lines = []
        self.notice = notice
        self.outcome = None
        self.other_ok = False
        self.retrying = False
        self.allow_last = False

    def changed(self, new_screen=True):
        self.version += 1
        if new_screen:
            self.screen_id += 1
        self.cond.notify_all()

    def state(self):
        l = self.lang
        sc = self.fixed(l) if self.fixed else self.walk_screen(l)
        sc["id"] = self.screen_id
        return {"version": self.version, "station": self.number, "reader": self.reader,
                "virtual": self.virtual, "lang": l, "screen": sc}

    def walk_screen(self, l):
        lines = [L(l, x) if isinstance(x, tuple) else x(l) for x in self.lines]
        k = self.kind
        o = other_of(k) if k else None
        s = self.step
        if s == "start":
            return start_screen(l, self.reader, self.notice)
        if s == "which":
            return screen("menu", progress=prog(3), heading=heading(3, l), lines=lines,
                          question=L(l, WHICH_Q),
                          choices=[{"number": i + 1, "text": L(l, PIN[x])} for i, x in enumerate(KINDS)])
        if s == "know":
            return screen("yesno", progress=prog(4), heading=checking(k, l), lines=lines,
                          question=(f"{PIN[o][0]}が分かりますか？" if l == "ja" else f"Do you know your {PIN[o][1]}?"))
        if s == "other":
            return screen("secret", progress=prog(5), heading=heading(5, l), lines=lines,
                          question=other_q(o, l), secret=secret_spec(o, "other_pin"))
        if s == "new":
            return screen("secret", progress=prog(5), heading=heading(5, l), lines=lines,
                          question=new_pin_q(k, l), secret=secret_spec(k, "new_pin"))
        if s == "again":
            return screen("secret", progress=prog(5), heading=heading(5, l), lines=lines,
                          question=new_pin_q(k, l, True), secret=secret_spec(k, "new_pin_again"))
        if s == "busy":
            return screen("busy", progress=prog(6), heading=resetting(k, l), lines=lines)
        if s == "try_again":
            return screen("yesno", progress=prog(6), heading=resetting(k, l), lines=lines,
                          question=L(l, TRY_AGAIN))
        if s == "last_try":
            return screen("confirm", progress=prog(6), heading=resetting(k, l), lines=lines,
                          question=L(l, LAST_TRY_Q))
        if s == "done":
            stage = 7 if self.outcome == "done" else (4 if self.outcome == "not_possible" else 6)
            return screen("done", progress=prog(stage),
                          heading=heading(7, l) if self.outcome == "done" else (
                              checking(k, l) if stage == 4 else (resetting(k, l) if k else None)),
                          lines=lines, outcome=self.outcome,
                          question=L(l, DONE_TAKE if self.outcome == "done" else NOTHING_MORE))
        raise ValueError(s)

    def finish(self, outcome, lines):
        self.step = "done"
        self.outcome = outcome
        self.lines = lines
        self.first_new = None

    # an answer to the walk-through (called with the lock held); returns an error tuple or None
    def walk_answer(self, a):
        t = a.get("type")
        s = self.step
        expected = {"which": "choice", "know": "yesno", "try_again": "yesno", "last_try": "yesno",
                    "other": "secret", "new": "secret", "again": "secret"}.get(s)
        if expected is None:
            return (409, "stale", ("この画面には回答できません。", "This screen takes no answer."))
        if t == "quit":
            self.finish("cancelled", [])
            return None
        if (expected == "yesno" and t not in ("yes", "no")) or (expected != "yesno" and t != expected):
            return (400, "bad_request", ("この質問への回答の種類が違います。何も送信していません",
                                         "the question takes another kind of answer; nothing was sent"))
        if s == "which":
            v = a.get("value")
            if not isinstance(v, int) or not 1 <= v <= 4:
                return (400, "bad_request", ("選択肢がありません", "no such choice"))
            self.kind = KINDS[v - 1]
            if other_of(self.kind) is None:
                kind = self.kind
                self.finish("not_possible", [(lambda i: (lambda l: not_possible_lines(l, kind)[i]))(i)
                                             for i in range(4)])
            else:
                self.step, self.lines = "know", []
        elif s == "know":
            o = other_of(self.kind)
            if t == "yes":
                self.step = "other"
                self.lines = [(lambda i: (lambda l: possible_lines(l, o)[i]))(i) for i in range(5)]
                if self.tries[o] == 1:
                    self.lines.append(lambda l: last_try_line(o, l))
            else:
                self.finish("not_possible", [lambda l: L(l, ("JPKIの暗証番号がどちらも分からない場合は、窓口でしか再設定できません。",
                                                              "If neither JPKI PIN is known, only the counter can reset."))])
        elif s in ("other", "new", "again"):
            secret = a.get("value")
            if not isinstance(secret, str):
                return (400, "bad_request", ("暗証番号がありません", "no secret"))
            if secret == "":
                self.finish("cancelled", [])
                return None
            pin = other_of(self.kind) if s == "other" else self.kind
            spec = secret_spec(pin, "")
            broken = rule_broken("ja", secret, spec)
            if broken is not None:
                b_ja, b_en = broken, rule_broken("en", secret, spec)
                if s == "other":
                    self.lines = [lambda l: (f"正しい形式ではありません（{b_ja}）。何も送信していないため、回数は減っていません。"
                                             if l == "ja" else f"That is not a valid value ({b_en}); nothing was sent, no try was spent.")]
                else:
                    self.step = "new"
                    self.first_new = None
                    self.lines = [lambda l: (f"正しい形式ではありません（{b_ja}）。もう一度:" if l == "ja"
                                             else f"That is not a valid value ({b_en}). Again:")]
                return None
            if s == "other":
                self.other_ok = secret == "1234"
                self.step, self.lines = ("new", [lambda l: choose_new(self.kind, l)]) if not self.retrying else ("busy", [])
                if self.step == "busy":
                    self.start_reset()
            elif s == "new":
                self.first_new = secret
                self.step, self.lines = "again", []
            else:
                if secret != self.first_new:
                    self.first_new = None
                    self.step, self.lines = "new", [ENTRIES_DIFFER]
                else:
                    self.first_new = None
                    self.step, self.lines = "busy", []
                    self.start_reset()
        elif s == "try_again":
            if t == "yes":
                self.retrying = True
                self.step, self.lines = "other", []
            else:
                self.finish("wrong_pin", self.lines)
        elif s == "last_try":
            if t == "yes":
                self.allow_last = True
                self.step, self.lines = "busy", []
                self.start_reset()
            else:
                self.finish("last_try_refused", self.lines)
        return None

    def start_reset(self):
        self.busy_until = time.time() + 1.5
        threading.Thread(target=self.finish_reset, daemon=True).start()

    def finish_reset(self):
        time.sleep(1.5)
        with self.cond:
            if self.step != "busy":
                return
            o, k = other_of(self.kind), self.kind
            if self.tries[o] == 1 and not self.allow_last:
                self.step, self.lines = "last_try", [lambda l: last_try_line(o, l)]
            elif self.other_ok:
                self.tries[k] = LIMIT[k]
                self.tries[o] = LIMIT[o]
                self.finish("done", [lambda l: was_reset(k, l, LIMIT[k])] +
                            [(lambda i: (lambda l: status_lines(l, self.tries)[i]))(i) for i in range(4)])
            else:
                self.tries[o] -= 1
                n = self.tries[o]
                self.allow_last = False
                if n == 0:
                    self.finish("blocked", [lambda l: wrong_other(o, 0, k, l)])
                else:
                    self.retrying = True
                    self.step, self.lines = "try_again", [lambda l: wrong_other(o, n, k, l)]
            self.changed()

    def virtual_action(self, action):
        if action == "remove":
            if not self.card:
                return
            self.card = False
            pulled = self.step not in ("start", "done")
            self.reset_walk(notice=PULLED if pulled else None)
            self.retrying = False
            self.allow_last = False
        elif action == "insert":
            if self.card:
                return
            self.card = True
            if self.step == "start":
                self.step = "which"
                self.notice = None
                self.retrying = False
                self.allow_last = False
                self.lines = [CARD_FOUND] + [(lambda i: (lambda l: status_lines(l, self.tries)[i]))(i) for i in range(4)]


STATIONS = []


def build_stations():
    STATIONS.append(Station(0, "virtual", True))
    for i, (name, f) in enumerate(fixed_screens(), start=1):
        STATIONS.append(Station(i, f"mock: {name}", i % 2 == 0, fixed=f))


def err_text(lang, pair):
    return L(lang, pair)


ERRORS = {
    "forbidden": (403, ("トークンがありません。", "No token.")),
    "bad_origin": (403, ("このページからの要求ではありません。", "Not a request from this page.")),
    "unsupported_media_type": (415, ("JSON で送ってください。", "Send JSON.")),
    "too_large": (413, ("要求が大きすぎます。", "The request is too large.")),
    "bad_request": (400, ("要求を読み取れません。", "The request cannot be read.")),
    "not_found": (404, ("見つかりません。", "Not found.")),
    "method_not_allowed": (405, ("このメソッドは使えません。", "Method not allowed.")),
    "stale": (409, ("この画面はもう終わっています。", "That screen is over.")),
    "other_tab": (409, ("この端末は別のタブで開かれています。", "This station was opened in another tab.")),
    "busy": (409, ("カードと通信中です。", "Talking to the card.")),
    "not_virtual": (404, ("仮想カードではありません。", "Not a virtual card.")),
}


class Handler(BaseHTTPRequestHandler):
    server_version = "ui-mock"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # never a body: no secret in the mock's log either
        pass

    def headers_common(self):
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "DENY")

    def send(self, code, body, ctype, extra=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.headers_common()
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def json(self, code, obj):
        self.send(code, json.dumps(obj, ensure_ascii=False), "application/json; charset=utf-8")

    def error(self, code_name, lang="ja", api=True, message=None):
        status, text = ERRORS[code_name]
        if api:
            self.json(status, {"error": code_name, "message": message or L(lang, text)})
        else:
            self.send(status, L("en", text) + "\n", "text/plain; charset=utf-8")

    def authed(self):
        cookie = self.headers.get("Cookie", "")
        ok = f"myna_kiosk={TOKEN}" in [c.strip() for c in cookie.split(";")]
        return ok or self.headers.get("X-Kiosk-Token") == TOKEN

    def station(self, parts):
        try:
            n = int(parts[1])
            return STATIONS[n] if 0 <= n < len(STATIONS) and str(n) == parts[1] else None
        except ValueError:
            return None

    def forward(self, body=None):
        """Sends this API request on to the real server (--upstream); its reply back as it is."""
        up = self.server.upstream
        headers = {"X-Kiosk-Token": up["token"]}
        if body is not None:
            headers["Content-Type"] = self.headers.get("Content-Type", "")
            headers["Origin"] = up["origin"]
        req = urllib.request.Request(up["origin"] + self.path, data=body, method=self.command,
                                     headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=45) as r:
                status, data, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            status, data, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
        except OSError:
            self.send(502, "upstream unreachable\n", "text/plain; charset=utf-8")
            return
        self.send(status, data, ctype or "application/json")

    def do_GET(self):
        u = urlsplit(self.path)
        q = parse_qs(u.query)
        path = u.path
        if "token" in q and q["token"][0] == TOKEN and not path.startswith("/assets/"):
            self.send(303, "", "text/plain", [("Location", path),
                                              ("Set-Cookie", f"myna_kiosk={TOKEN}; HttpOnly; SameSite=Strict; Path=/")])
            return
        if not self.authed():
            self.error("forbidden", api=path.startswith("/api/") or "/api/" in path)
            return
        if path == "/":
            items = "".join(f'<li><a href="/station/{s.number}/">station {s.number}: {s.reader}</a></li>'
                            for s in STATIONS)
            self.send(200, f"<!doctype html><meta charset=utf-8><title>ui-mock</title><ul>{items}</ul>",
                      "text/html; charset=utf-8")
            return
        if path in ("/assets/app.js", "/assets/app.css"):
            ctype = "text/javascript; charset=utf-8" if path.endswith(".js") else "text/css; charset=utf-8"
            self.send(200, (ASSETS / path.rsplit("/", 1)[1]).read_bytes(), ctype)
            return
        if self.server.upstream and (path == "/api/stations" or "/api/" in path):
            self.forward()
            return
        if path == "/api/stations":
            self.json(200, [{"station": s.number, "reader": s.reader, "url": f"/station/{s.number}/"}
                            for s in STATIONS])
            return
        parts = path.strip("/").split("/")
        if len(parts) >= 2 and parts[0] == "station":
            st = self.station(parts)
            if st is None:
                self.error("not_found", api=False)
                return
            if len(parts) == 2 and path.endswith("/"):
                self.send(200, (ASSETS / "index.html").read_bytes(), "text/html; charset=utf-8")
                return
            if parts[2:] == ["api", "state"]:
                after = q.get("after", [None])[0]
                wait = min(float(q.get("wait", ["25"])[0] or 25), 30)
                with st.cond:
                    if after is not None:
                        end = time.time() + wait
                        while st.version <= int(after) and time.time() < end:
                            st.cond.wait(end - time.time())
                    self.json(200, st.state())
                return
            if parts[2:3] == ["api"]:
                self.error("method_not_allowed", st.lang)
                return
        self.error("not_found", api=False)

    def do_POST(self):
        u = urlsplit(self.path)
        parts = u.path.strip("/").split("/")
        if not self.authed():
            self.error("forbidden")
            return
        host = self.headers.get("Host", "")
        if self.headers.get("Origin") != f"http://{host}":
            self.error("bad_origin")
            return
        if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            self.error("unsupported_media_type")
            return
        n = int(self.headers.get("Content-Length", "0") or 0)
        if n > 4096:
            self.error("too_large")
            self.close_connection = True
            return
        try:
            body = json.loads(self.rfile.read(n) or b"null")
        except ValueError:
            self.error("bad_request")
            return
        if not (len(parts) == 4 and parts[0] == "station" and parts[2] == "api"):
            self.error("not_found")
            return
        st = self.station(parts) if not self.server.upstream else STATIONS[0]
        if st is None or not isinstance(body, dict):
            self.error("not_found" if st is None else "bad_request")
            return
        what = parts[3]
        if self.server.upstream:
            self.forward(json.dumps(body).encode())
            return
        with st.cond:
            if what == "claim":
                st.tab = secrets.token_hex(16)
                self.json(200, {"tab": st.tab})
                return
            if what not in ("answer", "lang", "virtual"):
                self.error("not_found", st.lang)
                return
            if what != "lang" and body.get("tab") != st.tab:
                self.error("other_tab", st.lang)
                return
            if what == "lang":
                if body.get("lang") not in ("ja", "en"):
                    self.error("bad_request", st.lang)
                    return
                st.lang = body["lang"]
                st.changed(new_screen=False)
            elif what == "virtual":
                if not st.virtual:
                    self.error("not_virtual", st.lang)
                    return
                if st.fixed is None:
                    st.virtual_action(body.get("action"))
                    st.changed()
            else:
                a = body.get("answer")
                if body.get("screen") != st.screen_id or not isinstance(a, dict):
                    self.error("stale" if isinstance(a, dict) else "bad_request", st.lang)
                    return
                if st.fixed is None and st.step == "busy":
                    self.error("busy", st.lang)
                    return
                if st.fixed is None:
                    e = st.walk_answer(a)
                    if e:
                        self.json(e[0], {"error": e[1], "message": L(st.lang, e[2])})
                        return
                st.changed()
            self.json(200, st.state())

    def do_PUT(self):
        self.error("method_not_allowed")

    do_DELETE = do_PUT


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=8788)
    ap.add_argument("--upstream", default=None,
                    help="a real myna-kiosk --web to forward the API to: its first line, http://127.0.0.1:PORT/?token=T")
    args = ap.parse_args()
    build_stations()
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.upstream = None
    if args.upstream:
        u = urlsplit(args.upstream)
        srv.upstream = {"origin": f"{u.scheme}://{u.netloc}", "token": parse_qs(u.query)["token"][0]}
    srv.daemon_threads = True
    print(f"http://127.0.0.1:{srv.server_port}/?token={TOKEN}", flush=True)
    for s in STATIONS:
        print(f"station {s.number}: {s.reader} http://127.0.0.1:{srv.server_port}/station/{s.number}/?token={TOKEN}",
              flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
