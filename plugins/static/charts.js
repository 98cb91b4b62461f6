// The site's charts. Each <script type="application/json" data-chart="SELECTOR"> holds
// {"spec": …, "options": …} and is drawn into SELECTOR: data, not code, so the pages need no
// inline script the Content-Security-Policy would have to trust. vegaEmbed gets {ast: true}
// first, so Vega interprets expressions (vega-interpreter.js) instead of compiling them with
// Function, and the policy needs no 'unsafe-eval' (the dashboards' charts go through it too).
(function () {
  var embed = window.vegaEmbed;
  if (!embed) return;
  window.vegaEmbed = function (el, spec, options) {
    return embed(el, spec, Object.assign({ast: true}, options || {})).then(function (result) {
      // vega-embed's actions menu is a <summary> with only an icon: give it a name screen readers say
      var menu = result.view.container() && result.view.container().parentNode.querySelector("details > summary");
      if (menu && !menu.getAttribute("aria-label")) menu.setAttribute("aria-label", "图表操作：导出图片、查看数据");
      return result;
    });
  };
  function draw() {
    document.querySelectorAll('script[type="application/json"][data-chart]').forEach(function (block) {
      var chart = JSON.parse(block.textContent);
      window.vegaEmbed(block.dataset.chart, chart.spec, chart.options || {});
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
