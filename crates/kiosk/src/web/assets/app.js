// The touch page of `myna-kiosk --web` (one station). Plain JavaScript, no framework, no build
// step. Served from the binary under a strict CSP: no inline code, no eval, no style attributes.
//
// Every word about the card (the PINs' names, the rules, the outcomes) comes from the server's
// state; only the page's own words (button labels, connection notices) are written here.
//
// Secrets: the entry on the PIN pad lives only in `entry` below (an array of characters). It is
// shown as dots (one element per character, never its text), sent only in the body of one
// `answer` POST, and wiped after sending and whenever the screen changes. It never goes to the
// URL, to storage, to the console or into the DOM as text.
(function () {
  'use strict';

  // ---- the page's own words ----
  var UI = {
    ja: {
      title: 'マイナンバーカード 暗証番号の再設定',
      other: 'English',
      otherLang: 'en',
      quit: '終了',
      yes: 'はい',
      no: 'いいえ',
      submit: '決定',
      ok: '決定',
      back: '1文字消す',
      clear: 'すべて消す',
      station: '端末',
      connecting: '接続しています…',
      otherTab: 'この端末の画面は、別のタブで開かれています。',
      takeOver: 'このタブで続ける',
      busy: 'カードと通信しています。カードを抜かないでください。',
      demo: 'デモ（仮想カード）:',
      remove: 'カードを抜く',
      insert: 'カードを挿す',
      sendFailed: '送信できませんでした。接続を確認して、もう一度押してください。',
      noStation: 'このページのアドレスに端末の番号がありません。',
      entered: function (n) { return n + '文字入力済み'; },
      progress: function (a, b) { return b + '段階中' + a + '段階目'; },
      insertArt: 'カードを読み取り機に差し込んでください'
    },
    en: {
      title: 'My Number Card PIN reset',
      other: '日本語',
      otherLang: 'ja',
      quit: 'Quit',
      yes: 'Yes',
      no: 'No',
      submit: 'OK',
      ok: 'OK',
      back: 'Back',
      clear: 'Clear',
      station: 'Station',
      connecting: 'connecting…',
      otherTab: 'This station was opened in another tab.',
      takeOver: 'Take over here',
      busy: 'Talking to the card. Please do not remove it.',
      demo: 'Demo (virtual card):',
      remove: 'Remove the card',
      insert: 'Insert the card',
      sendFailed: 'Could not send. Check the connection and press again.',
      noStation: 'This page\u2019s address names no station.',
      entered: function (n) { return n + (n === 1 ? ' character entered' : ' characters entered'); },
      progress: function (a, b) { return 'step ' + a + ' of ' + b; },
      insertArt: 'Insert the card into the reader'
    }
  };

  var QUESTION_KINDS = { menu: true, yesno: true, confirm: true, secret: true };
  var LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  var POLL_WAIT = 25;          // seconds the server may hold a long poll
  var POLL_TIMEOUT = 35000;    // ms before the page gives up on one poll
  var BACKOFF_MAX = 8000;      // ms between retries at most

  // ---- state ----
  var station = null;          // the station number, from the path
  var base = null;             // '/station/N/api/'
  var tab = null;              // our claim
  var claiming = null;         // the claim in flight (a Promise)
  var current = null;          // the latest state rendered
  var entry = [];              // the PIN pad's characters: never anywhere else
  var selected = {};           // multiple-choice menu: number -> true
  var sending = null;          // the screen id of the answer in flight, or null
  var lang = document.documentElement.lang === 'en' ? 'en' : 'ja';
  var pollFailed = false;      // the error shown came from the poll (cleared when it works)

  function $(id) { return document.getElementById(id); }
  function ui() { return UI[lang] || UI.ja; }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  function nextDelay(d) { return d ? Math.min(d * 2, BACKOFF_MAX) : 500; }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }

  function button(cls, text, attrs) {
    var b = el('button', 'btn ' + cls, text);
    b.type = 'button';
    for (var k in attrs) {
      if (Object.prototype.hasOwnProperty.call(attrs, k)) { b.setAttribute(k, attrs[k]); }
    }
    return b;
  }

  // ---- the network ----

  // One request to the station's API. Resolves with {status, data} (data: the JSON body or
  // null); rejects on a network failure or a timeout.
  function api(method, path, body, timeoutMs) {
    var init = { method: method, credentials: 'same-origin', cache: 'no-store', headers: {} };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    var ctl = null;
    var timer = null;
    if (timeoutMs && typeof AbortController === 'function') {
      ctl = new AbortController();
      init.signal = ctl.signal;
      timer = setTimeout(function () { ctl.abort(); }, timeoutMs);
    }
    return fetch(base + path, init).then(function (r) {
      return r.text().then(function (t) {
        var data = null;
        try { data = t ? JSON.parse(t) : null; } catch (e) { data = null; }
        return { status: r.status, data: data };
      });
    }).finally(function () {
      if (timer) { clearTimeout(timer); }
    });
  }

  function isState(d) {
    return d && typeof d === 'object' && typeof d.version === 'number' && d.screen &&
      typeof d.screen === 'object';
  }

  function setConnected(ok) {
    var c = $('connection');
    c.textContent = ui().connecting;
    c.hidden = ok;
  }

  function showError(text) {
    var e = $('error');
    e.textContent = text;
    e.hidden = !text;
  }

  function serverMessage(r) {
    if (r && r.data && typeof r.data.message === 'string' && r.data.message) {
      return r.data.message;
    }
    return 'HTTP ' + (r ? r.status : '?');
  }

  // Claims the station for this tab (with retries); resolves with the tab.
  function claim() {
    if (claiming) { return claiming; }
    claiming = (async function () {
      var delay = 0;
      for (;;) {
        try {
          var r = await api('POST', 'claim', {}, 15000);
          if (r.status === 200 && r.data && typeof r.data.tab === 'string') {
            tab = r.data.tab;
            setConnected(true);
            return tab;
          }
          showError(serverMessage(r));
        } catch (e) {
          setConnected(false);
        }
        delay = nextDelay(delay);
        await sleep(delay);
      }
    })().finally(function () { claiming = null; });
    return claiming;
  }

  function ensureTab() {
    return tab ? Promise.resolve(tab) : claim();
  }

  // The long poll: forever, with a gentle back-off on failures.
  async function pollLoop() {
    var delay = 0;
    for (;;) {
      var after = current ? current.version : null;
      try {
        var path = after === null ? 'state' : 'state?after=' + after + '&wait=' + POLL_WAIT;
        var r = await api('GET', path, undefined, POLL_TIMEOUT);
        if (r.status === 200 && isState(r.data)) {
          setConnected(true);
          delay = 0;
          if (pollFailed) { pollFailed = false; showError(''); }
          // A version below the one asked after: the server started again. Take it.
          apply(r.data, after !== null && r.data.version < after);
          continue;
        }
        setConnected(true);
        pollFailed = true;
        showError(serverMessage(r));
      } catch (e) {
        setConnected(false);
      }
      delay = nextDelay(delay);
      await sleep(delay);
    }
  }

  // Fetches the state now (after a stale or busy answer, or a take-over).
  function refresh() {
    return api('GET', 'state', undefined, 15000).then(function (r) {
      // Not forced: a reply that crossed a newer one (from the poll or a POST) is older.
      if (r.status === 200 && isState(r.data)) { apply(r.data, false); }
    }, function () { setConnected(false); });
  }

  // The reply to a POST on the station: the new state, or an error.
  function handleReply(r) {
    setConnected(true);
    if (r.status === 200 && isState(r.data)) {
      showError('');
      apply(r.data, false);
      return;
    }
    var code = r.data && r.data.error;
    if (r.status === 409 && code === 'other_tab') {
      showOtherTab(true);
    } else if (r.status === 409 && (code === 'stale' || code === 'busy')) {
      // A double tap, an answer to a screen already gone, or the card is being talked to:
      // nothing was done; show what the station shows now.
      refresh();
    } else {
      showError(serverMessage(r));
    }
  }

  async function post(path, body) {
    try {
      var t = await ensureTab();
      body.tab = t;
      handleReply(await api('POST', path, body, 60000));
    } catch (e) {
      setConnected(false);
      showError(ui().sendFailed);
    }
  }

  // Whether an answer to the screen shown is in flight (its controls are then disabled; a new
  // screen, from the poll or the reply, has its controls enabled at once).
  function isSending() {
    return sending !== null && current !== null && sending === current.screen.id;
  }

  async function answer(a) {
    if (isSending() || !current) { return; }
    var screen = current.screen.id;
    sending = screen;
    setControlsDisabled(true);
    showError('');
    try {
      await post('answer', { screen: screen, answer: a });
    } finally {
      a = null;
      if (sending === screen) { sending = null; }
      setControlsDisabled(isSending());
    }
  }

  // ---- rendering ----

  function apply(s, force) {
    if (current && !force && s.version <= current.version) { return; }
    var changed = !current || s.screen.id !== current.screen.id ||
      s.screen.kind !== current.screen.kind;
    if (changed) {
      wipeEntry();
      selected = {};
      showError('');
    }
    current = s;
    lang = s.lang === 'en' ? 'en' : 'ja';
    render();
  }

  function render() {
    var s = current;
    var sc = s.screen;
    var t = ui();
    var kind = String(sc.kind);

    document.documentElement.lang = lang;
    document.title = t.title;

    var langBtn = $('lang');
    langBtn.textContent = t.other;
    langBtn.setAttribute('lang', t.otherLang);

    $('station-name').textContent = t.station + ' ' + s.station +
      (s.reader ? ' · ' + s.reader : '');
    $('connection').textContent = t.connecting;
    $('other-tab-text').textContent = t.otherTab;
    $('take-over').textContent = t.takeOver;

    renderProgress(sc.progress);

    var main = $('screen');
    main.setAttribute('data-kind', kind);
    main.setAttribute('data-screen', String(sc.id));
    if (kind === 'done') {
      main.setAttribute('data-outcome', String(sc.outcome || ''));
    } else {
      main.removeAttribute('data-outcome');
    }
    if (kind === 'menu' && sc.multiple) {
      main.setAttribute('data-multiple', '');
    } else {
      main.removeAttribute('data-multiple');
    }
    if (kind === 'secret' && sc.secret) {
      main.setAttribute('data-alphabet', String(sc.secret.alphabet));
    } else {
      main.removeAttribute('data-alphabet');
    }

    var notice = $('notice');
    notice.textContent = sc.notice || '';
    notice.hidden = !sc.notice;

    $('outcome').hidden = kind !== 'done';

    var heading = $('heading');
    heading.textContent = sc.heading || '';
    // The start screen's heading is often its question word for word: show it once.
    heading.hidden = !sc.heading || sc.heading === sc.question;

    var lines = $('lines');
    lines.textContent = '';
    (sc.lines || []).forEach(function (line) {
      var p = el('p', /^\s/.test(line) ? 'line indent' : 'line', line);
      lines.appendChild(p);
    });
    lines.hidden = !(sc.lines && sc.lines.length);

    var question = $('question');
    question.textContent = sc.question || '';
    question.hidden = !sc.question;

    // Quit: on question screens only (absent elsewhere, not just hidden).
    var quit = document.querySelector('.bar [data-answer="quit"]');
    if (QUESTION_KINDS[kind]) {
      if (!quit) {
        quit = button('btn-quit', null, { 'data-answer': 'quit' });
        langBtn.parentNode.insertBefore(quit, langBtn);
      }
      quit.textContent = t.quit;
    } else if (quit) {
      quit.parentNode.removeChild(quit);
    }

    var controls = $('controls');
    controls.textContent = '';
    if (kind === 'start') {
      controls.appendChild(insertArt(t));
    } else if (kind === 'menu') {
      renderMenu(controls, sc, t);
    } else if (kind === 'yesno' || kind === 'confirm') {
      renderYesNo(controls, kind, t);
    } else if (kind === 'secret') {
      renderPad(controls, sc.secret, t);
    } else if (kind === 'busy') {
      var b = el('div', 'busy');
      b.appendChild(el('span', 'spinner'));
      b.appendChild(el('p', 'busy-text', t.busy));
      controls.appendChild(b);
    }
    controls.hidden = !controls.firstChild;

    var demo = $('demo');
    demo.hidden = !s.virtual;
    demo.querySelector('.demo-label').textContent = t.demo;
    $('virtual-remove').textContent = t.remove;
    $('virtual-insert').textContent = t.insert;

    setControlsDisabled(isSending());
  }

  function renderProgress(p) {
    var box = $('progress');
    var ok = p && typeof p.stage === 'number' && typeof p.of === 'number' && p.of > 0;
    box.hidden = !ok;
    if (!ok) {
      box.removeAttribute('data-stage');
      box.removeAttribute('data-of');
      return;
    }
    var stage = Math.max(0, Math.min(p.stage, p.of));
    box.setAttribute('data-stage', String(p.stage));
    box.setAttribute('data-of', String(p.of));
    box.setAttribute('role', 'progressbar');
    box.setAttribute('aria-valuemin', '1');
    box.setAttribute('aria-valuemax', String(p.of));
    box.setAttribute('aria-valuenow', String(p.stage));
    box.setAttribute('aria-valuetext', ui().progress(p.stage, p.of));
    var steps = box.querySelector('.progress-steps');
    steps.textContent = '';
    for (var i = 1; i <= Math.min(p.of, 20); i++) {
      steps.appendChild(el('li', i < stage ? 'step done' : i === stage ? 'step current' : 'step'));
    }
    box.querySelector('.progress-text').textContent = p.stage + ' / ' + p.of;
  }

  function insertArt(t) {
    var art = el('div', 'insert-art');
    art.setAttribute('role', 'img');
    art.setAttribute('aria-label', t.insertArt);
    var reader = el('div', 'reader');
    reader.appendChild(el('div', 'slot'));
    var card = el('div', 'card');
    card.appendChild(el('div', 'card-chip'));
    card.appendChild(el('div', 'card-photo'));
    card.appendChild(el('div', 'card-line l1'));
    card.appendChild(el('div', 'card-line l2'));
    art.appendChild(card);
    art.appendChild(reader);
    art.appendChild(el('div', 'arrow'));
    return art;
  }

  function renderMenu(controls, sc, t) {
    var list = el('div', sc.multiple ? 'choices multiple' : 'choices');
    (sc.choices || []).forEach(function (c) {
      var attrs = { 'data-choice': String(c.number) };
      if (sc.multiple) { attrs['aria-pressed'] = selected[c.number] ? 'true' : 'false'; }
      var b = button('btn-choice', null, attrs);
      b.appendChild(el('span', 'choice-number', String(c.number)));
      b.appendChild(el('span', 'choice-text', c.text));
      if (sc.multiple) { b.appendChild(el('span', 'choice-tick')); }
      list.appendChild(b);
    });
    controls.appendChild(list);
    if (sc.multiple) {
      controls.appendChild(button('btn-primary btn-big', t.submit, { 'data-answer': 'submit' }));
    }
  }

  function renderYesNo(controls, kind, t) {
    var box = el('div', 'yesno');
    box.appendChild(button(kind === 'confirm' ? 'btn-warn btn-big' : 'btn-primary btn-big', t.yes,
      { 'data-answer': 'yes' }));
    box.appendChild(button('btn-secondary btn-big', t.no, { 'data-answer': 'no' }));
    controls.appendChild(box);
  }

  // ---- the PIN pad ----

  function secretSpec() {
    var sc = current && current.screen;
    if (!sc || sc.kind !== 'secret' || !sc.secret) { return null; }
    var sp = sc.secret;
    var max = typeof sp.max === 'number' && sp.max > 0 ? sp.max : 16;
    var min = typeof sp.min === 'number' && sp.min > 0 ? Math.min(sp.min, max) : 1;
    return { min: min, max: max, alnum: sp.alphabet === 'upper_alnum' };
  }

  function renderPad(controls, sp, t) {
    var spec = secretSpec();
    if (!spec) { return; }
    var entryBox = el('div', 'entry');
    var display = el('div', 'pin-display');
    display.id = 'pin-display';
    display.setAttribute('role', 'status');
    entryBox.appendChild(display);
    var count = el('p', 'pin-count');
    count.id = 'pin-count';
    entryBox.appendChild(count);
    controls.appendChild(entryBox);

    var pad = el('div', spec.alnum ? 'pad pad-alnum' : 'pad pad-digits');
    var keys = spec.alnum ? '1234567890'.split('').concat(LETTERS.split(''))
      : '123456789'.split('');
    keys.forEach(function (k) {
      pad.appendChild(button('key key-char', k, { 'data-key': k }));
    });
    if (!spec.alnum) {
      pad.appendChild(button('key key-edit key-clear', t.clear, { 'data-key': 'clear' }));
      pad.appendChild(button('key key-char', '0', { 'data-key': '0' }));
      pad.appendChild(button('key key-edit key-back', t.back, { 'data-key': 'back' }));
    } else {
      pad.appendChild(button('key key-edit key-back', t.back, { 'data-key': 'back' }));
      pad.appendChild(button('key key-edit key-clear', t.clear, { 'data-key': 'clear' }));
    }
    pad.appendChild(button('key key-ok btn-primary', t.ok, { 'data-key': 'ok' }));
    controls.appendChild(pad);
    updatePad();
  }

  function updatePad() {
    var spec = secretSpec();
    var display = $('pin-display');
    if (!spec || !display) { return; }
    var n = entry.length;
    // One dot per character entered, and an empty place for each still needed (up to min).
    display.textContent = '';
    var places = Math.max(n, spec.min);
    for (var i = 0; i < places; i++) {
      display.appendChild(el('span', i < n ? 'dot filled' : 'dot'));
    }
    display.setAttribute('aria-label', ui().entered(n));
    display.setAttribute('data-count', String(n));
    var need = spec.min === spec.max ? String(spec.max) : spec.min + '\u2013' + spec.max;
    $('pin-count').textContent = n + ' / ' + need;
    var busy = isSending();
    var full = n >= spec.max;
    var keys = document.querySelectorAll('#controls [data-key]');
    for (var j = 0; j < keys.length; j++) {
      var k = keys[j].getAttribute('data-key');
      var off = busy;
      if (k === 'ok') { off = busy || n === 0 || n < spec.min; }
      else if (k === 'back' || k === 'clear') { off = busy || n === 0; }
      else { off = busy || full; }
      keys[j].disabled = off;
    }
  }

  function wipeEntry() {
    for (var i = 0; i < entry.length; i++) { entry[i] = '\u0000'; }
    entry.length = 0;
  }

  function press(k) {
    var spec = secretSpec();
    if (!spec || isSending()) { return; }
    if (k === 'back') {
      if (entry.length) { entry[entry.length - 1] = '\u0000'; entry.pop(); }
    } else if (k === 'clear') {
      wipeEntry();
    } else if (k === 'ok') {
      if (entry.length === 0 || entry.length < spec.min) { return; }
      var value = entry.join('');
      wipeEntry();
      updatePad();
      answer({ type: 'secret', value: value });
      value = null;
      return;
    } else if (/^[0-9]$/.test(k) || (spec.alnum && /^[A-Z]$/.test(k))) {
      if (entry.length < spec.max) { entry.push(k); }
    }
    updatePad();
  }

  function setControlsDisabled(off) {
    var bs = document.querySelectorAll('#controls button, .bar [data-answer="quit"]');
    for (var i = 0; i < bs.length; i++) {
      if (!bs[i].hasAttribute('data-key')) { bs[i].disabled = off; }
    }
    if (current && current.screen.kind === 'secret') { updatePad(); }
  }

  // ---- taking the station back ----

  function showOtherTab(on) {
    var o = $('other-tab');
    o.hidden = !on;
    var main = $('screen');
    if (on) {
      main.setAttribute('inert', '');
      wipeEntry();
      updatePad();
      $('take-over').focus();
    } else {
      main.removeAttribute('inert');
    }
  }

  async function takeOver() {
    tab = null;
    await claim();
    showOtherTab(false);
    showError('');
    await refresh();
  }

  // ---- input ----

  function onClick(ev) {
    var b = ev.target.closest ? ev.target.closest('button') : null;
    if (!b || b.disabled) { return; }
    if (b.id === 'lang') {
      post('lang', { lang: ui().otherLang });
      return;
    }
    if (b.id === 'take-over') { takeOver(); return; }
    if (b.id === 'virtual-remove' || b.id === 'virtual-insert') {
      post('virtual', { action: b.id === 'virtual-remove' ? 'remove' : 'insert' });
      return;
    }
    if (!current) { return; }
    var key = b.getAttribute('data-key');
    if (key) { press(key); return; }
    var choice = b.getAttribute('data-choice');
    if (choice) {
      var n = parseInt(choice, 10);
      if (current.screen.multiple) {
        selected[n] = !selected[n];
        b.setAttribute('aria-pressed', selected[n] ? 'true' : 'false');
      } else {
        answer({ type: 'choice', value: n });
      }
      return;
    }
    var a = b.getAttribute('data-answer');
    if (a === 'yes' || a === 'no' || a === 'quit') {
      answer({ type: a });
    } else if (a === 'submit') {
      var v = Object.keys(selected).filter(function (k) { return selected[k]; })
        .map(function (k) { return parseInt(k, 10); }).sort(function (x, y) { return x - y; });
      answer({ type: 'choices', value: v });
    }
  }

  // The keyboard, for staff: on the pad only.
  function onKey(ev) {
    if (ev.ctrlKey || ev.altKey || ev.metaKey) { return; }
    var spec = secretSpec();
    if (!spec || !$('other-tab').hidden) { return; }
    var k = ev.key;
    var key = null;
    if (/^[0-9]$/.test(k)) { key = k; }
    else if (spec.alnum && /^[a-zA-Z]$/.test(k)) { key = k.toUpperCase(); }
    else if (k === 'Backspace') { key = 'back'; }
    else if (k === 'Escape' || k === 'Delete') { key = 'clear'; }
    else if (k === 'Enter') { key = 'ok'; }
    if (key === null) { return; }
    ev.preventDefault();
    press(key);
  }

  // ---- start ----

  function start() {
    var m = /^\/station\/(\d+)\//.exec(location.pathname);
    document.addEventListener('click', onClick);
    document.addEventListener('keydown', onKey);
    // Forget the entry when the page is hidden or left.
    window.addEventListener('pagehide', function () { wipeEntry(); });
    // A long press on a touch screen opens no menu.
    document.addEventListener('contextmenu', function (ev) { ev.preventDefault(); });
    if (!m) {
      showError(ui().noStation);
      return;
    }
    station = parseInt(m[1], 10);
    base = '/station/' + station + '/api/';
    $('lang').textContent = ui().other;
    claim();
    pollLoop();
    // Nothing after a moment: say that the page is connecting.
    setTimeout(function () { if (!current) { setConnected(false); } }, 1500);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
