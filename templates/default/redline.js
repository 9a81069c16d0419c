/* clausetrack: reviewing a redline. The page reads fully without this script; it only
   adds the controls (hidden until now), the views, the party filter and the keyboard.
   Shortcuts are declared in the HTML (data-shortcut, data-action) and wired generically. */
(function () {
  "use strict";
  var doc = document;
  var body = doc.body;
  var REDLINES = ".redline, .step-redline";
  var MARKS = ".redline ins, .redline del, .step-redline ins, .step-redline del, .sbs ins, .sbs del";
  var current = null;
  var currentItem = -1;

  function all(selector, root) {
    return Array.prototype.slice.call((root || doc).querySelectorAll(selector));
  }
  function shown(el) {
    return el.offsetParent !== null && !el.classList.contains("filtered-out");
  }

  function focusOn(el) {
    if (!el.hasAttribute("tabindex")) { el.setAttribute("tabindex", "-1"); }
    all(".current-change").forEach(function (x) { x.classList.remove("current-change"); });
    el.classList.add("current-change");
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "center" });
  }

  /* The next (delta 1) or previous (-1) shown element of `list` after `from`. */
  function stepFrom(list, from, delta) {
    var shownList = list.filter(shown);
    if (!shownList.length) { return null; }
    var i = from ? shownList.indexOf(from) : -1;
    if (i < 0) {
      if (!from) { return delta > 0 ? shownList[0] : shownList[shownList.length - 1]; }
      // `from` is hidden now: continue from its place in document order.
      var after = shownList.filter(function (el) {
        return from.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING;
      });
      if (delta > 0) { return after[0] || null; }
      var before = shownList.filter(function (el) { return after.indexOf(el) < 0; });
      return before[before.length - 1] || null;
    }
    return shownList[i + delta] || null;
  }

  function moveChange(delta) {
    var next = stepFrom(all(MARKS), current, delta);
    if (next) { current = next; focusOn(next); }
  }

  function moveItem(delta) {
    var items = all("[data-nav-item]");
    if (!items.length) {
      var link = doc.querySelector(delta > 0 ? "a[rel=next]" : "a[rel=prev]");
      if (link) { window.location.href = link.href; }
      return;
    }
    var next = stepFrom(items, items[currentItem] || null, delta);
    if (next) { currentItem = items.indexOf(next); focusOn(next); }
  }

  /* Side by side: each redline gets, once, an old column (no insertions) and a new one
     (no deletions), built from a copy of it. */
  function buildSideBySide() {
    all(REDLINES).forEach(function (red) {
      if (red.nextElementSibling && red.nextElementSibling.classList.contains("sbs")) { return; }
      var pair = doc.createElement("div");
      pair.className = "sbs";
      [["old", "del", "ins", "Old text"], ["new", "ins", "del", "New text"]].forEach(function (spec) {
        var col = red.cloneNode(true);
        col.className = "sbs-" + spec[0];
        col.removeAttribute("data-clause");
        col.setAttribute("aria-label", spec[3]);
        col.setAttribute("role", "group");
        all(spec[2], col).forEach(function (x) { x.remove(); });
        all("[id]", col).forEach(function (x) { x.removeAttribute("id"); });
        pair.appendChild(col);
      });
      red.parentNode.insertBefore(pair, red.nextSibling);
    });
  }

  function setView(view) {
    if (view === "side") { buildSideBySide(); }
    body.setAttribute("data-view", view);
    applyFilter();
  }

  function partyName(id) {
    var label = doc.querySelector('.party-filter label[data-party="' + (window.CSS && CSS.escape ? CSS.escape(id) : id) + '"]');
    return label ? label.textContent.trim() : id;
  }

  function applyFilter() {
    var picked = doc.querySelector(".party-filter input:checked");
    var party = picked ? picked.value : "";
    body.setAttribute("data-party-filter", party);
    all(MARKS + ", .change-item, .change-row").forEach(function (el) {
      el.classList.toggle("filtered-out", party !== "" && el.getAttribute("data-party") !== party);
    });
    var status = doc.querySelector(".filter-status");
    if (status) {
      var n = all(".change-item").filter(function (el) { return !el.classList.contains("filtered-out"); }).length;
      status.textContent = party ? "Showing the " + n + (n === 1 ? " change" : " changes") + " made by " + partyName(party) + "; the others appear as accepted." : "";
    }
  }

  function toggleHelp() {
    var help = doc.getElementById("shortcuts");
    if (!help) { return; }
    help.hidden = !help.hidden;
    all("[aria-controls=shortcuts]").forEach(function (b) { b.setAttribute("aria-expanded", String(!help.hidden)); });
  }

  var actions = {
    "next-change": function () { moveChange(1); },
    "prev-change": function () { moveChange(-1); },
    "next-clause": function () { moveItem(1); },
    "prev-clause": function () { moveItem(-1); },
    "help": toggleHelp
  };

  var keys = {};
  all("[data-shortcut]").forEach(function (el) {
    keys[el.getAttribute("data-shortcut")] = el.getAttribute("data-action");
  });

  doc.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var t = ev.target;
    if (t && (t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable ||
        (t.tagName === "INPUT" && t.type !== "radio" && t.type !== "checkbox"))) { return; }
    var action = keys[ev.key];
    if (action && actions[action]) { ev.preventDefault(); actions[action](); }
  });

  all("button[data-action]").forEach(function (b) {
    b.addEventListener("click", function () {
      var action = actions[b.getAttribute("data-action")];
      if (action) { action(); }
    });
  });
  all(".view-toggle input").forEach(function (input) {
    input.addEventListener("change", function () { if (input.checked) { setView(input.value); } });
  });
  all(".party-filter input").forEach(function (input) {
    input.addEventListener("change", applyFilter);
  });

  var controls = doc.getElementById("review-controls");
  if (controls) { controls.hidden = false; }
  doc.documentElement.classList.add("js");
  var checked = doc.querySelector(".view-toggle input:checked");
  setView(checked ? checked.value : "inline");
})();
