/* storylens web app: small progressive touches; every page works without this file.
   No network but our own API, no innerHTML: only textContent and attributes. */
(function () {
  "use strict";

  // Ingest page: follow running jobs' status and progress until none is left running.
  var jobs = document.getElementById("jobs");
  var url = jobs && jobs.getAttribute("data-poll");
  if (jobs && url && url.charAt(0) === "/" && window.fetch) {
    var statuses = ["queued", "running", "done", "failed"];
    var timer = null;
    var update = function (job) {
      var row = jobs.querySelector('tr[data-job="' + String(parseInt(job.id, 10)) + '"]');
      if (!row) { return; }
      var status = row.querySelector('[data-field="status"]');
      var progress = row.querySelector('[data-field="progress"]');
      if (status && statuses.indexOf(job.status) >= 0) {
        status.textContent = job.status;
        status.className = "tag status status-" + job.status;
      }
      if (progress) {
        progress.textContent = job.error || job.progress || "";
        progress.classList.toggle("error", Boolean(job.error));
      }
    };
    var poll = function () {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (!body || !Array.isArray(body.items)) { return stop(); }
          body.items.forEach(update);
          var busy = body.items.some(function (job) {
            return job.status === "queued" || job.status === "running";
          });
          if (!busy) { stop(); }
        })
        .catch(stop);
    };
    var stop = function () {
      if (timer !== null) { window.clearInterval(timer); timer = null; }
      var note = document.getElementById("poll-note");
      if (note) { note.textContent = ""; }
    };
    timer = window.setInterval(poll, 2000);
  }

  // Story page: say how many articles a split would take, and refuse an empty split.
  var split = document.getElementById("split-form");
  if (split) {
    var button = split.querySelector('button[type="submit"]');
    var label = button ? button.textContent : "";
    var count = function () {
      var chosen = split.querySelectorAll('input[name="article"]:checked').length;
      if (button) {
        button.disabled = chosen === 0;
        button.textContent = chosen ? label + " (" + chosen + ")" : label;
      }
    };
    split.addEventListener("change", count);
    count();
  }
})();
