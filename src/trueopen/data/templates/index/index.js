// The index table: sort by any column (header buttons, aria-sort), filter by text, label, licence
// and safety, pick 2 to 4 rows to compare. Sort keys are precomputed in each row's data-k. Only a
// window of PAGE rows is laid out ("Show more" adds rows): a sort or a filter sorts an array of
// indexes, hides the rows leaving the window and appends the window's rows, in order, in one
// DocumentFragment. Re-appending all 10,000 rows costs seconds of style and layout in Chromium;
// this costs tens of milliseconds (benchmarks/index_site.py, figures in benchmarks/RESULTS.md).
(function () {
  "use strict";
  var PAGE = 200;
  var table = document.getElementById("releases");
  if (!table) { return; }
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows);
  var n = rows.length;
  var keys = new Array(n), label = new Array(n), licence = new Array(n), safety = new Array(n), text = null;
  var order = new Array(n), match = new Array(n), visible = [], limit = PAGE;
  for (var i = 0; i < n; i++) {
    var r = rows[i];
    keys[i] = JSON.parse(r.getAttribute("data-k"));
    label[i] = r.getAttribute("data-label");
    licence[i] = r.getAttribute("data-licence");
    safety[i] = r.getAttribute("data-safety");
    order[i] = i;
    match[i] = true;
    if (i < PAGE) { visible.push(i); } else { r.hidden = true; }
  }
  document.documentElement.classList.add("ready");
  var heads = Array.prototype.slice.call(table.tHead.rows[0].querySelectorAll("th[data-col]"));
  var status = document.getElementById("status"), more = document.getElementById("more"), all = document.getElementById("all");
  var current = { col: 0, dir: 1 };

  // Show the first `limit` matching rows in `order`; hide the others that were shown.
  function show() {
    var next = [], total = 0, on = new Uint8Array(n);
    for (var k = 0; k < n; k++) {
      var i = order[k];
      if (!match[i]) { continue; }
      total++;
      if (next.length < limit) { next.push(i); on[i] = 1; }
    }
    visible.forEach(function (i) { if (!on[i]) { rows[i].hidden = true; } });
    var frag = document.createDocumentFragment();
    next.forEach(function (i) { rows[i].hidden = false; frag.appendChild(rows[i]); });
    tbody.appendChild(frag);
    visible = next;
    status.textContent = (total > next.length ? next.length + " of " + total + " matching releases shown (" + n + " in all)"
                                              : total + " of " + n + " releases shown");
    more.hidden = all.hidden = total <= next.length;
    all.textContent = "Show all " + total;
  }

  function sortBy(col, dir) {
    order.sort(function (a, b) {
      var x = keys[a][col], y = keys[b][col];
      if (x < y) { return -dir; }
      if (x > y) { return dir; }
      return a - b;
    });
    current = { col: col, dir: dir };
    heads.forEach(function (th) {
      var c = Number(th.getAttribute("data-col"));
      th.setAttribute("aria-sort", c === col ? (dir > 0 ? "ascending" : "descending") : "none");
    });
    table.caption.textContent = "Releases and their verdicts, sorted by " + heads[col].textContent.trim() + (dir > 0 ? ", ascending" : ", descending");
    show();
  }

  heads.forEach(function (th) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = th.textContent;
    th.textContent = "";
    th.appendChild(b);
    b.addEventListener("click", function () {
      var col = Number(th.getAttribute("data-col"));
      // order is already sorted by (col, dir) or the other way: a stable sort from the start.
      for (var i = 0; i < n; i++) { order[i] = i; }
      sortBy(col, current.col === col ? -current.dir : 1);
    });
  });

  var fText = document.getElementById("f-text"), fLabel = document.getElementById("f-label"),
      fLicence = document.getElementById("f-licence"), fSafety = document.getElementById("f-safety");

  function applyFilter() {
    var q = fText.value.trim().toLowerCase(), L = fLabel.value, Li = fLicence.value, S = fSafety.value;
    if (q && text === null) { text = rows.map(function (r) { return r.textContent.toLowerCase(); }); }
    for (var i = 0; i < n; i++) {
      match[i] = (!L || label[i] === L) && (!Li || licence[i] === Li) && (!S || safety[i] === S) && (!q || text[i].indexOf(q) >= 0);
    }
    limit = PAGE;
    show();
  }
  [fLabel, fLicence, fSafety].forEach(function (el) { el.addEventListener("change", applyFilter); });
  fText.addEventListener("input", applyFilter);
  document.getElementById("controls").addEventListener("submit", function (e) { e.preventDefault(); });
  more.addEventListener("click", function () { limit += PAGE; show(); });
  // Printing shows every matching row, not only the window; the window comes back after.
  var screenLimit = null;
  window.addEventListener("beforeprint", function () { if (screenLimit === null) { screenLimit = limit; limit = n; show(); } });
  window.addEventListener("afterprint", function () { if (screenLimit !== null) { limit = screenLimit; screenLimit = null; show(); } });
  all.addEventListener("click", function () { limit = n; show(); });

  var link = document.getElementById("compare"), picked = [];
  function updateLink() {
    if (picked.length >= 2 && picked.length <= 4) {
      link.href = "compare.html#ids=" + picked.join(",");
      link.removeAttribute("aria-disabled");
      link.removeAttribute("role");
      link.textContent = "Compare " + picked.length + " releases";
    } else {
      link.removeAttribute("href");
      link.setAttribute("aria-disabled", "true");
      link.setAttribute("role", "link");
      link.textContent = "Compare (choose 2 to 4)";
    }
  }
  tbody.addEventListener("change", function (e) {
    var cb = e.target;
    if (!cb || cb.type !== "checkbox") { return; }
    var at = picked.indexOf(cb.value);
    if (cb.checked && at < 0) {
      if (picked.length >= 4) { cb.checked = false; status.textContent = "At most 4 releases can be compared"; return; }
      picked.push(cb.value);
    } else if (!cb.checked && at >= 0) {
      picked.splice(at, 1);
    }
    updateLink();
  });
  // A page restored from history keeps its ticks: start from them.
  Array.prototype.forEach.call(tbody.querySelectorAll("input[type=checkbox]:checked"), function (cb) {
    if (picked.length < 4) { picked.push(cb.value); } else { cb.checked = false; }
  });
  updateLink();
  if (fText.value || fLabel.value || fLicence.value || fSafety.value) { applyFilter(); } else { show(); }
  window.trueopenIndex = { sortBy: sortBy, applyFilter: applyFilter };
}());
