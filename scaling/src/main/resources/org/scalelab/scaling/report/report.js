/*
 * index.html's charts and run table. The charts are drawn with uPlot (inlined above this script) from
 * the JSON in <script id="scalelab-data">, whose layout PageData.java documents; each <figure
 * data-chart="i"> receives chart i. Adds a tooltip for the point nearest the cursor, log-axis tick
 * labels (10³, 3·10³, and linear steps on axes spanning less than a decade), and a sortable, filterable
 * run table. Sets window.scalelabCharts (the uPlot instances by chart id) and body[data-drawn] (their
 * count), which the browser test reads.
 */
(function () {
  'use strict';

  var SUP = {'0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹', '-': '⁻'};
  var PALETTE = ['#2166ac', '#d6604d', '#1b7837', '#762a83', '#e08214', '#35978f', '#8c510a', '#c51b7d'];
  var WIDTH = 900, HEIGHT = 430;
  var GAP_X = 56, GAP_Y = 30;   // least distance in px between tick labels: about one label wide (x) or high (y)
  var HOVER_PX = 30;            // the tooltip shows the nearest point within this distance of the cursor

  function sup(n) {
    return String(n).replace(/[-0-9]/g, function (c) { return SUP[c]; });
  }

  /** The decimals that write v (up to 10). */
  function decimals(v) {
    v = Math.abs(v);
    for (var d = 0; d < 10; d++) {
      var m = v * Math.pow(10, d);
      if (Math.abs(m - Math.round(m)) <= 1e-6 * Math.max(1, m)) return d;
    }
    return 10;
  }

  /** floor(log10 |v|), exact at powers of ten. */
  function exponent(v) {
    var l = Math.log10(Math.abs(v)), r = Math.round(l);
    return Math.abs(l - r) < 1e-9 ? r : Math.floor(l);
  }

  /** Whether an axis with these ticks writes them as m·10ᵉ: when any lies outside 0.01–999. */
  function scientific(ticks) {
    return ticks.some(function (v) { var e = exponent(v); return v !== 0 && (e < -2 || e > 2); });
  }

  /**
   * A tick label: plain ("0.03", "2.5", "300"), or with sci m·10ᵉ in superscript digits ("10³",
   * "3·10³", "2.5·10⁻⁴"). With a step (ticks a linear step apart) every plain label of the axis gets the
   * step's decimals, so they read 2.0, 2.5, 3.0.
   */
  function tickLabel(v, step, sci) {
    if (v === 0) return '0';
    var e = exponent(v);
    if (!sci) return v.toFixed(step ? decimals(step) : decimals(v));
    var p = Math.pow(10, e), m = v / p;
    var ms = m.toFixed(Math.min(6, step ? decimals(step / p) : decimals(m)));
    if (ms.indexOf('.') >= 0) ms = ms.replace(/0+$/, '').replace(/\.$/, '');
    return (ms === '1' ? '' : ms + '·') + '10' + sup(e);
  }

  var MANTISSAS = [[1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 5], [1, 2, 5], [1, 3], [1]];

  function decadeTicks(min, max, ms, every) {
    var out = [];
    for (var e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
      if (((e % every) + every) % every !== 0) continue;
      for (var j = 0; j < ms.length; j++) {
        var v = +(ms[j] * Math.pow(10, e)).toPrecision(12);
        if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) out.push(v);
      }
    }
    return out;
  }

  /**
   * Ticks a nice linear step apart (1, 2, 2.5 or 5 times a power of ten) on a log axis: the smallest step
   * whose two closest labels (the top two) stay gap px apart; else the widest step that still gives two.
   */
  function linearTicks(min, max, pxPerDecade, gap) {
    var base = Math.pow(10, Math.floor(Math.log10(max - min)) - 2), best = null;
    for (var k = 0; k < 24; k++) {
      var step = +(base * [1, 2, 2.5, 5][k % 4] * Math.pow(10, Math.floor(k / 4))).toPrecision(12);
      var first = Math.ceil(min / step - 1e-9), ticks = [];
      for (var i = first; i * step <= max * (1 + 1e-9) && ticks.length <= 12; i++) {
        if (i > 0) ticks.push(+(i * step).toPrecision(12));
      }
      if (ticks.length < 2) break;
      if (ticks.length > 12) continue;
      var top = ticks[ticks.length - 1];
      var sci = scientific(ticks);
      best = {ticks: ticks, labels: ticks.map(function (v) { return tickLabel(v, step, sci); }), step: step};
      if (Math.log10(top / (top - step)) * pxPerDecade >= gap) return best;
    }
    return best;
  }

  /**
   * Ticks and labels of a log axis over [min, max] (min > 0) that is dim px long, labels at least gap px
   * apart: the densest of 1–9, 1-2-3-5, 1-2-5, 1-3 or 1 per decade that fits (every k-th decade when even
   * that does not); when that leaves fewer than three ticks in view (an axis spanning less than a decade
   * or so), linear steps instead, whichever gives more. Never fewer than two where two fit.
   */
  function logTicks(min, max, dim, gap) {
    var pxPerDecade = dim / Math.max(Math.log10(max / min), 1e-12), ticks = null;
    for (var k = 0; k < MANTISSAS.length && !ticks; k++) {
      var ms = MANTISSAS[k], closest = Infinity;
      for (var j = 0; j < ms.length; j++) closest = Math.min(closest, Math.log10((j + 1 < ms.length ? ms[j + 1] : 10) / ms[j]));
      if (closest * pxPerDecade >= gap) ticks = decadeTicks(min, max, ms, 1);
    }
    if (!ticks) ticks = decadeTicks(min, max, [1], Math.ceil(gap / pxPerDecade));
    var sci = scientific(ticks);
    var out = {ticks: ticks, labels: ticks.map(function (v) { return tickLabel(v, null, sci); }), step: null};
    if (ticks.length >= 3) return out;
    var lin = linearTicks(min, max, pxPerDecade, gap);
    return lin && lin.ticks.length > ticks.length ? lin : out;
  }

  /** A log scale's range: the data's, widened by 5% of its span in log on each side. */
  function logRange(u, dmin, dmax) {
    if (dmin == null || !(dmin > 0)) return [1, 10];
    if (dmin === dmax) return [dmin / 1.5, dmax * 1.5];
    var l0 = Math.log10(dmin), l1 = Math.log10(dmax), pad = (l1 - l0) * 0.05;
    return [Math.pow(10, l0 - pad), Math.pow(10, l1 + pad)];
  }

  /** A number in a tooltip: 4–5 significant digits, m·10ᵉ outside 0.001–99999. */
  function fmtVal(v) {
    if (v == null || !isFinite(v)) return 'n/a';
    if (v === 0) return '0';
    var a = Math.abs(v);
    if (a >= 1e5 || a < 1e-3) {
      var e = exponent(v), m = v / Math.pow(10, e);
      return m.toFixed(3).replace(/\.?0+$/, '') + '·10' + sup(e);
    }
    return String(+v.toPrecision(5));
  }

  /** The short name of an axis for tooltips: its label up to the first " (". */
  function shortName(label) {
    return String(label || '').split(' (')[0];
  }

  /**
   * The unit an axis hands uPlot its values in: 1, or for values from 10¹⁵ up a power of ten that brings
   * them below 10¹⁰, since uPlot 1.6 draws no ticks for values with more than 17 integer digits
   * (uPlot.iife.js, findIncr) and compute reaches 10²¹ FLOP.
   */
  function unitOf(values) {
    var max = 0;
    values.forEach(function (v) { if (v != null && isFinite(v)) max = Math.max(max, Math.abs(v)); });
    return max >= 1e15 ? Math.pow(10, exponent(max) - 9) : 1;
  }

  /** An axis with our tick labels; uPlot sees values divided by unit, labels show the values themselves. */
  function axis(spec, horizontal, unit) {
    var a = {label: spec.label, labelSize: 24, size: horizontal ? 44 : 68, gap: 4, space: horizontal ? GAP_X : GAP_Y};
    if (spec.log) {
      var labels = new Map();
      a.splits = function (u, axisIdx, min, max) {
        var dim = (horizontal ? u.bbox.width : u.bbox.height) / (uPlot.pxRatio || 1);
        var t = logTicks(min * unit, max * unit, dim > 0 ? dim : (horizontal ? WIDTH : HEIGHT) * 0.8, horizontal ? GAP_X : GAP_Y);
        labels = new Map();
        var ticks = t.ticks.map(function (v, i) { var w = v / unit; labels.set(w, t.labels[i]); return w; });
        return ticks;
      };
      a.filter = function (u, splits) { return splits; };
      a.values = function (u, splits) {
        return splits.map(function (v) { return v == null ? null : labels.has(v) ? labels.get(v) : tickLabel(v * unit, null, true); });
      };
    } else {
      a.values = function (u, splits, axisIdx, space, incr) {
        var real = splits.map(function (v) { return v == null ? null : v * unit; });
        var sci = scientific(real.filter(function (v) { return v != null; }));
        return real.map(function (v) { return v == null ? null : tickLabel(v, incr * unit, sci); });
      };
    }
    return a;
  }

  /** A series' points in the page: x, y and, per point, run index, step and tokens (null where unknown). */
  function points(data, chart, s) {
    var x, y, run = null, step = null, tokens = null, r = null;
    if (s.ref) {
      r = s.ref.run;
      var c = data.runs[r][s.ref.curve], k = s.ref.xScale;
      x = c[s.ref.x].map(function (v) { return v == null ? null : v * k; });
      y = c[s.ref.y];
      step = c.step;
      tokens = c.tokens;
    } else {
      x = s.x;
      y = s.y;
      run = s.run || null;
      step = s.step || null;
    }
    var out = {x: [], y: [], run: [], step: [], tokens: []};
    for (var i = 0; i < x.length; i++) {
      var xi = x[i], yi = y[i];
      if (xi == null || yi == null || (chart.x.log && !(xi > 0)) || (chart.y.log && !(yi > 0))) continue;
      out.x.push(xi);
      out.y.push(yi);
      out.run.push(r != null ? r : run ? run[i] : null);
      out.step.push(step ? step[i] : null);
      out.tokens.push(tokens ? tokens[i] : null);
    }
    return out;
  }

  function el(tag, cls, parent) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (parent) parent.appendChild(e);
    return e;
  }

  /**
   * The tooltip: on every cursor move, the nearest drawn point of a shown series within HOVER_PX, with
   * its series, run (id, N, D), step and coordinates; hidden otherwise. Written with textContent only.
   */
  function tooltipPlugin(data, chart, pts, ux, uy) {
    var tip, dot;
    function hide() {
      tip.style.display = 'none';
      dot.style.display = 'none';
    }
    var said;
    function line(name, value) {
      // the x or y of a run's point can be its N or D, said already
      if (said[name] === value) return;
      said[name] = value;
      var d = el('div', null, tip);
      el('span', 'k', d).textContent = name + ' ';
      el('span', null, d).textContent = value;
    }
    return {
      hooks: {
        init: function (u) {
          tip = el('div', 'scalelab-tip', u.over);
          dot = el('div', 'scalelab-dot', u.over);
          hide();
          u.over.addEventListener('mouseleave', hide);
        },
        setCursor: function (u) {
          var left = u.cursor.left, top = u.cursor.top;
          if (left == null || left < 0 || top == null || top < 0) return hide();
          var best = -1, bestI = -1, bestD = HOVER_PX * HOVER_PX;
          for (var si = 1; si < u.series.length; si++) {
            if (!u.series[si].show) continue;
            var p = pts[si - 1];
            for (var i = 0; i < p.x.length; i++) {
              var dx = u.valToPos(p.x[i] / ux, 'x') - left;
              if (dx * dx >= bestD) continue;
              var dy = u.valToPos(p.y[i] / uy, 'y') - top, d = dx * dx + dy * dy;
              if (d < bestD) {
                bestD = d;
                best = si;
                bestI = i;
              }
            }
          }
          if (best < 0) return hide();
          var q = pts[best - 1], s = chart.series[best - 1];
          var px = u.valToPos(q.x[bestI] / ux, 'x'), py = u.valToPos(q.y[bestI] / uy, 'y');
          tip.textContent = '';
          said = {};
          var head = el('div', 'h', tip);
          el('span', 'sw', head).style.background = u.series[best]._stroke || s.color || '#000';
          el('span', null, head).textContent = s.label;
          var ri = q.run[bestI], run = ri != null ? data.runs[ri] : null;
          if (run) {
            line('run', run.id);
            line('N', fmtVal(run.N));
            line('D', fmtVal(run.D));
          }
          if (q.step[bestI] != null) line('step', String(q.step[bestI]));
          if (q.tokens[bestI] != null && shortName(chart.x.label) !== 'tokens') line('tokens', fmtVal(q.tokens[bestI]));
          line(shortName(chart.x.label), fmtVal(q.x[bestI]));
          line(shortName(chart.y.label), fmtVal(q.y[bestI]));
          tip.style.display = 'block';
          dot.style.display = 'block';
          dot.style.left = px + 'px';
          dot.style.top = py + 'px';
          dot.style.borderColor = u.series[best]._stroke || '#000';
          // beside the point, on the side with room
          var w = tip.offsetWidth, h = tip.offsetHeight, ow = u.over.clientWidth, oh = u.over.clientHeight;
          tip.style.left = (px + 12 + w <= ow ? px + 12 : Math.max(0, px - 12 - w)) + 'px';
          tip.style.top = (py + 12 + h <= oh ? py + 12 : Math.max(0, py - 12 - h)) + 'px';
        }
      }
    };
  }

  function draw(data, chart, figure) {
    var pts = chart.series.map(function (s) { return points(data, chart, s); });
    // a series left out of the legend (a band's second edge, the rest of a set of per-series curves)
    // is shown and hidden with the last one in it
    var leader = [], last = 0;
    chart.series.forEach(function (s, i) {
      if (s.legend !== false || i === 0) last = i + 1;
      leader.push(last);
    });
    var series = [{}];
    chart.series.forEach(function (s, i) {
      var col = s.color || PALETTE[i % PALETTE.length], all = pts[i].x.map(function (v, j) { return j; });
      series.push({
        label: s.label,
        stroke: col,
        width: s.width || 1.5,
        dash: s.dash || undefined,
        facets: [{scale: 'x', auto: true, sorted: 0, min: null, max: null},
                 {scale: 'y', auto: true, sorted: 0, min: null, max: null}],
        paths: s.line ? undefined : function () { return null; },
        points: {
          show: !!s.points, size: 6, width: 1, stroke: col, fill: col,
          // uPlot 1.6's point drawing needs the indices spelled out in mode 2 (uPlot.iife.js, points())
          filter: s.points ? function () { return all; } : null
        }
      });
    });
    var ux = unitOf([].concat.apply([], pts.map(function (p) { return p.x; })));
    var uy = unitOf([].concat.apply([], pts.map(function (p) { return p.y; })));
    var target = figure.querySelector('.plot');
    var width = Math.min(WIDTH, Math.max(320, target.clientWidth || WIDTH));
    var opts = {
      mode: 2,
      title: chart.title,
      width: width,
      height: HEIGHT,
      legend: {live: false},
      cursor: {
        drag: {x: true, y: true, uni: 20},
        dataIdx: function () { return null; },
        points: {show: false}
      },
      scales: {
        x: chart.x.log ? {time: false, distr: 3, log: 10, range: logRange} : {time: false},
        y: chart.y.log ? {distr: 3, log: 10, range: logRange} : {}
      },
      axes: [axis(chart.x, true, ux), axis(chart.y, false, uy)],
      series: series,
      plugins: [tooltipPlugin(data, chart, pts, ux, uy)],
      hooks: {
        setScale: [function (u, key) {
          // mode 2 redraws paths only when y changes (uPlot.iife.js, setScales); a zoom in x alone needs it too
          if (key === 'x') u.series.forEach(function (s) { if (s) s._paths = null; });
        }],
        setSeries: [function (u, si, o) {
          if (!o || o.show == null) return;
          for (var j = 1; j < u.series.length; j++) {
            if (j !== si && leader[j - 1] === si && u.series[j].show !== o.show) u.setSeries(j, {show: o.show});
          }
        }]
      }
    };
    var scaled = pts.map(function (p) {
      return [ux === 1 ? p.x : p.x.map(function (v) { return v / ux; }), uy === 1 ? p.y : p.y.map(function (v) { return v / uy; })];
    });
    var u = new uPlot(opts, [null].concat(scaled), target);
    u.scalelabUnits = {x: ux, y: uy};
    var rows = u.root.querySelectorAll('.u-legend .u-series');
    chart.series.forEach(function (s, i) {
      if (s.legend === false && rows[i]) rows[i].style.display = 'none';
    });
    return u;
  }

  function sortableTable(table) {
    var tbody = table.tBodies[0];
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, col) {
      th.addEventListener('click', function () {
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var num = th.hasAttribute('data-num');
        var rows = Array.prototype.slice.call(tbody.rows);
        var key = function (tr) {
          var td = tr.cells[col], v = td ? (td.hasAttribute('data-v') ? td.getAttribute('data-v') : td.textContent) : '';
          return num ? (v === '' || isNaN(+v) ? null : +v) : v.toLowerCase();
        };
        var keyed = rows.map(function (tr, i) { return {tr: tr, k: key(tr), i: i}; });
        keyed.sort(function (a, b) {
          // empty cells last either way; ties keep their order
          if (a.k == null || a.k === '') return b.k == null || b.k === '' ? a.i - b.i : 1;
          if (b.k == null || b.k === '') return -1;
          var c = num ? a.k - b.k : a.k.localeCompare(b.k, undefined, {numeric: true});
          return (asc ? c : -c) || a.i - b.i;
        });
        keyed.forEach(function (r) { tbody.appendChild(r.tr); });
      });
    });
  }

  function filterBox(input, table, count) {
    var rows = table.tBodies[0].rows;
    function apply() {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean), shown = 0;
      Array.prototype.forEach.call(rows, function (tr) {
        var text = tr.textContent.toLowerCase();
        var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
        tr.style.display = ok ? '' : 'none';
        if (ok) shown++;
      });
      count.textContent = shown + ' of ' + rows.length + ' runs';
    }
    input.addEventListener('input', apply);
    apply();
  }

  window.scalelab = {logTicks: logTicks, tickLabel: tickLabel};

  function main() {
    var data = JSON.parse(document.getElementById('scalelab-data').textContent);
    var made = {};
    var drawn = 0;
    document.querySelectorAll('figure[data-chart]').forEach(function (f) {
      var chart = data.charts[+f.getAttribute('data-chart')];
      made[chart.id] = draw(data, chart, f);
      drawn++;
    });
    window.scalelabCharts = made;
    document.body.setAttribute('data-drawn', String(drawn));
    var table = document.getElementById('runs');
    if (table) {
      sortableTable(table);
      var box = document.getElementById('run-filter');
      if (box) filterBox(box, table, document.getElementById('run-count'));
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main);
  else main();
})();
