/* Waspada console: small enhancements; every page works without them. */
(function () {
  "use strict";

  // Live alert list: re-fetch the list fragment every few seconds and announce new alerts.
  var list = document.querySelector("[data-poll]");
  if (list) {
    var every = Math.max(1, parseInt(list.getAttribute("data-every") || "15", 10)) * 1000;
    var live = document.getElementById(list.getAttribute("data-announce"));
    var ids = function (root) {
      return Array.prototype.map.call(root.querySelectorAll("[data-alert]"), function (e) { return e.getAttribute("data-alert"); });
    };
    var refresh = function () {
      fetch(list.getAttribute("data-poll"), { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
        .then(function (html) {
          var before = ids(list);
          var box = document.createElement("div");
          box.innerHTML = html;
          var fresh = ids(box).filter(function (id) { return before.indexOf(id) < 0; });
          // Never replace the list under someone typing a decision into it: wait for the next round.
          var typing = list.contains(document.activeElement) && document.activeElement.tagName !== "A";
          if (typing) { return; }
          if (box.innerHTML.trim() !== list.innerHTML.trim()) { list.innerHTML = html; }
          if (fresh.length && live) { live.textContent = fresh.length + " peringatan baru."; }
        })
        .catch(function () { /* keep the current list; try again next round */ })
        .then(function () { window.setTimeout(refresh, every); });
    };
    window.setTimeout(refresh, every);
  }

  // Report form: regencies of the chosen province only; districts of the chosen regency.
  var province = document.getElementById("f-region-province");
  var regency = document.getElementById("f-region-regency");
  var district = document.getElementById("f-region-district");
  if (province && regency) {
    var groups = Array.prototype.slice.call(regency.querySelectorAll("optgroup"));
    var filter = function () {
      groups.forEach(function (g) {
        var show = !province.value || g.getAttribute("data-province") === province.value;
        g.hidden = !show; g.disabled = !show;
      });
      var chosen = regency.options[regency.selectedIndex];
      if (chosen && chosen.parentNode.disabled) { regency.value = ""; loadDistricts(); }
    };
    var loadDistricts = function () {
      if (!district) { return; }
      var keep = district.getAttribute("data-selected") || district.value;
      district.length = 1;
      if (!regency.value) { return; }
      fetch("/wilayah/" + encodeURIComponent(regency.value) + "/kecamatan.json", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (rows) {
          rows.forEach(function (d) {
            var o = new Option(d.name, d.code, false, d.code === keep);
            district.add(o);
          });
        })
        .catch(function () {});
    };
    province.addEventListener("change", filter);
    regency.addEventListener("change", function () { district && district.setAttribute("data-selected", ""); loadDistricts(); });
    filter();
    loadDistricts();
  }

  // Error summary: move focus there so keyboard and screen-reader users start at the problems.
  var summary = document.getElementById("ringkasan-kesalahan");
  if (summary) { summary.focus(); }
})();
