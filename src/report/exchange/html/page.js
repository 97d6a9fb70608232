"use strict";
(function () {
  function rows(table) { return Array.prototype.slice.call(table.tBodies[0].rows); }
  document.querySelectorAll("table.findings").forEach(function (table) {
    var box = table.parentNode.querySelector("input.filter");
    var sev = table.parentNode.querySelector("select.min-severity");
    var count = table.parentNode.querySelector(".count");
    function apply() {
      var q = box ? box.value.toLowerCase() : "";
      var min = sev ? Number(sev.value) : 0;
      var shown = 0;
      rows(table).forEach(function (r) {
        var ok = r.textContent.toLowerCase().indexOf(q) !== -1 && Number(r.dataset.rank) >= min;
        r.classList.toggle("hidden", !ok);
        if (ok) { shown += 1; }
      });
      if (count) { count.textContent = String(shown); }
    }
    if (box) { box.addEventListener("input", apply); }
    if (sev) { sev.addEventListener("change", apply); }
    table.querySelectorAll("th.sortable").forEach(function (th, col) {
      var asc = false;
      // Enter or Space on a focused heading sorts, as a click does.
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); th.click(); }
      });
      th.addEventListener("click", function () {
        asc = !asc;
        table.querySelectorAll("th.sortable").forEach(function (o) { o.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var list = rows(table);
        list.sort(function (a, b) {
          var x = a.cells[col].dataset.key || a.cells[col].textContent;
          var y = b.cells[col].dataset.key || b.cells[col].textContent;
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        list.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  // Arrow keys move between the rows of a table (shown rows only); Enter opens a row's proof.
  document.querySelectorAll("table.findings").forEach(function (table) {
    table.addEventListener("keydown", function (e) {
      var row = e.target.closest ? e.target.closest("tbody tr") : null;
      if (!row || e.target !== row) { return; }
      var shown = rows(table).filter(function (r) { return !r.classList.contains("hidden"); });
      var i = shown.indexOf(row);
      if (e.key === "ArrowDown" && i + 1 < shown.length) { e.preventDefault(); shown[i + 1].focus(); }
      if (e.key === "ArrowUp" && i > 0) { e.preventDefault(); shown[i - 1].focus(); }
      if (e.key === "Enter") {
        var d = row.querySelector("details");
        if (d) { d.open = !d.open; }
      }
    });
  });
  // Printed, every proof is shown.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
  // Marks the page as live: tests check ctriage's own script ran (and nothing else did).
  document.body.setAttribute("data-ready", "1");
}());
