// compare.html: the releases named in the address (#ids=slug1,slug2) side by side, built with
// DOM nodes and textContent only (no markup from the data), rows that differ marked in words.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("data").textContent);
  var view = document.getElementById("view"), empty = document.getElementById("empty");
  var only = document.getElementById("only"), onlyWrap = document.getElementById("only-wrap");
  var STATE = { "O": "present, open", "P": "present, not open", "r": "referenced, open", "R": "referenced, not open", "-": "missing" };

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function chosen() {
    var m = /(?:^#|&)ids=([^&]*)/.exec(location.hash), out = [];
    if (!m) { return out; }
    m[1].split(",").forEach(function (s) {
      try { s = decodeURIComponent(s); } catch (e) { return; }  // a malformed escape: that part is skipped
      if (Object.prototype.hasOwnProperty.call(data.releases, s) && out.indexOf(s) < 0 && out.length < 4) { out.push(s); }
    });
    return out;
  }

  function group(table, name, span) {
    var tb = el("tbody", { "class": "group" }), tr = el("tr");
    tr.appendChild(el("th", { scope: "colgroup", colspan: String(span) }, name));
    tb.appendChild(tr);
    table.appendChild(tb);
    return tb;
  }

  // One aligned row: cells are [text, className]; the row is marked when the texts differ.
  function row(tb, name, cells) {
    var tr = el("tr"), th = el("th", { scope: "row" }, name);
    var differs = cells.some(function (c) { return c[0] !== cells[0][0]; });
    if (differs) { tr.className = "diff"; th.appendChild(el("span", { "class": "mark" }, "differs")); }
    tr.appendChild(th);
    cells.forEach(function (c) { tr.appendChild(el("td", c[1] ? { "class": c[1] } : {}, c[0])); });
    tb.appendChild(tr);
    return differs ? 1 : 0;
  }

  function render() {
    var ids = chosen();
    view.textContent = "";
    if (ids.length < 2) { empty.hidden = false; onlyWrap.hidden = true; document.title = "Compare releases"; return; }
    empty.hidden = true;
    onlyWrap.hidden = false;
    var rel = ids.map(function (s) { return data.releases[s]; });
    var wrap = el("div", { "class": "table-wrap" }), table = el("table", { id: "compare-table", "class": only.checked ? "only" : "" });
    var cap = el("caption");
    table.appendChild(cap);
    var thead = el("thead"), hr = el("tr");
    hr.appendChild(el("th", { scope: "col" }, "Release"));
    ids.forEach(function (s, i) {
      var th = el("th", { scope: "col" }), a = el("a", { href: "releases/" + s + ".html" }, rel[i].id);
      th.appendChild(a);
      hr.appendChild(th);
    });
    thead.appendChild(hr);
    table.appendChild(thead);
    var span = ids.length + 1, diffs = 0;
    var tb = group(table, "Verdicts", span);
    data.columns.forEach(function (name, k) {
      diffs += row(tb, name, rel.map(function (r) { return [r.e && k === 0 ? "error: " + r.e : r.v[k], ""]; }));
    });
    if (data.components.length) {
      tb = group(table, "Components (Model Openness Framework)", span);
      data.components.forEach(function (c, k) {
        diffs += row(tb, c[1], rel.map(function (r) {
          if (!r.c) { return ["-", ""]; }
          var code = r.c.charAt(k), lic = data.licences[r.l[k]];
          return [STATE[code] + (code !== "-" && lic !== "-" ? " (" + lic + ")" : ""), code === "-" ? "missing" : code];
        }));
      });
    }
    // Licence terms aligned by name: each release's main licence (its final weights' licence,
    // else the first licence found), then every other licence it carries.
    tb = group(table, "Licence terms (of the final weights' licence)", span);
    var main = rel.map(function (r) { return (r.t || [])[0]; }), names = [];
    main.forEach(function (l) { ((l && data.terms[l]) || []).forEach(function (kv) { if (names.indexOf(kv[0]) < 0) { names.push(kv[0]); } }); });
    diffs += row(tb, "Licence", main.map(function (l) { return [l || "-", ""]; }));
    names.forEach(function (name) {
      diffs += row(tb, name, main.map(function (l) {
        var kv = ((l && data.terms[l]) || []).filter(function (x) { return x[0] === name; })[0];
        return [kv ? kv[1] : "-", ""];
      }));
    });
    diffs += row(tb, "Other licences in the release", rel.map(function (r) { return [(r.t || []).slice(1).join(", ") || "-", ""]; }));
    cap.textContent = ids.length + " releases side by side; " + diffs + " rows differ";
    wrap.appendChild(table);
    view.appendChild(wrap);
    document.title = "Compare: " + rel.map(function (r) { return r.id; }).join(", ");
  }

  only.addEventListener("change", function () {
    var t = document.getElementById("compare-table");
    if (t) { t.classList.toggle("only", only.checked); }
  });
  window.addEventListener("hashchange", render);
  render();
}());
