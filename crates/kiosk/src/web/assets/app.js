// A placeholder until the `ui` branch's page lands: shows the state, answers with buttons.
"use strict";
const base = location.pathname.replace(/\/$/, "") + "/api/";
let tab = null, state = null, pin = "";
async function post(what, body) {
  const r = await fetch(base + what, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return r.json();
}
function button(label, f) { const b = document.createElement("button"); b.textContent = label; b.addEventListener("click", f); return b; }
function answer(a) { post("answer", { tab, screen: state.screen.id, answer: a }).then(show); }
function show(s) {
  if (!s || !s.screen) return;
  state = s; const sc = s.screen, main = document.getElementById("screen");
  main.dataset.kind = sc.kind; main.dataset.screen = sc.id;
  document.getElementById("station-name").textContent = s.reader;
  document.getElementById("heading").textContent = sc.heading || "";
  const lines = document.getElementById("lines"); lines.replaceChildren();
  for (const l of sc.lines) { const p = document.createElement("p"); p.textContent = l; lines.append(p); }
  document.getElementById("question").textContent = sc.question || "";
  document.getElementById("notice").textContent = sc.notice || "";
  const c = document.getElementById("controls"); c.replaceChildren(); pin = "";
  for (const ch of sc.choices) c.append(button(ch.number + ". " + ch.text, () => answer({ type: "choice", value: ch.number })));
  if (sc.kind === "yesno" || sc.kind === "confirm") { c.append(button("yes", () => answer({ type: "yes" }))); c.append(button("no", () => answer({ type: "no" }))); }
  if (sc.kind === "secret") {
    const i = document.createElement("input"); i.type = "password"; c.append(i);
    c.append(button("ok", () => answer({ type: "secret", value: i.value })));
  }
  if (["menu", "yesno", "confirm", "secret"].includes(sc.kind)) c.append(button("quit", () => answer({ type: "quit" })));
  c.append(button(s.lang === "ja" ? "English" : "日本語", () => post("lang", { tab, lang: s.lang === "ja" ? "en" : "ja" }).then(show)));
  if (s.virtual) { c.append(button("remove", () => post("virtual", { tab, action: "remove" }).then(show))); c.append(button("insert", () => post("virtual", { tab, action: "insert" }).then(show))); }
}
async function poll() {
  for (;;) {
    try {
      const r = await fetch(base + "state" + (state ? "?after=" + state.version : ""));
      show(await r.json());
    } catch (e) { await new Promise(r => setTimeout(r, 1000)); }
  }
}
post("claim", {}).then(r => { tab = r.tab; poll(); });
