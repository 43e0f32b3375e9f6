/* Staff results pages: draw each chart from its JSON data block (participation/charts.py chart_fragment).
   The CSP forbids inline scripts, so figures travel as <script type="application/json"> blocks, which browsers
   never execute, and this file hands them to the vendored plotly.js. Without JavaScript, or if plotly.js fails,
   the tables beside each chart still carry every number.

   A chart inside a part a reader opens (<details class="results-section">, the survey results) is drawn only once
   its part is open and the chart comes near the screen: a survey of 75 questions answers at once instead of
   drawing 146 charts first. Other charts (the dashboards', a part open from the start) are drawn as the page
   loads. */
(function () {
  "use strict";

  var LAZY = "details.results-section div.chart[data-chart]";
  var observer = null;
  var queue = [];

  document.documentElement.classList.add("charts-on");

  function draw(box) {
    if (box.hasAttribute("data-drawing")) {
      return;
    }
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
    box.setAttribute("data-drawing", "");
    window.Plotly.newPlot(box, figure.data, figure.layout, figure.config).then(function () {
      box.classList.add("chart-drawn");
    });
  }

  function drawNext() {
    // one chart a task: a click between two charts is answered at once, not after the whole part
    draw(queue.shift());
    if (queue.length) {
      window.setTimeout(drawNext, 0);
    }
  }

  function later(box) {
    queue.push(box);
    if (queue.length === 1) {
      window.setTimeout(drawNext, 0);
    }
  }

  function drawOpen(details) {
    // no IntersectionObserver: a part's charts are drawn when it opens
    var boxes = details.querySelectorAll("div.chart[data-chart]");
    for (var i = 0; i < boxes.length; i += 1) {
      later(boxes[i]);
    }
  }

  function watch() {
    var lazy = document.querySelectorAll(LAZY);
    var i;
    if ("IntersectionObserver" in window) {
      observer = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          if (entry.isIntersecting) {
            observer.unobserve(entry.target);
            later(entry.target);
          }
        });
      }, {rootMargin: "300px 0px"});
      for (i = 0; i < lazy.length; i += 1) {
        observer.observe(lazy[i]);
      }
    } else {
      document.addEventListener("toggle", function (event) {
        if (event.target.open) {
          drawOpen(event.target);
        }
      }, true);
      var open = document.querySelectorAll("details.results-section[open]");
      for (i = 0; i < open.length; i += 1) {
        drawOpen(open[i]);
      }
    }
  }

  function openLinked() {
    // a link to one question (#q-…) opens its part
    var target = window.location.hash && document.getElementById(window.location.hash.slice(1));
    var part = target && target.closest("details");
    if (part && !part.open) {
      part.open = true;
      target.scrollIntoView();
    }
  }

  function start() {
    // charts outside a closed part (the dashboards', the part open from the start) are drawn at once
    var boxes = document.querySelectorAll("div.chart[data-chart]");
    for (var i = 0; i < boxes.length; i += 1) {
      if (!boxes[i].closest("details.results-section:not([open])")) {
        draw(boxes[i]);
      }
    }
    watch();
    openLinked();
    window.addEventListener("hashchange", openLinked);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
