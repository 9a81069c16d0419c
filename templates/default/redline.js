/* clausetrack: keyboard review of a redline. The page reads fully without it.
   Shortcuts are declared in the HTML (data-shortcut) and wired here generically. */
(function () {
  "use strict";
  var changes = Array.prototype.slice.call(document.querySelectorAll(".redline ins, .redline del"));
  var clauses = Array.prototype.slice.call(document.querySelectorAll("article.clause"));
  var current = -1;
  var currentClause = -1;

  function visible(el) { return el.offsetParent !== null; }

  function focusOn(el) {
    if (!el.hasAttribute("tabindex")) { el.setAttribute("tabindex", "-1"); }
    document.querySelectorAll(".current-change").forEach(function (x) { x.classList.remove("current-change"); });
    el.classList.add("current-change");
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "center" });
  }

  function step(list, index, delta) {
    var n = list.length;
    for (var i = 1; i <= n; i++) {
      var j = index + delta * i;
      if (j < 0 || j >= n) { return index; }
      if (visible(list[j])) { return j; }
    }
    return index;
  }

  var actions = {
    "next-change": function () { current = step(changes, current, 1); if (current >= 0) { focusOn(changes[current]); } },
    "prev-change": function () { current = step(changes, current < 0 ? changes.length : current, -1); if (current >= 0 && current < changes.length) { focusOn(changes[current]); } },
    "next-clause": function () { currentClause = step(clauses, currentClause, 1); if (currentClause >= 0) { focusOn(clauses[currentClause]); } },
    "prev-clause": function () { currentClause = step(clauses, currentClause < 0 ? clauses.length : currentClause, -1); if (currentClause >= 0 && currentClause < clauses.length) { focusOn(clauses[currentClause]); } },
    "help": function () { var h = document.getElementById("shortcuts"); if (h) { h.hidden = !h.hidden; } }
  };

  var keys = {};
  document.querySelectorAll("[data-shortcut]").forEach(function (el) {
    keys[el.getAttribute("data-shortcut")] = el.getAttribute("data-action");
  });

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var t = ev.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) { return; }
    var action = keys[ev.key];
    if (action && actions[action]) { ev.preventDefault(); actions[action](); }
  });
})();
