// Chart text at a readable size on every screen (issue #12). A chart is drawn in its viewBox's
// units and scaled to fit its box, so 12 units of text render at 6 px on a phone. This sets each
// chart's text so it renders at 12 px or more, on load, on resize and after an htmx swap.
(function () {
  'use strict';
  var MIN_PX = 12;

  function fit() {
    document.querySelectorAll('svg.chart-svg').forEach(function (svg) {
      var box = svg.viewBox && svg.viewBox.baseVal;
      var rect = svg.getBoundingClientRect();
      if (!box || !box.width || !box.height || !rect.width) { return; }
      var scale = Math.min(rect.width / box.width, rect.height / box.height);
      svg.querySelectorAll('text').forEach(function (text) {
        text.style.fontSize = '';
        var size = parseFloat(window.getComputedStyle(text).fontSize);
        if (size * scale < MIN_PX) { text.style.fontSize = (MIN_PX / scale).toFixed(2) + 'px'; }
      });
    });
  }

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
