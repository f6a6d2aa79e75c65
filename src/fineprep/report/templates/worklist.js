(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var holder = $("worklist-data"), tools = $("worklist-tools");
  if (!holder || !tools) return;
  var data = JSON.parse(holder.textContent);
  var groups = data.groups, strings = data.strings;
  var rows = data.rows.map(function (r) {
    return [r[0]].concat(r.slice(1).map(function (k) { return strings[k]; }));
  });
  var COLUMNS = ["source file", "source row or page", "data file", "record line", "label",
    "code", "severity", "message", "how to fix", "other records involved"];
  var search = $("wl-search"), code = $("wl-code"), sev = $("wl-severity"),
    file = $("wl-file"), label = $("wl-label"), sort = $("wl-sort");
  var texts = rows.map(function (r) { return r.slice(1).join("\u0001").toLowerCase(); });
  var trs = Array.prototype.slice.call(document.querySelectorAll("tr[data-i]"));
  var sections = Array.prototype.slice.call(document.querySelectorAll("section.file-group"));

  function match(i) {
    var r = rows[i];
    if (!r) return true;
    var q = search.value.trim().toLowerCase();
    return (!code.value || r[6] === code.value) && (!sev.value || r[7] === sev.value) &&
      (!file.value || groups[r[0]] === file.value) && (!label.value || r[5] === label.value) &&
      (!q || texts[i].indexOf(q) >= 0);
  }
  function key(i) {
    var r = rows[i] || [];
    switch (sort.value) {
      case "severity": return [data.severity[r[7]], i];
      case "code": return [r[6], i];
      case "source": return [r[1] + "\u0001" + pad(r[2]), i];
      case "label": return [r[5], i];
      default: return [i];
    }
  }
  function pad(s) { return String(s).replace(/\d+/g, function (d) { return ("0000000000" + d).slice(-10); }); }
  function cmp(a, b) {
    var x = key(a), y = key(b);
    for (var k = 0; k < x.length; k++) {
      if (x[k] < y[k]) return -1;
      if (x[k] > y[k]) return 1;
    }
    return 0;
  }
  function selected() {
    var out = [];
    for (var i = 0; i < rows.length; i++) if (match(i)) out.push(i);
    return out.sort(cmp);
  }
  function update() {
    var visible = 0;
    trs.forEach(function (tr) {
      var show = match(+tr.getAttribute("data-i"));
      tr.hidden = !show;
      if (show) visible++;
    });
    document.querySelectorAll("table.findings tbody").forEach(function (body) {
      var list = Array.prototype.slice.call(body.children);
      list.sort(function (a, b) { return cmp(+a.getAttribute("data-i"), +b.getAttribute("data-i")); });
      list.forEach(function (tr) { body.appendChild(tr); });
    });
    sections.forEach(function (s) {
      s.hidden = !s.querySelector("tr[data-i]:not([hidden])");
    });
    var n = selected().length;
    $("wl-count").textContent = visible + (visible === 1 ? " row" : " rows") + " shown; " + n +
      " of " + rows.length + " match and go into the CSV download.";
  }
  function cell(v) {
    v = v === null || v === undefined ? "" : String(v);
    if (/^[=+\-@\t\r]/.test(v)) v = "'" + v;
    if (/[",\r\n]/.test(v)) v = '"' + v.replace(/"/g, '""') + '"';
    return v;
  }
  function csv() {
    var lines = [COLUMNS.map(cell).join(",")];
    selected().forEach(function (i) {
      var r = rows[i];
      var cells = r.slice(1, 9).concat([data.fixes[r[6]] || "", r[9]]);
      lines.push(cells.map(cell).join(","));
    });
    return lines.join("\r\n") + "\r\n";
  }
  $("wl-download").addEventListener("click", function () {
    var url = URL.createObjectURL(new Blob([csv()], { type: "text/csv;charset=utf-8" }));
    var a = document.createElement("a");
    a.href = url;
    a.download = "fineprep-worklist.csv";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  });
  [search, code, sev, file, label, sort].forEach(function (el) {
    el.addEventListener(el === search ? "input" : "change", update);
  });
  tools.hidden = false;
  update();
})();
