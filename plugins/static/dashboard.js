// A dashboard's charts, drawn from its JSON block (templates/dashboard_view.html and
// dashboard_chart.html) with datasette-dashboards' renderChart: no inline code on the page.
(function () {
  var block = document.getElementById("dashboard-charts");
  if (!block) return;
  var dashboard = JSON.parse(block.textContent);
  Object.keys(dashboard.charts).forEach(function (slug) {
    renderChart(slug, dashboard.charts[slug], dashboard.query_string, dashboard.absolute_url, dashboard.full_height);
  });
  if (dashboard.autorefresh) autorefresh(dashboard.autorefresh);
})();
