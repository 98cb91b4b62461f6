// The static copy's data pages (static_copy.py): one file per kind of page fills itself from the
// database, read by HTTP range requests (sql.js-httpvfs). Everything from the database is put in
// the page as text (textContent), never as HTML; only the project's own metadata.yml descriptions
// are HTML.
(function () {
  "use strict";
  var ROOT = new URL("..", document.currentScript.src); // static-app/app.js -> the copy's root
  var MAX_BYTES = 64 * 1024 * 1024; // a query that would read more fails instead of fetching the database
  var PAGE_ROWS = 100;
  var app = document.getElementById("app");
  var args = new URLSearchParams(location.search);
  var opened = null;

  function open() {
    if (!opened) {
      opened = fetch(new URL("static-app/site.json", ROOT)).then(function (r) { return r.json(); }).then(function (site) {
        var config = Object.assign({}, site.database, { urlPrefix: new URL(site.database.urlPrefix, ROOT).href });
        return window.createDbWorker([{ from: "inline", config: config }],
          new URL("static-app/sqlite.worker.js", ROOT).href, new URL("static-app/sql-wasm.wasm", ROOT).href, MAX_BYTES)
          .then(function (worker) { return { site: site, db: worker.db, worker: worker }; });
      });
    }
    return opened;
  }

  function rows(sql, params) {
    return open().then(function (o) { return o.db.query(sql, params || []); });
  }

  // --- building the page, as text ------------------------------------------------------------
  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] === null || attrs[k] === undefined) return;
      if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]);
    });
    for (var i = 2; i < arguments.length; i++) add(node, arguments[i]);
    return node;
  }
  function add(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) child.forEach(function (c) { add(node, c); });
    else node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
  function page(file, params) {
    var query = new URLSearchParams();
    Object.keys(params || {}).forEach(function (k) { if (params[k] !== null && params[k] !== undefined && params[k] !== "") query.set(k, params[k]); });
    var s = query.toString();
    return file + (s ? "?" + s : "");
  }
  function reportLink(id, start, end) {
    return start === null || start === undefined ? page("report.html", { id: id })
      : page("report.html", { id: id, start: start, end: end }) + "#hl";
  }
  function show() {
    app.textContent = "";
    add(app, Array.prototype.slice.call(arguments));
  }
  function crumbs() {
    return el("p", { "class": "crumbs" }, el("a", { href: "index.html", text: "首页" }),
      Array.prototype.slice.call(arguments).map(function (c) { return [" / ", c]; }));
  }
  function title(text) { document.title = text + " · OGI Reports"; return el("h1", { text: text }); }
  function grid(headers, body, cls) {
    return el("div", { "class": "scroll" }, el("table", { "class": "grid " + (cls || "") },
      el("thead", {}, el("tr", {}, headers.map(function (h) { return el("th", { text: h }); }))),
      el("tbody", {}, body)));
  }
  function num(value) { return el("td", { "class": "n" }, value); }
  function failed(error) {
    var message = String(error && error.message || error);
    show(el("p", { "class": "message-error", text: /disk I\/O error/.test(message)
      ? "这个查询在静态副本中要读取超过 " + MAX_BYTES / 1048576 + " MB 的数据，已停止。请缩小条件，或使用在线站点，或下载数据库在本机查询。"
      : "读取数据库时出错：" + message }));
    throw error;
  }

  // --- the search's folding: parsers/search.py fts_query, in JavaScript ----------------------
  function ftsQuery(query, fold) {
    var phrases = [];
    query.trim().split(/\s+/).forEach(function (term) {
      var chars = Array.from(term).map(function (c) { return fold[c] || c; }).join("")
        .replace(/\s+/g, "").toLowerCase().replace(/"/g, "");
      var list = Array.from(chars);
      if (!list.length) return;
      if (list.length === 1) { phrases.push('"' + chars + '"*'); return; }
      var pairs = [];
      for (var i = 0; i < list.length - 1; i++) pairs.push(list[i] + list[i + 1]);
      phrases.push('"' + pairs.join(" ") + '"');
    });
    return phrases.length ? phrases.join(" AND ") : '""';
  }
  window.ogiFtsQuery = ftsQuery; // for tests: the same as parsers.search.fts_query

  // --- report.html?id=&start=&end= ----------------------------------------------------------
  var INDICATORS = { on_time: "按时发布", complete: "内容完整", consistent: "数据一致", cross_year: "与上年衔接",
    text_matches_tables: "正文与表格一致", original: "非雷同", unchanged: "发布后未修改", clean_source: "原始版本" };
  var STATUS = { pass: "通过", fail: "未通过", uncertain: "不能确定", not_assessable: "无从评估" };
  var READING = { complete: "读取完整", partial: "部分读取", no_table: "未找到表格", prose_only: "仅正文数字（无表格）",
    not_applicable: "不适用（非年度报告）" };

  function reportPage(o) {
    var id = args.get("id") || "", q = o.site.report_queries, found = {};
    var names = ["report", "audits", "application_outcomes", "review_litigation", "checks", "metrics", "sections", "versions"];
    return names.reduce(function (done, name) {
      return done.then(function () { return rows(q[name], [id]).then(function (r) { found[name] = r; }); });
    }, Promise.resolve()).then(function () {
      var r = found.report[0];
      if (!r) return show(crumbs(), title("报告不存在"), el("p", { text: "没有这份报告：" + id }));
      var text = Array.from(r.text || ""); // offsets count characters, as Python's do
      var span = function (v, words) {
        return v.end > v.start ? el("a", { "class": "provenance", href: reportLink(id, v.start, v.end), title: "在原文中查看", text: words }) : "";
      };
      var place = [r.province ? el("a", { href: page("region.html", { province: r.province }), text: r.province }) : "",
        r.province && (r.city || r.county) ? [" ", el("a", { href: page("region.html", { province: r.province, place: r.city || r.county }), text: r.city || r.county })] : ""];
      show(
        crumbs(el("a", { href: "ogi/reports.html", text: "报告" })),
        title(r.title || r.id),
        el("dl", { "class": "report-meta" },
          el("dt", { text: "发布机关" }), el("dd", {}, r.agency_key ? el("a", { href: page("agency.html", { key: r.agency_key }), text: r.agency }) : (r.agency || "—")),
          el("dt", { text: "地区" }), el("dd", {}, place),
          el("dt", { text: "年度" }), el("dd", { text: r.year || "—" }),
          el("dt", { text: "发布日期" }), el("dd", { text: r.published_date || "—" }),
          el("dt", { text: "类型 / 格式" }), el("dd", { text: r.doc_type + " / " + r.template }),
          el("dt", { text: "读取情况" }), el("dd", { text: (READING[r.reading] || r.reading || "—") + (r.cells_expected ? "：读出格式表格单元格 " + r.cells_read + " / " + r.cells_expected : "") }),
          el("dt", { text: "来源" }), el("dd", {}, /^https?:\/\//i.test(r.source_url || "") ? [el("a", { href: r.source_url, rel: "nofollow noopener", text: r.source_url }), " · "] : "",
            r.source_path + " (" + r.source_format + (r.pages ? ", " + r.pages + " 页" : "") + ")")),
        audits(found.audits, id),
        tableThree(o.site.labels, r.template, found.application_outcomes, span),
        tableFour(o.site.labels, found.review_litigation, span),
        checks(found.checks),
        metrics(found.metrics, span),
        versions(found.versions),
        sections(found.sections, id),
        reportText(text, found.metrics.concat(found.application_outcomes, found.review_litigation), id, o.site.spam_words));
      var mark = document.getElementById("hl");
      if (mark && location.hash === "#hl") mark.scrollIntoView({ block: "center" });
    });
  }

  function audits(list, id) {
    if (!list.length) return null;
    var by = {};
    list.forEach(function (a) { by[a.indicator] = a; });
    return [el("h2", { id: "audit", text: "评估" }), grid(["指标", "结果", "说明", "证据"],
      Object.keys(INDICATORS).filter(function (k) { return by[k]; }).map(function (k) {
        var a = by[k];
        return el("tr", { id: "audit-" + k }, el("td", { text: INDICATORS[k] }), el("td", { "class": "audit-" + a.status, text: STATUS[a.status] || a.status }),
          el("td", { text: a.detail || "" }), el("td", {}, a.start !== null ? el("a", { href: reportLink(id, a.start, a.end), text: "原文" }) : ""));
      }), "audits")];
  }

  function tableThree(labels, template, outcomes, span) {
    if (!outcomes.length) return null;
    var layout = labels[template === "t2019" || template === "t2021" ? template : "t2021"];
    var cells = {};
    outcomes.forEach(function (o) { cells[o.outcome + "|" + o.applicant_type] = o; });
    var columns = layout.applicant_type.filter(function (c) { return c.role === "data"; });
    var body = layout.outcome.filter(function (row) {
      return columns.some(function (c) { return cells[row.key + "|" + c.key]; });
    }).map(function (row) {
      return el("tr", { "class": row.parent ? "sub" : "", "data-outcome": row.key },
        el("td", { "class": "label" }, row.label, " ", el("small", { text: row.key })),
        columns.map(function (c) { var cell = cells[row.key + "|" + c.key]; return num(cell ? span(cell, cell.value_raw) || "·" : ""); }));
    });
    return [el("h2", { id: "table3", text: "表三 收到和处理政府信息公开申请情况" }),
      grid([""].concat(columns.map(function (c) { return c.label; })), body, "table-3")];
  }

  function tableFour(labels, review, span) {
    if (!review.length) return null;
    var cells = {}, present = {};
    review.forEach(function (c) { cells[c.proceeding + "|" + c.result] = c; present[c.proceeding] = true; });
    var results = labels.t2021.result;
    var body = labels.t2021.proceeding.filter(function (p) { return present[p.key]; }).map(function (p) {
      return el("tr", {}, el("td", { "class": "label" }, p.label, " ", el("small", { text: p.key })),
        results.map(function (res) { var cell = cells[p.key + "|" + res.key]; return num(cell ? span(cell, cell.value_raw) : ""); }));
    });
    return [el("h2", { id: "table4", text: "表四 政府信息公开行政复议、行政诉讼情况" }),
      grid([""].concat(results.map(function (r) { return r.label; })), body, "table-4")];
  }

  function checks(list) {
    if (!list.length) return null;
    var failedCount = list.filter(function (c) { return !c.passed; }).length;
    return [el("h2", { id: "checks", text: "校验（" + failedCount + " 项未通过 / 共 " + list.length + " 项）" }),
      grid(["校验", "范围", "应为", "实为", "结果", "说明"], list.map(function (c) {
        return el("tr", {}, el("td", { text: c.check }), el("td", { text: c.scope }), num(c.expected === null ? "" : c.expected),
          num(c.actual === null ? "" : c.actual), el("td", { "class": c.passed ? "pass" : "fail", text: c.passed ? "通过" : "未通过" }),
          el("td", { text: c.detail || "" }));
      }))];
  }

  function metrics(list, span) {
    if (!list.length) return null;
    return [el("h2", { id: "metrics", text: "其他数值（" + list.length + "）" }),
      grid(["指标", "原文", "数值", "单位", "来源"], list.map(function (m) {
        return el("tr", {}, el("td", {}, m.label, " ", el("small", { text: m.metric })), num(span(m, m.value_raw)),
          num(m.value === null ? "" : m.value), el("td", { text: m.unit || "" }),
          el("td", { text: (m.source === "table" ? "表格" : "正文") + (m.approximate ? "（约数）" : "") }));
      }))];
  }

  function versions(list) {
    if (list.length < 2) return null;
    return [el("h2", { id: "versions", text: "版本（发布机关网站上的文件改过 " + (list.length - 1) + " 次）" }),
      grid(["版本", "抓取时间", "SHA-256", "地址"], list.map(function (v) {
        return el("tr", {}, num(v.version), el("td", { text: v.fetched_at || "" }), el("td", {}, el("small", { text: (v.sha256 || "").slice(0, 16) + "…" })),
          el("td", { text: v.source_url || "" }));
      }))];
  }

  function sections(list, id) {
    if (!list.length) return null;
    return [el("h2", { id: "sections", text: "章节" }), el("ul", { "class": "toc" }, list.map(function (s) {
      return el("li", { style: "margin-left: " + (s.level - 1) * 1.5 + "em" },
        el("a", { href: reportLink(id, s.start, s.end), text: (s.number || "") + " " + (s.heading || "") }));
    }))];
  }

  // The text with every value's span a link and the chosen span (?start=&end=) marked: spans sorted
  // by start, the longer first, the chosen one before a value with the same span; overlaps skipped.
  // Words a mirror site put into the report (parsers/data: spam_words), struck through as the site does.
  function struck(text, spam) {
    if (!spam.length) return text;
    var pattern = new RegExp(spam.map(function (w) { return w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }).join("|"), "g");
    var out = [], pos = 0, m;
    while ((m = pattern.exec(text))) {
      out.push(text.slice(pos, m.index), el("del", { "class": "spam", title: "镜像网站插入的文字，不是发布机关的原文", text: m[0] }));
      pos = m.index + m[0].length;
    }
    out.push(text.slice(pos));
    return out;
  }

  function reportText(text, values, id, spam) {
    var start = parseInt(args.get("start"), 10), end = parseInt(args.get("end"), 10);
    var selected = start >= 0 && end > start && end <= text.length;
    var spans = values.filter(function (v) { return v.end > v.start; }).map(function (v) { return [v.start, 0, v.end]; });
    if (selected) spans.push([start, -1, end]);
    spans.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1] || b[2] - a[2]; });
    var box = el("div", { "class": "report-text" }), pos = 0;
    spans.forEach(function (s) {
      if (s[0] < pos) return;
      add(box, struck(text.slice(pos, s[0]).join(""), spam));
      var words = text.slice(s[0], s[2]).join("");
      add(box, s[1] === -1 ? el("mark", { id: "hl", text: words }) : el("a", { "class": "v", href: reportLink(id, s[0], s[2]), text: words }));
      pos = s[2];
    });
    add(box, struck(text.slice(pos).join(""), spam));
    return [el("h2", { id: "text", text: "报告原文" }),
      el("p", {}, "蓝色为提取出的数值，点击可在此高亮；", selected ? ["黄色为所选位置（第 " + start + "–" + end + " 个字符）：",
        el("a", { href: "#hl", text: "「" + text.slice(start, Math.min(end, start + 60)).join("") + "」" })] : ""), box];
  }

  // --- agency.html?key= ---------------------------------------------------------------------
  function agencyPage() {
    var key = args.get("key") || "";
    return rows("select * from agencies where agency_key = ?", [key]).then(function (found) {
      var a = found[0];
      if (!a) return show(crumbs(), title("机关不存在"), el("p", { text: "没有这个机关：" + key }));
      return rows("select r.id, r.title, r.year, r.reading, f.applications_received, f.granted, f.partially_granted, " +
        "f.admin_reviews, f.lawsuits from reports r left join report_figures f on f.report_id = r.id " +
        "where r.agency_key = ? order by r.year, r.id", [key]).then(function (reports) {
        show(crumbs(a.province ? el("a", { href: page("region.html", { province: a.province }), text: a.province }) : "报告"),
          title(a.name),
          el("p", { text: [a.province, a.city, a.county].filter(Boolean).join(" ") + (a.level ? "（" + a.level + "）" : "") +
            "：" + a.reports + " 份报告，" + (a.first_year || "?") + "–" + (a.last_year || "?") + " 年" }),
          el("h2", { text: "历年报告" }),
          grid(["年度", "报告", "读取情况", "新收申请", "予以公开", "部分公开", "行政复议", "行政诉讼"], reports.map(function (r) {
            return el("tr", {}, num(r.year || ""), el("td", {}, el("a", { href: reportLink(r.id), text: r.title || r.id })),
              el("td", { text: READING[r.reading] || r.reading || "" }),
              [r.applications_received, r.granted, r.partially_granted, r.admin_reviews, r.lawsuits].map(function (v) { return num(v === null ? "" : v); }));
          })));
      });
    });
  }

  // --- region.html?province=&place= ---------------------------------------------------------
  function regionPage() {
    var province = args.get("province") || "", place = args.get("place") || "";
    var offset = Math.max(0, parseInt(args.get("offset"), 10) || 0);
    // every query reads the static_reports_place index only (static_copy.STATIC_INDEXES), never the rows
    var reports = "reports indexed by static_reports_place";
    var where = "province = ?" + (place ? " and coalesce(city, county) = ?" : "");
    var params = place ? [province, place] : [province];
    var found = {};
    return rows("select count(*) as n, count(distinct agency_key) as agencies from " + reports + " where " + where, params)
      .then(function (r) { found.total = r[0]; })
      .then(function () {
        return place ? [] : rows("select coalesce(city, county) as place, count(*) as n from " + reports + " where " + where +
          " and coalesce(city, county) is not null group by 1 order by n desc, 1", params);
      }).then(function (r) { found.places = r; })
      .then(function () {
        return rows("select id, year, title, agency, agency_key from " + reports + " where " + where +
          " order by year desc, agency, id limit " + (PAGE_ROWS + 1) + " offset " + offset, params);
      }).then(function (reports) {
        var more = reports.length > PAGE_ROWS;
        show(crumbs(el("a", { href: "place.html", text: "地区" }), place ? el("a", { href: page("region.html", { province: province }), text: province }) : null),
          title(place ? province + " " + place : province),
          el("p", { text: found.total.n + " 份报告，" + found.total.agencies + " 个机关" }),
          found.places.length ? [el("h2", { text: "市、县" }), el("ul", { "class": "places" }, found.places.map(function (p) {
            return el("li", {}, el("a", { href: page("region.html", { province: province, place: p.place }), text: p.place }), " " + p.n + " 份");
          }))] : null,
          el("h2", { text: "报告" }),
          grid(["年度", "报告", "机关"], reports.slice(0, PAGE_ROWS).map(function (r) {
            return el("tr", {}, num(r.year || ""), el("td", {}, el("a", { href: reportLink(r.id), text: r.title || r.id })),
              el("td", {}, r.agency_key ? el("a", { href: page("agency.html", { key: r.agency_key }), text: r.agency }) : (r.agency || "")));
          })),
          el("p", {}, offset ? el("a", { href: page("region.html", { province: province, place: place, offset: Math.max(0, offset - PAGE_ROWS) }), text: "上一页" }) : "", " ",
            more ? el("a", { href: page("region.html", { province: province, place: place, offset: offset + PAGE_ROWS }), text: "下一页" }) : ""));
      });
  }

  // --- query.html?name=&…: a canned query of metadata.yml ------------------------------------
  function bound(o, spec, values) {
    var params = {};
    spec.parameters.forEach(function (p) { params[":" + p] = values[p] || ""; });
    spec.fts.forEach(function (p) { params[":" + p + "__fts"] = ftsQuery(values[p] || "", o.site.fold); });
    return params;
  }
  function marked(text, words) {
    // the searched words marked in a passage, as text nodes and <mark>s
    var terms = (words || "").trim().split(/\s+/).filter(Boolean), out = [], rest = text || "";
    if (!terms.length) return rest;
    var pattern = new RegExp(terms.map(function (t) { return t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }).join("|"), "g");
    var pos = 0, m;
    while ((m = pattern.exec(rest))) {
      out.push(rest.slice(pos, m.index), el("mark", { text: m[0] }));
      pos = m.index + m[0].length;
      if (!m[0].length) pattern.lastIndex++;
    }
    out.push(rest.slice(pos));
    return out;
  }
  function cell(row, column, values) {
    var value = row[column];
    if (value === null || value === undefined) return el("td", { "class": "null" });
    if (column === "passage" && row.report_id) {
      return el("td", {}, el("a", { href: reportLink(row.report_id, row.start, row.end) }, marked(String(value), values.q)));
    }
    if ((column === "report_id" || (column === "id" && "title" in row)) && typeof value === "string") {
      return el("td", {}, el("a", { href: reportLink(value), text: value }));
    }
    if ((column === "value_raw" || column === "value") && row.report_id && row.end > row.start) {
      return el("td", { "class": "n" }, el("a", { href: reportLink(row.report_id, row.start, row.end), text: value }));
    }
    return el("td", { "class": typeof value === "number" ? "n" : null, text: value });
  }
  function csv(rowsOut, columns, headers) {
    var quoteCell = function (v) {
      var s = v === null || v === undefined ? "" : String(v);
      if (/^[=+\-@\t\r]/.test(s) && isNaN(Number(s))) s = "'" + s; // as the site's CSVs: no formulas
      return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
    };
    var lines = [(headers || columns).map(quoteCell).join(",")].concat(rowsOut.map(function (r) {
      return columns.map(function (c) { return quoteCell(r[c]); }).join(",");
    }));
    return "\ufeff" + lines.join("\r\n") + "\r\n";
  }
  function download(name, text) {
    var a = el("a", { href: URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" })), download: name });
    document.body.appendChild(a); a.click(); a.remove();
  }

  var PARAMETER_NAMES = { q: "搜索词", agency: "机关名称包含", province: "省份", year: "年度", year_from: "起始年度",
    year_to: "截止年度", metric: "指标", fields: "指标组", report_id: "报告", text: "词语" };

  function queryPage(o) {
    var name = args.get("name") || "", spec = o.site.queries[name];
    if (!spec) return show(crumbs(), title("查询不存在"), el("p", { text: "没有这个预设查询：" + name }));
    var values = {};
    spec.parameters.forEach(function (p) { values[p] = args.get(p) || ""; });
    var offset = Math.max(0, parseInt(args.get("offset"), 10) || 0);
    var description = el("div", { "class": "description" });
    description.innerHTML = spec.description_html; // metadata.yml: the project's words
    var form = el("form", { "class": "query-form", action: "query.html", method: "get" }, el("input", { type: "hidden", name: "name", value: name }),
      spec.parameters.map(function (p) { return el("label", {}, (PARAMETER_NAMES[p] || p) + " ", el("input", { name: p, value: values[p] })); }),
      spec.parameters.length ? el("input", { type: "submit", value: "查询" }) : null);
    var params = bound(o, spec, values);
    var needsInput = spec.fts.some(function (p) { return !values[p].trim(); });
    var head = [crumbs(el("a", { href: "ogi.html", text: "数据库" })), title(spec.title), description, form];
    if (needsInput) return show(head, el("p", { "class": "message-info", text: "请输入要查找的词语。" }));
    // with its default (blank) parameters, the rows were kept when the copy was made (static_copy.answer_queries)
    var answered = spec.answered && spec.parameters.every(function (p) { return !values[p]; });
    var whole = answered ? "select * from [" + spec.answered + "] order by rowid" : spec.sql;
    var sql = "select * from (" + whole + "\n) limit " + (PAGE_ROWS + 1) + " offset " + offset;
    return rows(sql, params).then(function (found) {
      var columns = found.length ? Object.keys(found[0]) : [];
      var more = found.length > PAGE_ROWS;
      var button = el("button", { type: "button", "class": "csv", text: "下载 CSV（全部结果）" });
      button.addEventListener("click", function () {
        rows(whole, params).then(function (all) {
          download(name + ".csv", csv(all, all.length ? Object.keys(all[0]) : columns));
        });
      });
      var nav = function (to) { return page("query.html", Object.assign({ name: name, offset: to || "" }, values)); };
      show(head, el("p", { "class": "count", text: (found.length ? (offset + 1) + "–" + (offset + Math.min(found.length, PAGE_ROWS)) + " 行" : "没有结果") }), button,
        found.length ? grid(columns, found.slice(0, PAGE_ROWS).map(function (r) {
          return el("tr", {}, columns.map(function (c) { return cell(r, c, values); }));
        }), "rows") : null,
        el("p", {}, offset ? el("a", { href: nav(Math.max(0, offset - PAGE_ROWS)), text: "上一页" }) : "", " ",
          more ? el("a", { href: nav(offset + PAGE_ROWS), text: "下一页" }) : ""));
    });
  }

  // --- compare.html: the report builder (the `compare` canned query, one row per report) -------
  var GROUPS = [["applications", "申请：新收、结转、办理结果"], ["outcomes", "予以公开、部分公开"], ["refusals", "不予公开等理由"],
    ["reviews", "行政复议"], ["lawsuits", "行政诉讼"], ["fees", "收费"]];

  function comparePage(o) {
    var spec = o.site.queries.compare;
    var chosen = args.getAll("fields");
    if (!chosen.length) chosen = ["applications", "outcomes"];
    var values = { agency: args.get("agency") || "", province: args.get("province") || "", year_from: args.get("year_from") || "",
      year_to: args.get("year_to") || "", fields: chosen.join(",") };
    var form = el("form", { "class": "compare", action: "compare.html", method: "get" },
      [["agency", "机关名称包含", "如：平潭"], ["province", "省份", "如：福建省"], ["year_from", "起始年度", ""], ["year_to", "截止年度", ""]].map(function (f) {
        return el("label", {}, f[1], el("input", { name: f[0], value: values[f[0]], placeholder: f[2] || null }));
      }),
      el("fieldset", {}, el("legend", { text: "指标" }), GROUPS.map(function (g) {
        var box = el("input", { type: "checkbox", name: "fields", value: g[0] });
        box.checked = chosen.indexOf(g[0]) >= 0;
        return el("label", {}, box, g[1]);
      })),
      el("input", { type: "submit", value: "生成表格" }));
    return rows(spec.sql, bound(o, spec, values)).then(function (found) {
      var fields = [], labels = {}, order = {}, table = {}, reports = [];
      found.forEach(function (row) {
        if (fields.indexOf(row.field) < 0) { fields.push(row.field); labels[row.field] = row.label || row.field; order[row.field] = row.field_order || 0; }
        if (!table[row.report_id]) { table[row.report_id] = {}; reports.push(row); }
        table[row.report_id][row.field] = row;
      });
      fields.sort(function (a, b) { return order[a] - order[b] || (a < b ? -1 : 1); }); // the official order
      var wide = reports.map(function (r) {
        var line = { report_id: r.report_id, agency: r.agency, year: r.year, province: r.province };
        fields.forEach(function (f) { line[f] = table[r.report_id][f] ? table[r.report_id][f].value : null; });
        return line;
      });
      var wideButton = el("button", { type: "button", "class": "csv-wide", text: "下载 CSV（每份报告一行）" });
      wideButton.addEventListener("click", function () {
        download("compare-wide.csv", csv(wide, ["report_id", "agency", "year", "province"].concat(fields),
          ["报告", "机关", "年度", "省份"].concat(fields.map(function (f) { return labels[f]; }))));
      });
      var longButton = el("button", { type: "button", "class": "csv-long", text: "下载 CSV（每个数字一行）" });
      longButton.addEventListener("click", function () {
        download("compare.csv", csv(found, found.length ? Object.keys(found[0]) : []));
      });
      var blank = !(values.agency || values.province || values.year_from || values.year_to);
      show(crumbs(), title("比较与下载"),
        el("p", { text: "选择机关（名称中含的字；几个机关用、分开）、省份、年度和指标，得到一张表：每行一份报告，每个数字都链接到它在报告原文中的位置。" }),
        form,
        blank ? el("p", { "class": "message-info", text: "还没有选择机关、省份或年度：下面是按机关名称排在最前的 10 份报告，作为示例。" })
          : (!reports.length ? el("p", { "class": "message-warning", text: "没有找到符合条件的年度报告。" }) : null),
        el("p", { text: reports.length + " 份报告，" + found.length + " 个数字 · " }, wideButton, " ", longButton),
        grid(["报告", "年度"].concat(fields.map(function (f) { return labels[f]; })), reports.map(function (r) {
          return el("tr", {}, el("td", {}, el("a", { href: reportLink(r.report_id), text: r.agency || r.report_id })), num(r.year || ""),
            fields.map(function (f) {
              var v = table[r.report_id][f];
              return num(v ? (v.end > v.start ? el("a", { href: reportLink(r.report_id, v.start, v.end), text: v.value_raw || v.value }) : v.value) : "");
            }));
        }), "figures"));
    });
  }

  // --- find.html?q=平潭 2022: plugins/ogi_site.py find_terms and find_queries, in JavaScript -------
  var FIND_LIMIT = 200;
  function findTerms(q) {
    var years = [], words = [];
    q.trim().split(/[\s、，,；;]+/).forEach(function (term) {
      if (/^(?:19|20)\d\d年?(?:度)?$/.test(term)) years.push(parseInt(term.slice(0, 4), 10));
      else if (term) words.push(term);
    });
    return { years: years, words: words };
  }
  window.ogiFindTerms = findTerms; // for tests: the same as ogi_site.find_terms

  function findQueries(t, fold) {
    var row = "select r.id, r.title, r.agency, r.agency_key, r.province, coalesce(r.city, r.county) as place, r.year from ";
    var inYears = t.years.length ? " and r.year in (" + t.years.map(function () { return "?"; }).join(", ") + ")" : "";
    var order = " order by r.year desc, r.province, r.agency, r.id limit " + FIND_LIMIT;
    if (!t.words.length) return t.years.length ? [["年度", row + "reports r where 1" + inYears + order, t.years]] : [];
    var named = t.words.map(function () { return "(name like ? or province like ? or city like ? or county like ?)"; }).join(" and ");
    var likes = [];
    t.words.forEach(function (w) { for (var i = 0; i < 4; i++) likes.push("%" + w + "%"); });
    return [
      // an agency's reports from the copy's index alone (static_copy.STATIC_INDEXES)
      ["机关或地区名称", row + "reports r indexed by static_reports_agency where r.agency_key in " +
        "(select agency_key from agencies where " + named + ")" + inYears + order, likes.concat(t.years)],
      // the first matches of the text index, not all of them: each costs its report's row here
      ["标题和全文（前 " + FIND_LIMIT * 5 + " 处匹配）", row + "reports r where r.rowid in (select rowid from reports_fts " +
        "where reports_fts match ? limit " + FIND_LIMIT * 5 + ")" + inYears + order, [ftsQuery(t.words.join(" "), fold)].concat(t.years)]
    ];
  }

  function findPage(o) {
    var q = args.get("q") || "", t = findTerms(q), how = null, found = [];
    var form = el("form", { "class": "find", action: "find.html", method: "get" },
      el("input", { type: "search", name: "q", value: q, placeholder: "如：平潭 2022、福建省 公安、芙蓉区", "aria-label": "机关、地区或年度" }),
      el("input", { type: "submit", value: "找报告" }));
    return findQueries(t, o.site.fold).reduce(function (done, query) {
      return done.then(function () {
        if (found.length) return;
        return rows(query[1], query[2]).then(function (r) { found = r; how = query[0]; });
      });
    }, Promise.resolve()).then(function () {
      show(crumbs(), title(q ? "找报告：" + q : "找报告"), form,
        el("p", { text: "写机关或地区名称中的字，可加年度（如 平潭 2022、福建 公安）；几个词同时满足。" }),
        q && !found.length ? el("p", { "class": "message-warning", text: "没有找到报告。机关名称写其中的几个字即可（如 芙蓉区），省份可写简称（如 福建），年度写四位数字。" }) : null,
        found.length ? [el("p", { text: found.length + " 份报告" + (found.length >= FIND_LIMIT ? "（只显示前 " + FIND_LIMIT + " 份：加上年度或地区可缩小范围）" : "") +
            "，按" + how + "找到" + (t.years.length ? "，年度 " + t.years.join("、") : "") + "。" }),
          grid(["年度", "报告", "机关", "地区"], found.map(function (r) {
            return el("tr", {}, num(r.year || "—"), el("td", {}, el("a", { href: reportLink(r.id), text: r.title || r.id })),
              el("td", {}, r.agency_key ? el("a", { href: page("agency.html", { key: r.agency_key }), text: r.agency }) : (r.agency || "")),
              el("td", {}, r.province ? [el("a", { href: page("region.html", { province: r.province }), text: r.province }),
                r.place ? [" ", el("a", { href: page("region.html", { province: r.province, place: r.place }), text: r.place })] : ""] : ""));
          }), "reports")] : null);
    });
  }

  // --- download.html: the database, as the chunks the copy reads -----------------------------
  function downloadPage(o) {
    var d = o.site.database;
    show(crumbs(), title("下载数据库"),
      el("p", { text: "整个数据库（SQLite，" + (d.databaseLengthBytes / 1048576).toFixed(1) + " MB）分成 " + d.chunks.length +
        " 个文件，每个不超过 " + d.serverChunkSize / 1048576 + " MB（静态网站对单个文件大小有限制）。下载全部文件后按顺序合并：" }),
      el("pre", { text: "cat ogi.db.* > ogi.db\nsha256sum ogi.db   # 应为 " + d.sha256 }),
      el("ul", {}, d.chunks.map(function (c) {
        return el("li", {}, el("a", { href: "data/" + c.file, download: c.file, text: c.file }), " " + c.bytes + " 字节");
      })));
  }

  var PAGES = { report: reportPage, agency: agencyPage, region: regionPage, query: queryPage, compare: comparePage, find: findPage,
    download: downloadPage };
  open().then(function (o) { return PAGES[app.dataset.page](o); }).then(function () {
    app.dataset.ready = "1"; // tests wait for it
  }).catch(failed);
})();
