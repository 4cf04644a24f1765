/**
 * The browser half of the report page: plain ES2020 run by the page itself (no modules, no network),
 * reading the report model from `<script id="report-data">` and drawing it with the inlined
 * Chart.js UMD build. Kept as a string so no bundler or test transform touches it; the headless
 * Chromium test (test/report-browser.test.ts) is what checks it.
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
  var colour = {};
  var names = data.methods.slice();
  data.lld.forEach(function (d) { if (names.indexOf(d.method) < 0) names.push(d.method); });
  names.forEach(function (m, i) { colour[m] = PALETTE[i % PALETTE.length]; });
  function alpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + a + ')';
  }
  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.size = 12;
  var rendered = 0;
  function canvasFor(id) {
    var c = document.querySelector('canvas[data-chart="' + id + '"]');
    if (!c) throw new Error('no canvas for chart ' + id);
    return c;
  }
  function draw(id, config) {
    try {
      new Chart(canvasFor(id), config);
      rendered++;
    } catch (e) {
      console.error('chart ' + id + ' failed: ' + (e && e.message ? e.message : e));
    }
  }
  function legendWithoutBands() {
    return { labels: { filter: function (item) { return item.text.indexOf(' band') < 0; } } };
  }
  data.curves.forEach(function (c) {
    var datasets = [];
    c.series.forEach(function (s) {
      var col = colour[s.method];
      var pts = function (ys) { return s.band.steps.map(function (x, i) { return { x: x, y: ys[i] }; }); };
      datasets.push({ label: s.method + ' band', data: pts(s.band.lo), borderWidth: 0, pointRadius: 0, fill: false });
      datasets.push({ label: s.method + ' band', data: pts(s.band.hi), borderWidth: 0, pointRadius: 0,
        backgroundColor: alpha(col, 0.18), fill: '-1' });
      datasets.push({ label: s.method, data: pts(s.band.mean), borderColor: col, backgroundColor: col,
        borderWidth: 2, pointRadius: s.band.steps.length > 40 ? 0 : 2, fill: false });
    });
    draw(c.id, {
      type: 'line',
      data: { datasets: datasets },
      options: {
        interaction: { mode: 'nearest', intersect: false },
        scales: { x: { type: 'linear', title: { display: true, text: 'step' } },
                  y: { title: { display: true, text: c.yLabel } } },
        plugins: { legend: legendWithoutBands(), title: { display: false } },
      },
    });
  });
  if (data.lld.length > 0) {
    var all = [];
    data.lld.forEach(function (d) { all = all.concat(d.values); });
    var lo = Math.min.apply(null, all), hi = Math.max.apply(null, all);
    if (hi === lo) { lo -= 0.5; hi += 0.5; }
    var nb = 24, w = (hi - lo) / nb, labels = [];
    for (var b = 0; b < nb; b++) labels.push((lo + (b + 0.5) * w).toPrecision(2));
    draw('lld-hist', {
      type: 'bar',
      data: { labels: labels, datasets: data.lld.map(function (d) {
        var counts = new Array(nb).fill(0);
        d.values.forEach(function (v) { counts[Math.min(nb - 1, Math.floor((v - lo) / w))]++; });
        return { label: d.method, data: counts.map(function (c) { return c / d.values.length; }),
          backgroundColor: alpha(colour[d.method], 0.55), borderColor: colour[d.method], borderWidth: 1,
          barPercentage: 1, categoryPercentage: 0.9 };
      }) },
      options: { scales: { x: { title: { display: true, text: 'Δ(x) (nats), bin centre' } },
                           y: { title: { display: true, text: 'fraction' } } } },
    });
    var ms = data.lld.map(function (d) { return d.method; });
    draw('lld-box', {
      type: 'bar',
      data: { labels: ms, datasets: [
        { label: 'min–max', data: data.lld.map(function (d) { return [d.min, d.max]; }),
          backgroundColor: data.lld.map(function (d) { return alpha(colour[d.method], 0.35); }), barPercentage: 0.12 },
        { label: 'quartiles (IQR)', data: data.lld.map(function (d) { return [d.q1, d.q3]; }),
          backgroundColor: data.lld.map(function (d) { return alpha(colour[d.method], 0.7); }), barPercentage: 0.5, grouped: false },
        { type: 'line', label: 'median', data: data.lld.map(function (d) { return d.median; }), showLine: false,
          pointStyle: 'line', pointRadius: 18, pointBorderWidth: 3, borderColor: '#000', backgroundColor: '#000' },
      ] },
      options: { indexAxis: 'x', scales: { x: { stacked: false }, y: { title: { display: true, text: 'Δ(x) (nats)' } } },
                 plugins: { legend: { display: true } } },
    });
  }
  window.__report = { rendered: rendered, expected: document.querySelectorAll('canvas[data-chart]').length };
  document.body.setAttribute('data-rendered', String(rendered));
})();
`;
