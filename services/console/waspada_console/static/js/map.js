/* Peta: regencies coloured by their highest current level (Leaflet + topojson-client, no tiles). */
(function () {
  "use strict";
  var el = document.getElementById("peta");
  if (!el || !window.L || !window.topojson) { return; }
  var FILL = ["#e9ecef", "#2e7d32", "#f2c94c", "#ef7d22", "#b71c1c"];
  var NAMES = ["Tidak ada peringatan", "Level 1 (Normal)", "Level 2 (Waspada)", "Level 3 (Siaga)", "Level 4 (Awas)"];
  var scope = el.getAttribute("data-scope");
  var panel = document.getElementById(el.getAttribute("data-panel"));
  var map = L.map(el, { attributionControl: false, zoomSnap: 0.25, preferCanvas: false });
  L.control.attribution({ prefix: false })
    .addAttribution('Batas wilayah: cahyadsn/wilayah_boundaries (MIT) · <a href="/tentang">Tentang</a>')
    .addTo(map);

  var show = function (code) {
    if (!panel) { return; }
    panel.innerHTML = "<p>Memuat…</p>";
    fetch("/peta/wilayah/" + encodeURIComponent(code) + "?bagian=panel", { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) { panel.innerHTML = html; var h = panel.querySelector("h2"); if (h) { h.setAttribute("tabindex", "-1"); h.focus(); } })
      .catch(function () { panel.innerHTML = "<p>Wilayah tidak dapat dimuat.</p>"; });
  };

  Promise.all([
    fetch(el.getAttribute("data-topo")).then(function (r) { return r.json(); }),
    fetch(el.getAttribute("data-levels"), { credentials: "same-origin" }).then(function (r) { return r.json(); })
  ]).then(function (got) {
    var topo = got[0], levels = got[1].levels || {};
    var geo = topojson.feature(topo, topo.objects.regencies);
    if (scope) {
      geo.features = geo.features.filter(function (f) { return f.properties.code.indexOf(scope + ".") === 0; });
    }
    var layer = L.geoJSON(geo, {
      style: function (f) {
        var rank = levels[f.properties.code] || 0;
        return { color: "#4a4a4a", weight: 0.6, fillColor: FILL[rank], fillOpacity: 0.85 };
      },
      onEachFeature: function (f, l) {
        var rank = levels[f.properties.code] || 0;
        l.options.className = "rg-" + f.properties.code.replace(".", "-");
        l.bindTooltip(f.properties.name + ": " + NAMES[rank], { sticky: true });
        l.on("click", function () { show(f.properties.code); });
      }
    }).addTo(map);
    map.fitBounds(layer.getBounds(), { padding: [8, 8] });
    el.setAttribute("data-ready", "1");
  }).catch(function () {
    el.innerHTML = "<p>Peta tidak dapat dimuat; gunakan daftar di bawah.</p>";
  });

  // The list under the map opens the same panel without leaving the page.
  document.addEventListener("click", function (e) {
    var a = e.target.closest ? e.target.closest("a[data-regency]") : null;
    if (a && panel) { e.preventDefault(); show(a.getAttribute("data-regency")); }
  });
})();
