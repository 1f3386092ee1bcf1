// Live updates: one WebSocket per page (ws/live/); hints in, fragments re-fetched.
//
// A live fragment is an element with an id and data-fragment-url, plus
//   data-live-machines="*" or "3 7"   re-fetch when those machines' queues change
//   data-live-user                    re-fetch when the viewer's own entries change
//   data-live-versions="3:12 7:4"     the queue versions it was rendered at
// Hints carry only ids and versions; the fragment's own view renders it for
// this viewer. A version gap, a reconnect or a "resync" re-fetches every
// fragment. A fragment holding a focused or half-filled field is left alone
// until the field loses focus or its form is submitted.
(function () {
  "use strict";

  var SOCKET_PATH = "/ws/live/";
  var PING_EVERY_MS = 25000;
  var PONG_WITHIN_MS = 10000;
  var BACKOFF_BASE_MS = 1000;
  var BACKOFF_CAP_MS = 30000;
  var OFFLINE_AFTER_TRIES = 4;
  var FETCH_SPREAD_MS = 250; // many pages re-fetching at once are spread over this
  var FINAL_CLOSE_CODES = [4401, 4403]; // signed out, not an approved member
  var FIELDS = "input, select, textarea";

  var known = new Map(); // machine id -> newest queue version the page has or was told of
  var socket = null;
  var tries = 0;
  var everLive = false;
  var stopped = false;
  var timers = { retry: 0, ping: 0, pong: 0 };
  var fetching = new Map(); // fragment id -> true when another fetch is due after this one
  var fetchFailed = false;

  function liveFragments() {
    return Array.prototype.slice.call(
      document.querySelectorAll("[data-fragment-url][data-live-machines], [data-fragment-url][data-live-user]")
    );
  }

  function machinesOf(el) {
    var value = (el.getAttribute("data-live-machines") || "").trim();
    if (value === "*") return "*";
    return value.split(/\s+/).filter(Boolean).map(Number);
  }

  function covers(el, machine) {
    var machines = machinesOf(el);
    return machines === "*" || machines.indexOf(machine) !== -1;
  }

  function learnVersions(root) {
    var holders = Array.prototype.slice.call(root.querySelectorAll("[data-live-versions]"));
    if (root.hasAttribute && root.hasAttribute("data-live-versions")) holders.push(root);
    holders.forEach(function (el) {
      el.getAttribute("data-live-versions").trim().split(/\s+/).filter(Boolean).forEach(function (pair) {
        var parts = pair.split(":").map(Number);
        remember(parts[0], parts[1]);
      });
    });
  }

  function remember(machine, version) {
    if (!(known.get(machine) >= version)) known.set(machine, version);
  }

  // ---- The indicator ------------------------------------------------------
  var LABELS = { live: "Live", reconnecting: "Reconnecting…", offline: "Offline" };

  function show(state) {
    var el = document.getElementById("live-indicator");
    if (!el) return;
    el.hidden = state === "off";
    el.setAttribute("data-state", state);
    var label = el.querySelector(".live-label");
    if (label && LABELS[state]) label.textContent = LABELS[state];
    el.title = state === "live" ? "Live: this page updates by itself" :
      "Live updates paused; the page catches up when the connection returns";
  }

  // ---- Re-fetching fragments ------------------------------------------------
  function dirty(field) {
    var type = (field.type || "").toLowerCase();
    if (type === "hidden" || type === "submit" || type === "button" || type === "reset") return false;
    if (type === "checkbox" || type === "radio") return field.checked !== field.defaultChecked;
    if (field.tagName === "SELECT") {
      return Array.prototype.some.call(field.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    return field.value !== field.defaultValue;
  }

  function busy(el) {
    var active = document.activeElement;
    if (active && active !== document.body && el.contains(active) && active.matches(FIELDS + ", button")) return true;
    return Array.prototype.some.call(el.querySelectorAll(FIELDS), dirty);
  }

  function refresh(el, force) {
    if (!el.id) return;
    if (!force && busy(el)) { deferUntilFree(el); return; }
    if (fetching.has(el.id)) { fetching.set(el.id, true); return; }
    fetching.set(el.id, false);
    var id = el.id;
    var url = el.getAttribute("data-fragment-url");
    var done = function () {
      var again = fetching.get(id);
      fetching.delete(id);
      var current = document.getElementById(id);
      if (again && current) refresh(current, false);
    };
    setTimeout(function () {
      fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
        .then(function (response) {
          if (response.status >= 500) fetchFailed = true; // retried on the next pong or hello
          // A redirect means the session ended (login page): keep what is shown.
          return response.ok && !response.redirected ? response.text() : null;
        })
        .then(function (html) { if (html !== null) swap(id, html, force); })
        .catch(function () { fetchFailed = true; }) // retried on the next pong or hello
        .then(done);
    }, Math.random() * FETCH_SPREAD_MS);
  }

  function swap(id, html, force) {
    var current = document.getElementById(id);
    if (!current) return;
    if (!force && busy(current)) { deferUntilFree(current); return; }
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    var fresh = template.content.firstElementChild;
    if (!fresh || fresh.id !== id) return;
    var x = window.scrollX, y = window.scrollY;
    var inner = [current].concat(Array.prototype.slice.call(current.querySelectorAll("[id]")))
      .filter(function (n) { return n.scrollTop || n.scrollLeft; })
      .map(function (n) { return [n.id, n.scrollTop, n.scrollLeft]; });
    current.replaceWith(fresh);
    inner.forEach(function (s) {
      var n = document.getElementById(s[0]);
      if (n) { n.scrollTop = s[1]; n.scrollLeft = s[2]; }
    });
    window.scrollTo(x, y);
    if (window.htmx) window.htmx.process(fresh);
    learnVersions(fresh);
    subscribe();
  }

  function deferUntilFree(el) {
    if (el.hasAttribute("data-live-pending")) return;
    el.setAttribute("data-live-pending", "");
    var finish = function (force) {
      el.removeEventListener("focusout", onBlur);
      el.removeEventListener("submit", onSubmit);
      el.removeAttribute("data-live-pending");
      var current = document.getElementById(el.id);
      if (current) refresh(current, force);
    };
    // Focus moves after focusout fires: look once it has settled.
    var onBlur = function () { setTimeout(function () { if (!busy(el)) finish(false); }, 0); };
    var onSubmit = function () { setTimeout(function () { finish(true); }, 300); };
    el.addEventListener("focusout", onBlur);
    el.addEventListener("submit", onSubmit);
  }

  function refreshAll() {
    fetchFailed = false;
    liveFragments().forEach(function (el) { refresh(el, false); });
    document.body.dispatchEvent(new CustomEvent("notifications:changed", { bubbles: true }));
  }

  // Compare the server's versions with the page's; any that moved on means hints were missed.
  function catchUp(versions) {
    var fragments = liveFragments();
    var stale = fetchFailed || Object.keys(versions).some(function (key) {
      var machine = Number(key);
      var mine = known.get(machine);
      if (mine === undefined) return fragments.some(function (el) { return covers(el, machine); });
      return versions[key] > mine;
    });
    Object.keys(versions).forEach(function (key) { remember(Number(key), versions[key]); });
    if (stale) refreshAll();
  }

  // ---- Hints ------------------------------------------------------------------
  function onQueueChanged(machine, version) {
    var last = known.get(machine);
    if (typeof version !== "number") {
      known.delete(machine); // unknown: the next hint sets a new baseline
    } else {
      if (last !== undefined && version <= last) return; // seen through another group
      known.set(machine, version);
      if (last !== undefined && version > last + 1) { refreshAll(); return; }
    }
    liveFragments().forEach(function (el) { if (covers(el, machine)) refresh(el, false); });
  }

  function handle(message) {
    switch (message.type) {
      case "hello":
        tries = 0;
        show("live");
        startPing();
        if (everLive) {
          Object.keys(message.versions).forEach(function (key) { known.set(Number(key), message.versions[key]); });
          refreshAll();
        } else {
          catchUp(message.versions);
        }
        everLive = true;
        subscribe(true);
        break;
      case "pong":
        clearTimeout(timers.pong);
        catchUp(message.versions);
        break;
      case "resync":
        refreshAll();
        break;
      case "queue.changed":
        onQueueChanged(message.machine, message.version);
        break;
      case "entries.changed":
        liveFragments().forEach(function (el) { if (el.hasAttribute("data-live-user")) refresh(el, false); });
        break;
      case "notifications.changed":
        document.body.dispatchEvent(new CustomEvent("notifications:changed", { bubbles: true }));
        break;
    }
    document.body.dispatchEvent(new CustomEvent("live:message", { detail: message }));
  }

  // ---- The socket -------------------------------------------------------------
  var subscribed = "";

  function subscribe(always) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    var ids = new Set();
    liveFragments().forEach(function (el) {
      var machines = machinesOf(el);
      if (machines !== "*") machines.forEach(function (m) { if (m > 0) ids.add(m); });
    });
    var list = Array.from(ids).sort(function (a, b) { return a - b; }).slice(0, 20);
    var key = list.join(" ");
    if (!always && key === subscribed) return;
    subscribed = key;
    socket.send(JSON.stringify({ subscribe: list }));
  }

  function startPing() {
    clearInterval(timers.ping);
    timers.ping = setInterval(function () {
      if (!socket || socket.readyState !== WebSocket.OPEN) return;
      socket.send(JSON.stringify({ ping: Date.now() }));
      clearTimeout(timers.pong);
      var silent = socket;
      timers.pong = setTimeout(function () { silent.close(); }, PONG_WITHIN_MS);
    }, PING_EVERY_MS);
  }

  function connect() {
    if (stopped || socket) return;
    clearTimeout(timers.retry);
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws;
    try {
      ws = new WebSocket(scheme + location.host + SOCKET_PATH);
    } catch (error) {
      retryLater();
      return;
    }
    socket = ws;
    ws.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (message && typeof message.type === "string") handle(message);
    };
    ws.onclose = function (event) {
      if (socket === ws) socket = null;
      clearInterval(timers.ping);
      clearTimeout(timers.pong);
      if (FINAL_CLOSE_CODES.indexOf(event.code) !== -1) { stopped = true; show("off"); return; }
      retryLater();
    };
  }

  // Exponential backoff with jitter, so a restarted server is not hit by every page at once.
  function retryLater() {
    if (stopped) return;
    tries += 1;
    var ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * Math.pow(2, tries - 1));
    show(tries >= OFFLINE_AFTER_TRIES || navigator.onLine === false ? "offline" : "reconnecting");
    clearTimeout(timers.retry);
    timers.retry = setTimeout(connect, ceiling / 2 + Math.random() * ceiling / 2);
  }

  function reconnectNow() {
    if (stopped || socket) return;
    tries = 0;
    connect();
  }

  function start() {
    if (!("WebSocket" in window) || !window.fetch) { show("off"); return; }
    learnVersions(document);
    window.addEventListener("online", reconnectNow);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") reconnectNow();
    });
    // Back from the back/forward cache: the page is as old as when it was left.
    window.addEventListener("pageshow", function (event) { if (event.persisted) { everLive = true; reconnectNow(); } });
    window.addEventListener("pagehide", function () { if (socket) socket.close(); });
    connect();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
