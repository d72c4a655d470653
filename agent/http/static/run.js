// The run page's live timeline: one EventSource on /api/runs/{id}/events.
// Every value from the server is put in with textContent, never as HTML: event
// data carries model and tool text, which is untrusted. The browser resends
// Last-Event-ID when it reconnects, so nothing is missed or shown twice.
(function () {
  "use strict";
  var list = document.getElementById("timeline");
  if (!list || !window.EventSource) { return; }
  var thread = list.dataset.thread;
  var shownStatus = list.dataset.status;
  var shownQuestions = list.dataset.questions || "";
  var statusBadge = document.getElementById("run-status");
  var note = document.getElementById("live-note");
  var terminal = { completed: true, blocked: true, failed: true };

  function describe(kind, body) {
    var d = body.data || {};
    switch (kind) {
      case "plan": return "planned " + (d.steps || []).map(function (s) { return s.id; }).join(" → ");
      case "step_started": return "step " + (body.step || d.step || "") + " started";
      case "step_finished": return "step " + (d.step || "") + " finished: " + (d.summary || "");
      case "tool_called": return "tool " + (d.tool || "") + " called";
      case "verdict": return "verdict " + (d.outcome || "") + " (" + (d.rule_id || "") + "): " + (d.message || "");
      case "question": return "asked: " + (d.text || "");
      case "answer": return "answered " + JSON.stringify(d.text || "") + (d.by ? " by " + d.by : "");
      case "decision": return "decision " + (d.rule_id || "") + ": " + (d.rationale || "");
      case "audit": return "audit finished";
      case "deadline": return "deadline " + (d.rule_id || "") + " passed for " + (d.question_id || "") + ": " + (d.fallback || "");
      case "reminder": return "reminder " + (d.rule_id || "") + ": " + (d.message || "");
      default: return kind;
    }
  }

  function add(kind, body) {
    var item = document.createElement("li");
    item.className = "event " + kind;
    var when = document.createElement("time");
    when.textContent = (body.at || "").replace("T", " ").replace(/\.\d+Z$/, "Z").slice(11);
    var what = document.createElement("span");
    what.textContent = describe(kind, body);
    item.appendChild(when);
    item.appendChild(what);
    list.appendChild(item);
  }

  var source = new EventSource("/api/runs/" + encodeURIComponent(thread) + "/events");
  ["plan", "step_started", "step_finished", "tool_called", "verdict", "question", "answer",
   "decision", "audit", "deadline", "reminder"].forEach(function (kind) {
    source.addEventListener(kind, function (e) { add(kind, JSON.parse(e.data)); });
  });
  source.addEventListener("status", function (e) {
    var result = JSON.parse(e.data);
    var questions = (result.questions || []).map(function (q) { return q.id; }).join(" ");
    statusBadge.textContent = result.status;
    statusBadge.className = "status " + result.status;
    note.textContent = terminal[result.status] ? "" : "live";
    if (terminal[result.status]) { source.close(); }
    if (result.status !== "running" &&
        (result.status !== shownStatus || questions !== shownQuestions)) {
      // The run paused anew or ended: the server renders its questions and outputs.
      source.close();
      window.location.reload();
    }
  });
  source.onerror = function () { note.textContent = "reconnecting…"; };
})();
