/* Staff results pages: draw each chart from its JSON data block (participation/charts.py chart_fragment).
   The CSP forbids inline scripts, so figures travel as <script type="application/json"> blocks, which browsers
   never execute, and this file hands them to the vendored plotly.js. Without JavaScript, or if plotly.js fails,
   the tables beside each chart still carry every number. */
(function () {
  "use strict";

  function draw(box) {
    var source = document.getElementById(box.getAttribute("data-chart"));
    if (!source || !window.Plotly) {
      return;
    }
    var figure;
    try {
      figure = JSON.parse(source.textContent);
    } catch (ignored) {
      return;   // a broken block leaves the table alone rather than stopping the other charts
    }
    window.Plotly.newPlot(box, figure.data, figure.layout, figure.config).then(function () {
      box.classList.add("chart-drawn");
    });
  }

  function drawAll() {
    var boxes = document.querySelectorAll("div.chart[data-chart]");
    for (var i = 0; i < boxes.length; i += 1) {
      draw(boxes[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
}());
