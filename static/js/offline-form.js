// The visit form, offline first: saving puts the visit in the phone's outbox, then sends it.
// With signal the officer lands on the stored visit; without, on the outbox, and can go on.
// Without JavaScript or IndexedDB the form posts to the server as before.
(function () {
  "use strict";
  var form = document.getElementById("visit-form");
  var box = window.PatroliOutbox;
  if (!form || !box || !window.indexedDB || !box.user) return;
  var T = box.text;
  var offset = form.dataset.utcOffset || "+08:00";
  var params = new URLSearchParams(location.search);
  var editing = params.get("outbox");
  var MAX_SIDE = 1600;

  // A time-ordered id (UUID version 7, as patroli/core/ids.py makes): the milliseconds of its
  // making first, so that the day's records land side by side in the server's indexes.
  function uuid() {
    var b = crypto.getRandomValues(new Uint8Array(16));
    var ms = Date.now();
    for (var i = 5; i >= 0; i--) {
      b[i] = ms % 256;
      ms = Math.floor(ms / 256);
    }
    b[6] = (b[6] & 0x0f) | 0x70;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // "2024-01-23T10:00" on the form is the unit's local time (the server's zone).
  function toIso(value) {
    if (!value) return null;
    return (value.length === 16 ? value + ":00" : value) + offset;
  }

  function localNow() {
    var sign = offset[0] === "-" ? -1 : 1;
    var minutes = sign * (parseInt(offset.slice(1, 3), 10) * 60 + parseInt(offset.slice(4, 6), 10));
    return new Date(Date.now() + minutes * 60000).toISOString().slice(0, 16);
  }

  function field(name) { return form.elements.namedItem(name); }
  function value(name) { var f = field(name); return f ? String(f.value || "").trim() : ""; }
  function number(name) { var v = value(name); return v === "" ? null : Number(v); }

  function rows(holderId, prefix, keys) {
    var out = [];
    document.querySelectorAll("#" + holderId + " [data-form]").forEach(function (row, i) {
      var item = {};
      keys.forEach(function (k) {
        var input = row.querySelector("[name$='-" + k + "']");
        item[k] = input ? String(input.value || "").trim() : "";
      });
      item._index = i;
      out.push(item);
    });
    return out;
  }

  function buildVisit(id) {
    var participants = rows("participants", "p", ["name", "role", "organisation"])
      .filter(function (p) { return p.name; })
      .map(function (p) { return { name: p.name, role: p.role, organisation: p.organisation }; });
    var concerns = rows("concerns", "c", ["category", "description"])
      .filter(function (c) { return c.category; })
      .map(function (c) { return { category: c.category, description: c.description }; });
    var incidents = rows("incidents", "i", ["kind", "severity", "description"])
      .filter(function (i) { return i.kind; })
      .map(function (i) { return { kind: i.kind, severity: i.severity, description: i.description }; });
    var appeals = Array.prototype.filter.call(form.querySelectorAll("input[name=appeals]"), function (c) {
      return c.checked;
    }).map(function (c) { return c.value; });
    var response = form.querySelector("input[name=response]:checked");
    var topics = value("topics").split("\n").map(function (t) { return t.trim(); }).filter(Boolean);
    return {
      id: id,
      site: parseInt(value("site"), 10) || null,
      kind: value("kind") || undefined,
      started_at: toIso(value("started_at")),
      ended_at: toIso(value("ended_at")),
      lat: number("lat"),
      lon: number("lon"),
      recorded_at: new Date().toISOString(),
      dialogue: {
        participants: participants,
        attendees: parseInt(value("attendees"), 10) || 0,
        topics: topics,
        appeals: appeals,
        response: response ? response.value : "",
        notes: value("notes"),
        statement: value("statement")
      },
      concerns: concerns,
      incidents: incidents
    };
  }

  // The form's own values, to open a saved visit again for fixing.
  function snapshot() {
    var pairs = [];
    new FormData(form).forEach(function (v, k) {
      if (typeof v === "string" && k !== "csrfmiddlewaretoken") pairs.push([k, v]);
    });
    return pairs;
  }

  function restore(pairs) {
    var totals = {};
    pairs.forEach(function (p) { if (/-TOTAL_FORMS$/.test(p[0])) totals[p[0]] = parseInt(p[1], 10); });
    document.querySelectorAll("[data-add]").forEach(function (button) {
      var total = field(button.dataset.prefix + "-TOTAL_FORMS");
      var want = totals[button.dataset.prefix + "-TOTAL_FORMS"] || 0;
      while (total && parseInt(total.value, 10) < want) button.click();
    });
    form.querySelectorAll("input[type=checkbox], input[type=radio]").forEach(function (c) { c.checked = false; });
    pairs.forEach(function (p) {
      var els = form.querySelectorAll("[name='" + p[0].replace(/'/g, "") + "']");
      els.forEach(function (el) {
        if (el.type === "checkbox" || el.type === "radio") {
          if (el.value === p[1]) el.checked = true;
        } else if (el.type !== "file") {
          el.value = p[1];
        }
      });
    });
  }

  // -- photos: made smaller on the phone, for slow links --------------------------------------

  function shrink(file) {
    if (!window.createImageBitmap || !/^image\/(jpeg|png|webp)$/.test(file.type)) {
      return Promise.resolve(file);
    }
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.size < 700000) return file;
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob || file); }, "image/jpeg", 0.82);
      });
    }).catch(function () { return file; });
  }

  function photos(kept) {
    var input = form.querySelector("input[type=file][name=photos]");
    var files = input ? Array.prototype.slice.call(input.files || []) : [];
    return Promise.all(files.map(function (file) {
      return shrink(file).then(function (blob) {
        return { id: uuid(), name: file.name.replace(/\.[^.]*$/, "") + ".jpg", blob: blob, sent: false, error: "" };
      });
    })).then(function (added) { return (kept || []).concat(added); });
  }

  // -- errors from the server, next to their fields -------------------------------------------

  function fieldId(loc) {
    var parts = loc.filter(function (p) { return p !== "body" && p !== "payload"; });
    if (parts[0] === "dialogue" && parts[1] === "participants" && parts.length > 3) {
      return "id_p-" + parts[2] + "-" + parts[3];
    }
    if (parts[0] === "concerns" && parts.length > 2) return "id_c-" + parts[1] + "-" + parts[2];
    if (parts[0] === "incidents" && parts.length > 2) return "id_i-" + parts[1] + "-" + parts[2];
    if (parts[0] === "dialogue" && parts[1]) return "id_" + parts[1];
    return "id_" + parts[0];
  }

  function showErrors(errors) {
    form.querySelectorAll("[data-outbox-error]").forEach(function (n) { n.remove(); });
    var summary = document.getElementById("outbox-errors");
    summary.textContent = "";
    if (!errors || !errors.length) { summary.hidden = true; return; }
    summary.hidden = false;
    summary.appendChild(document.createTextNode(T.rejected_here));
    var list = document.createElement("ul");
    errors.forEach(function (e) {
      var id = fieldId(e.loc || []);
      var target = document.getElementById(id) || document.querySelector("[id^='" + id + "']");
      var holder = target && (target.closest(".field") || target.parentNode);
      var label = holder && holder.querySelector("label, .label");
      var item = document.createElement("li");
      item.textContent = (label ? label.textContent.trim() + ": " : "") + e.msg;
      list.appendChild(item);
      if (holder) {
        var p = document.createElement("p");
        p.className = "error";
        p.dataset.outboxError = "1";
        p.textContent = e.msg;
        holder.appendChild(p);
      }
    });
    summary.appendChild(list);
    summary.scrollIntoView({ block: "center" });
  }

  // -- saving ---------------------------------------------------------------------------------

  var record = null;
  var submit = form.querySelector("button[type=submit]");

  function save(event) {
    event.preventDefault();
    if (!form.reportValidity()) return;
    submit.disabled = true;
    var id = record ? record.id : value("client_id");
    photos(record ? record.photos : []).then(function (list) {
      var site = field("site");
      record = {
        id: id,
        title: site && site.selectedIndex >= 0 ? site.options[site.selectedIndex].text : "",
        visit: buildVisit(id),
        form: snapshot(),
        photos: list,
        status: "pending",
        errors: [],
        savedAt: new Date().toISOString(),
        sentAt: null,
        url: null
      };
      return box.put(record);
    }).then(function () {
      if (!box.online()) return null;
      return box.send().then(function () { return box.get(id); });
    }).then(function (stored) {
      submit.disabled = false;
      if (stored && (stored.status === "sent" || stored.status === "photos")) {
        location.assign(stored.url);
      } else if (stored && stored.status === "rejected") {
        record = stored;
        showErrors(stored.errors);
      } else {
        location.assign(form.dataset.outbox + "?saved=" + encodeURIComponent(id));
      }
    }).catch(function () {
      submit.disabled = false;
      location.assign(form.dataset.outbox);
    });
  }

  form.addEventListener("submit", save);

  if (editing) {
    box.get(editing).then(function (stored) {
      if (!stored) return;
      record = stored;
      restore(stored.form || []);
      field("client_id").value = stored.id;
      var note = document.getElementById("outbox-editing");
      if (note) note.hidden = false;
      showErrors(stored.errors);
    });
  } else {
    // A form kept for use without signal must not reuse the id or the time it was fetched with.
    field("client_id").value = uuid();
    var start = field("started_at");
    var age = Date.now() - parseInt(form.dataset.renderedAt || "0", 10);
    if (start && (!start.value || age > 10 * 60000)) start.value = localNow();
    var site = params.get("site");
    if (site && field("site")) field("site").value = site;
  }
})();
