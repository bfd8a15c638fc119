// Shared by the desktop and the wall: the page's language, the self-healing WebSocket, API calls, safe DOM
// building. Data from the server is only ever put in the page with textContent, never as HTML.
"use strict";

const Live = (() => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  // The page's language and the translations of the messages the scripts use, embedded by the server from
  // the same catalogue as the page (English is the message ids themselves).
  const uiText = JSON.parse(document.getElementById("ui-text").textContent);
  const language = uiText.language;
  const numbers = new Intl.NumberFormat(language);
  const percents = new Intl.NumberFormat(language, {style: "percent", maximumFractionDigits: 0});
  let clockOffsetMs = 0;

  // t("Transferred to %(target)s", {target: name}): the message in the page's language; every user-visible
  // text of the scripts goes through here (pybabel extracts the t("...") calls).
  function t(msgid, params) {
    const text = uiText.messages[msgid] || msgid;
    return text.replace(/%(?:\((\w+)\)s|%)/g, (match, name) => (name === undefined ? "%" : String(params[name])));
  }

  // A code shown as a word (agent state, call status, pause reason, disposition...): kind is its context in
  // the catalogue; a code the catalogue does not know reads as itself.
  function label(kind, code) {
    return uiText.messages[kind + "\u0004" + code] || String(code).replaceAll("_", " ");
  }

  function number(value) {
    return numbers.format(value);
  }

  function percent(ratio) {
    return percents.format(ratio);
  }

  function dateTime(epochSeconds) {
    return new Date(epochSeconds * 1000).toLocaleString(language);
  }

  // One past interaction of a customer: only the parts it has (so no empty "· ·"); its disposition, else
  // what the call came to (a campaign's busy line, a call dialled by hand that nobody answered).
  function historyLine(i) {
    const result = i.disposition ? label("disposition", i.disposition) : i.outcome ? label("outcome", i.outcome) : "";
    return [dateTime(i.at), label("direction", i.direction), i.queue, result, i.notes].filter(Boolean).join(" · ");
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function serverNow() {
    return Date.now() + clockOffsetMs;
  }

  function duration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(r).padStart(2, "0");
  }

  // A refused request throws an Error whose status and data (the JSON body) the caller may inspect.
  async function answer(response) {
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (!response.ok) {
      const error = new Error(data.error || t("HTTP %(status)s", {status: response.status}));
      error.status = response.status;
      error.data = data;
      throw error;
    }
    return data;
  }

  async function api(path, body, method) {
    return answer(await fetch(path, {
      method: method || "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify(body || {}),
    }));
  }

  async function apiGet(path) {
    return answer(await fetch(path, {credentials: "same-origin"}));
  }

  // Reconnects with exponential backoff and jitter; after each open it sends resync with the
  // highest seq seen, so the server replays whatever was missed while offline.
  function connect(handlers) {
    let lastSeq = 0;
    let delay = 500;
    let socket = null;
    const status = document.getElementById("conn");

    function setStatus(up) {
      if (!status) return;
      status.textContent = up ? t("live") : t("reconnecting");
      status.className = "conn " + (up ? "conn-up" : "conn-down");
    }

    function open() {
      const scheme = location.protocol === "https:" ? "wss://" : "ws://";
      socket = new WebSocket(scheme + location.host + "/ws");
      socket.onopen = () => {
        delay = 500;
        setStatus(true);
        send({type: "resync", last_seq: lastSeq});
        if (handlers.onOpen) handlers.onOpen();
      };
      socket.onmessage = (event) => {
        const message = JSON.parse(event.data);
        if (message.type === "hello") clockOffsetMs = message.server_time * 1000 - Date.now();
        if (typeof message.seq === "number" && message.seq > lastSeq && message.type !== "resync.done") {
          lastSeq = message.seq;
        }
        handlers.onMessage(message);
      };
      socket.onclose = (event) => {
        setStatus(false);
        if (event.code === 1008) { location.href = "/login"; return; }
        const wait = delay * (0.75 + Math.random() / 2);
        delay = Math.min(delay * 2, 10000);
        setTimeout(open, wait);
      };
    }

    function send(message) {
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    }

    open();
    return {send, drop: () => socket && socket.close()};
  }

  // A browser silently cuts pasted text at a field's maxlength: say so next to the field instead.
  document.addEventListener("paste", (event) => {
    const field = event.target;
    if (!(field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement) || field.maxLength < 0) return;
    const pasted = event.clipboardData ? event.clipboardData.getData("text") : "";
    const room = field.maxLength - field.value.length + (field.selectionEnd - field.selectionStart);
    if (pasted.length <= room) return;
    let note = field.nextElementSibling;
    if (!note || !note.classList.contains("cut-note")) {
      note = el("span", "", "cut-note");
      note.classList.add("error");
      note.setAttribute("role", "alert");
      field.insertAdjacentElement("afterend", note);
    }
    note.textContent = t("Too long: only the first %(count)s characters were kept", {count: number(field.maxLength)});
  });

  // A tile's figure: its label and value, levelled ("ok", "warn", "alert": colour, edge and sign) only when
  // there is a value to judge ("—" is no figure yet, neither good nor bad).
  const NO_FIGURE = "—";
  function figure(name, value, level) {
    const box = el("div", null, "figure" + (level && value !== NO_FIGURE ? " level-" + level : ""));
    box.appendChild(el("span", name, "label"));
    box.appendChild(el("span", value, "value"));
    return box;
  }

  return {t, label, language, number, percent, dateTime, historyLine, el, clear, serverNow, duration, api, apiGet,
          connect, csrf, figure, NO_FIGURE};
})();
