// Chart text at a readable size on every screen (issue #12). A chart is drawn in its viewBox's
// units and scaled to fit its box, so 12 units of text render at 6 px on a phone. This sets each
// chart's text so it renders at 12 px or more, and widens the viewBox to the text it then needs
// (an axis label must not be cut off), on load, on resize and after an htmx swap.
(function () {
  'use strict';
  var MIN_PX = 12;

  function original(svg) {
    if (!svg.dataset.viewBox) { svg.dataset.viewBox = svg.getAttribute('viewBox') || ''; }
    return svg.dataset.viewBox.split(/[\s,]+/).map(Number);
  }

  function sizeText(svg, scale) {
    svg.querySelectorAll('text').forEach(function (text) {
      text.style.fontSize = '';
      var size = parseFloat(window.getComputedStyle(text).fontSize);
      if (size * scale < MIN_PX) { text.style.fontSize = (MIN_PX / scale + 0.05).toFixed(2) + 'px'; }
    });
  }

  // Threshold labels sit just above their lines; two close thresholds would print one label over
  // the other at the larger size, so each label that would overlap the one above moves down.
  function unclash(svg) {
    var labels = Array.prototype.slice.call(svg.querySelectorAll('text.threshold-label'));
    labels.forEach(function (t) {
      if (t.dataset.y === undefined) { t.dataset.y = t.getAttribute('y'); }
      t.setAttribute('y', t.dataset.y);
    });
    labels.sort(function (a, b) { return Number(a.dataset.y) - Number(b.dataset.y); });
    var above = null;
    labels.forEach(function (t) {
      var b = t.getBBox();
      if (above && b.y < above.y + above.height) {
        t.setAttribute('y', (Number(t.getAttribute('y')) + above.y + above.height - b.y + 1).toFixed(1));
        b = t.getBBox();
      }
      above = b;
    });
  }

  function fitOne(svg) {
    var box = original(svg);
    if (box.length !== 4 || !box[2] || !box[3]) { return; }
    svg.setAttribute('viewBox', box.join(' '));
    var x = box[0], y = box[1], w = box[2], h = box[3];
    for (var pass = 0; pass < 3; pass++) {
      var rect = svg.getBoundingClientRect();
      if (!rect.width || !rect.height) { return; }
      sizeText(svg, Math.min(rect.width / w, rect.height / h));
      unclash(svg);
      var drawn = svg.getBBox();
      var left = Math.min(x, drawn.x - 2), top = Math.min(y, drawn.y - 2);
      var right = Math.max(x + w, drawn.x + drawn.width + 2);
      var bottom = Math.max(y + h, drawn.y + drawn.height + 2);
      if (left === x && top === y && right === x + w && bottom === y + h) { return; }
      x = left; y = top; w = right - left; h = bottom - top;
      svg.setAttribute('viewBox', [x, y, w, h].map(function (n) { return n.toFixed(1); }).join(' '));
    }
    var last = svg.getBoundingClientRect();
    if (last.width && last.height) { sizeText(svg, Math.min(last.width / w, last.height / h)); unclash(svg); }
  }

  function fit() { document.querySelectorAll('svg.chart-svg').forEach(fitOne); }

  var pending = null;
  function soon() {
    if (pending) { window.cancelAnimationFrame(pending); }
    pending = window.requestAnimationFrame(function () { pending = null; fit(); });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', fit);
  } else {
    fit();
  }
  window.addEventListener('resize', soon);
  document.addEventListener('htmx:afterSettle', soon);
})();
