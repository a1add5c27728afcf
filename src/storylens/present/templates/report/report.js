/* storylens report: link the columns, the fact table and every other section by fact.
   No network, no innerHTML: only classes, scrolling and textContent. */
(function () {
  "use strict";
  var ID = /^f-[0-9a-f]{12}$/;
  var root = document.querySelector(".sl-report");
  if (!root) { return; }
  var pinned = null;
  var hovered = [];
  var smooth = window.matchMedia && !window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function members(id) {
    if (!ID.test(id)) { return []; }
    return Array.prototype.slice.call(
      root.querySelectorAll('[data-facts~="' + id + '"], [data-fact="' + id + '"]')
    );
  }
  function mark(ids, cls, on) {
    ids.forEach(function (id) {
      members(id).forEach(function (el) { el.classList.toggle(cls, on); });
    });
  }
  function factsOf(el) {
    if (!el) { return []; }
    var raw = el.getAttribute("data-facts") || el.getAttribute("data-pin") || el.getAttribute("data-fact") || "";
    return raw.split(/\s+/).filter(function (id) { return ID.test(id); });
  }
  function hover(ids) {
    mark(hovered, "is-hl", false);
    hovered = ids;
    mark(hovered, "is-hl", true);
    if (pinned) { mark([pinned], "is-hl", true); }
  }
  function scrollColumns(id) {
    root.querySelectorAll(".col-body").forEach(function (body) {
      var el = body.querySelector('[data-facts~="' + id + '"]');
      if (!el) { return; }
      var top = el.getBoundingClientRect().top - body.getBoundingClientRect().top;
      var target = body.scrollTop + top - body.clientHeight / 4;
      body.scrollTo({ top: Math.max(0, target), behavior: smooth ? "smooth" : "auto" });
    });
  }
  function describe(id) {
    var row = document.getElementById(id);
    var bar = document.getElementById("pinbar");
    var text = document.getElementById("pin-text");
    var link = document.getElementById("pin-link");
    if (!bar || !text || !link) { return; }
    if (!row) { bar.hidden = true; return; }
    var number = row.querySelector(".num");
    var badge = row.querySelector(".badge");
    text.textContent = "Fact " + (number ? number.textContent : "") +
      (badge ? " — " + badge.textContent : "") +
      " — stated by " + (row.getAttribute("data-outlets") || "?");
    link.setAttribute("href", "#" + id);
    bar.hidden = false;
  }
  function pin(id) {
    if (pinned) {
      mark([pinned], "is-pinned", false);
      mark([pinned], "is-hl", false);
    }
    pinned = id && ID.test(id) ? id : null;
    var bar = document.getElementById("pinbar");
    if (!pinned) { if (bar) { bar.hidden = true; } return; }
    mark([pinned], "is-pinned", true);
    mark([pinned], "is-hl", true);
    describe(pinned);
    scrollColumns(pinned);
  }

  root.addEventListener("mouseover", function (event) {
    var el = event.target.closest("[data-facts], [data-pin], tr[data-fact], li[data-fact]");
    hover(factsOf(el));
  });
  root.addEventListener("mouseleave", function () { hover([]); });
  root.addEventListener("focusin", function (event) {
    var el = event.target.closest("[data-facts], [data-pin]");
    hover(factsOf(el));
  });
  root.addEventListener("click", function (event) {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) { return; }
    if (event.target.closest("#pin-clear")) { pin(null); return; }
    var unit = event.target.closest("a.u[data-facts]");
    if (unit) {
      event.preventDefault();
      var ids = factsOf(unit);
      pin(ids.length && ids[0] !== pinned ? ids[0] : null);
      return;
    }
    var link = event.target.closest("a[data-pin]");
    if (link) {
      var id = link.getAttribute("data-pin");
      pin(id);
      if (link.getAttribute("data-scroll") === "columns") {
        event.preventDefault();
        var columns = document.getElementById("columns");
        if (columns) { columns.scrollIntoView({ behavior: smooth ? "smooth" : "auto", block: "start" }); }
        scrollColumns(id);
      }
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { pin(null); hover([]); }
  });

  var opened = [];
  window.addEventListener("beforeprint", function () {
    root.querySelectorAll("details:not([open])").forEach(function (el) {
      el.open = true;
      opened.push(el);
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (el) { el.open = false; });
    opened = [];
  });

  var start = decodeURIComponent((location.hash || "").slice(1));
  if (start) {
    var target = document.getElementById(start);
    if (target) { pin(factsOf(target)[0] || null); }
  }
  root.setAttribute("data-ready", "true");
})();
