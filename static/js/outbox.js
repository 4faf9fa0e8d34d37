// The outbox: visits saved on this phone (IndexedDB) until the server has them.
// Each visit carries its own id, so sending twice never stores it twice; each is answered on its
// own (created, exists or rejected). Photos follow their visit, one request each.
(function () {
  "use strict";
  var DB = "patroli";
  var STORE = "outbox";
  var BATCH = 10;
  var body = document.body;
  var user = body ? body.dataset.user || "" : "";
  var textNode = document.getElementById("outbox-text");
  var T = textNode ? JSON.parse(textNode.textContent) : {};
  var listeners = [];
  var sending = null;

  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () {
        var store = req.result.createObjectStore(STORE, { keyPath: "id" });
        store.createIndex("user", "user");
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var result;
        t.oncomplete = function () { db.close(); resolve(result); };
        t.onerror = function () { db.close(); reject(t.error); };
        result = work(t.objectStore(STORE));
      });
    });
  }

  function request(store, fn) {
    var holder = {};
    var req = fn(store);
    req.onsuccess = function () { holder.value = req.result; };
    return holder;
  }

  function all() {
    var holder;
    return tx("readonly", function (store) {
      holder = request(store, function (s) { return s.index("user").getAll(user); });
    }).then(function () {
      return (holder.value || []).sort(function (a, b) { return a.savedAt < b.savedAt ? 1 : -1; });
    });
  }

  function get(id) {
    var holder;
    return tx("readonly", function (store) {
      holder = request(store, function (s) { return s.get(id); });
    }).then(function () { return holder.value && holder.value.user === user ? holder.value : null; });
  }

  function put(record) {
    record.user = user;
    return tx("readwrite", function (store) { store.put(record); }).then(changed);
  }

  function remove(id) {
    return tx("readwrite", function (store) { store.delete(id); }).then(changed);
  }

  function changed() {
    listeners.forEach(function (fn) { fn(); });
  }

  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function SendError(kind, detail) {
    this.kind = kind; // "network" | "login" | "server"
    this.detail = detail || "";
  }

  function call(method, url, payload, isForm) {
    var headers = { "X-CSRFToken": csrf(), Accept: "application/json" };
    if (!isForm) headers["Content-Type"] = "application/json";
    return fetch(url, {
      method: method, credentials: "same-origin", headers: headers,
      body: isForm ? payload : JSON.stringify(payload)
    }).then(function (r) {
      if (r.status === 401 || r.status === 403) throw new SendError("login");
      return r.json().catch(function () { return {}; }).then(function (data) {
        return { status: r.status, data: data };
      });
    }, function () { throw new SendError("network"); });
  }

  // Send every visit waiting, then every photo waiting; safe to call at any time.
  function send() {
    if (sending) return sending;
    sending = all().then(function (records) {
      var waiting = records.filter(function (r) { return r.status === "pending"; });
      var batches = [];
      for (var i = 0; i < waiting.length; i += BATCH) batches.push(waiting.slice(i, i + BATCH));
      return batches.reduce(function (chain, batch) {
        return chain.then(function () { return sendBatch(batch); });
      }, Promise.resolve()).then(function () { return all(); });
    }).then(function (records) {
      var withPhotos = records.filter(function (r) { return r.status === "photos"; });
      return withPhotos.reduce(function (chain, record) {
        return chain.then(function () { return sendPhotos(record); });
      }, Promise.resolve());
    }).then(function () {
      return { ok: true };
    }, function (error) {
      return { ok: false, kind: error instanceof SendError ? error.kind : "server" };
    }).then(function (result) {
      sending = null;
      setState(result.ok ? "" : result.kind);
      changed();
      return result;
    });
    return sending;
  }

  function sendBatch(batch) {
    var body = { sent_at: new Date().toISOString(), visits: batch.map(function (r) { return r.visit; }) };
    return call("POST", "/api/v1/sync", body).then(function (answer) {
      if (answer.status !== 200 || !answer.data.results) throw new SendError("server");
      var updates = answer.data.results.map(function (result, i) {
        var record = batch[i];
        if (result.status === "rejected") {
          record.status = "rejected";
          record.errors = result.errors || [];
        } else {
          record.errors = [];
          record.sentAt = new Date().toISOString();
          record.url = "/app/kunjungan/" + record.id + "/";
          record.status = unsentPhotos(record).length ? "photos" : "sent";
        }
        return put(record);
      });
      return Promise.all(updates);
    });
  }

  function unsentPhotos(record) {
    return (record.photos || []).filter(function (p) { return !p.sent && !p.error; });
  }

  function sendPhotos(record) {
    return unsentPhotos(record).reduce(function (chain, photo) {
      return chain.then(function () {
        var form = new FormData();
        form.append("image", photo.blob, photo.name || "foto.jpg");
        var url = "/api/v1/visits/" + record.id + "/photos/" + photo.id;
        return call("PUT", url, form, true).then(function (answer) {
          if (answer.status === 200 || answer.status === 201) {
            photo.sent = true;
            photo.blob = null; // the server has it; free the phone's storage
          } else if (answer.status === 404 || answer.status === 409 || answer.status === 422) {
            photo.error = describe(answer.data) || String(answer.status);
          } else {
            throw new SendError("server");
          }
          record.status = unsentPhotos(record).length ? "photos" : "sent";
          return put(record);
        });
      });
    }, Promise.resolve());
  }

  function describe(data) {
    if (!data) return "";
    if (Array.isArray(data.detail)) return data.detail.map(function (e) { return e.msg; }).join("; ");
    return data.detail || data.message || "";
  }

  // -- what the officer sees ------------------------------------------------------------------

  var state = "";
  function setState(value) { state = value; }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function when(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleString(document.documentElement.lang || "id", {
      day: "numeric", month: "short", hour: "2-digit", minute: "2-digit"
    });
  }

  function errorText(e) {
    var where = (e.loc || []).filter(function (p) { return p !== "body" && p !== "payload"; }).join(".");
    return (where ? where + ": " : "") + e.msg;
  }

  function renderList(box) {
    return all().then(function (records) {
      box.textContent = "";
      var counts = { pending: 0, photos: 0, sent: 0, rejected: 0 };
      records.forEach(function (r) { counts[r.status] = (counts[r.status] || 0) + 1; });
      var summary = el("p", "outbox-summary");
      summary.textContent = T.summary
        .replace("%(pending)s", counts.pending + counts.photos)
        .replace("%(sent)s", counts.sent)
        .replace("%(rejected)s", counts.rejected);
      box.appendChild(summary);
      var shown = online() ? state : "network";
      if (shown) box.appendChild(el("p", "warn outbox-state", T["state_" + shown] || T.state_server));
      if (!records.length) box.appendChild(el("p", "muted", T.empty));
      var list = el("ul", "list outbox-list");
      records.forEach(function (r) {
        var item = el("li", "row outbox-item status-" + r.status);
        item.dataset.id = r.id;
        var main = el("div");
        main.appendChild(el("strong", "", r.title || r.visit.site));
        main.appendChild(el("div", "small muted", when(r.visit.started_at) + " · " + T.saved + " " + when(r.savedAt)));
        var photos = r.photos || [];
        if (photos.length) {
          var sent = photos.filter(function (p) { return p.sent; }).length;
          main.appendChild(el("div", "small", T.photos.replace("%(sent)s", sent).replace("%(total)s", photos.length)));
          photos.filter(function (p) { return p.error; }).forEach(function (p) {
            main.appendChild(el("div", "small error", p.name + ": " + p.error));
          });
        }
        (r.errors || []).forEach(function (e) { main.appendChild(el("div", "small error", errorText(e))); });
        item.appendChild(main);
        var side = el("div", "outbox-actions");
        side.appendChild(el("span", "badge outbox-status", T["status_" + r.status] || r.status));
        if (r.url && (r.status === "sent" || r.status === "photos")) {
          var open = el("a", "button", T.open);
          open.href = r.url;
          side.appendChild(open);
        }
        if (r.status === "rejected" || r.status === "pending") {
          var fix = el("a", "button", r.status === "rejected" ? T.fix : T.edit);
          fix.href = "/app/kunjungan/baru/?outbox=" + encodeURIComponent(r.id);
          side.appendChild(fix);
        }
        if (r.status === "rejected" || r.status === "sent") {
          var drop = el("button", "button linklike", r.status === "sent" ? T.clear : T.discard);
          drop.type = "button";
          drop.addEventListener("click", function () {
            if (r.status === "sent" || window.confirm(T.confirm_discard)) remove(r.id);
          });
          side.appendChild(drop);
        }
        item.appendChild(side);
        list.appendChild(item);
      });
      box.appendChild(list);
      return counts;
    });
  }

  function badge() {
    var link = document.getElementById("outbox-link");
    if (!link) return;
    all().then(function (records) {
      var n = records.filter(function (r) { return r.status !== "sent"; }).length;
      var count = link.querySelector(".count");
      count.textContent = n ? String(n) : "";
      link.hidden = !n && !document.getElementById("outbox");
    }).catch(function () {});
  }

  function online() { return navigator.onLine !== false; }

  function start() {
    if (!window.indexedDB || !user) return;
    var box = document.getElementById("outbox");
    var button = document.getElementById("outbox-send");
    listeners.push(badge);
    if (box) listeners.push(function () { renderList(box); });
    if (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        button.disabled = true;
        send().then(function () { button.disabled = false; });
      });
    }
    changed();
    if (online()) send();
    window.addEventListener("online", function () { send(); });
    window.addEventListener("offline", changed);
    setInterval(function () { if (online()) send(); }, 60000);
  }

  window.PatroliOutbox = {
    put: put, get: get, all: all, remove: remove, send: send, online: online, user: user, text: T
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  // The service worker keeps the app for use without signal.
  if ("serviceWorker" in navigator && user && body.dataset.sw) {
    navigator.serviceWorker.register(body.dataset.sw, { scope: "/app/" }).catch(function () {});
  }
  // Logging out forgets the kept pages (the outbox stays until it is sent).
  document.querySelectorAll("form[data-logout]").forEach(function (form) {
    form.addEventListener("submit", function () {
      if (navigator.serviceWorker && navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage("forget");
      }
    });
  });
})();
