/// The console's stylesheet and its one script (live events, confirmations), served from
/// `/static/`. Plain CSS and JavaScript: no build chain.
enum StaticFiles {
    static let css = #"""
    :root { --fg: #1d2430; --muted: #5b6577; --line: #d9dee7; --bg: #f6f7f9; --accent: #2457c5; --bad: #b42318; --good: #157f3b; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
    header { display: flex; justify-content: space-between; align-items: center; padding: 10px 24px; background: #fff; border-bottom: 1px solid var(--line); }
    nav a { margin-right: 18px; color: var(--fg); text-decoration: none; }
    nav a.brand { font-weight: 700; color: var(--accent); }
    .who { color: var(--muted); }
    form.inline { display: inline; margin-left: 10px; }
    main { padding: 20px 24px; max-width: 1280px; }
    h1 { font-size: 20px; margin: 0 0 14px; }
    h2 { font-size: 16px; margin: 22px 0 8px; }
    table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
    th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
    th { background: #eef1f5; font-weight: 600; }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
    .cards { display: flex; flex-wrap: wrap; gap: 12px; }
    .card { background: #fff; border: 1px solid var(--line); padding: 12px 16px; min-width: 150px; }
    .card .n { font-size: 24px; font-weight: 600; }
    .card .l { color: var(--muted); }
    .state { display: inline-block; padding: 0 6px; border-radius: 3px; background: #e6e9ef; }
    .state.ready, .state.succeeded { background: #dcf3e4; color: var(--good); }
    .state.error, .state.failed { background: #fde4e1; color: var(--bad); }
    .state.running, .state.starting, .state.scaling, .state.stopping { background: #e1eafc; color: var(--accent); }
    .state.degraded { background: #fff7dc; color: #8a6d00; }
    .notice { background: #fff7dc; border: 1px solid #f0d98c; padding: 8px 12px; }
    .error-box { background: #fde4e1; border: 1px solid #f3b8b1; padding: 8px 12px; }
    .filters { margin-bottom: 12px; }
    .filters input, .filters select { margin-right: 8px; }
    pre { background: #fff; border: 1px solid var(--line); padding: 10px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
    dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; background: #fff; border: 1px solid var(--line); padding: 10px 14px; }
    dl.kv dt { color: var(--muted); }
    dl.kv dd { margin: 0; }
    ol.events { list-style: none; padding: 0; margin: 0; background: #fff; border: 1px solid var(--line); max-height: 480px; overflow-y: auto; font-family: ui-monospace, monospace; font-size: 12.5px; }
    ol.events li { padding: 3px 10px; border-bottom: 1px solid #eef1f5; }
    ol.events .at { color: var(--muted); margin-right: 8px; }
    ol.events .type { color: var(--accent); margin-right: 8px; }
    #live-status.live { color: var(--good); }
    #live-status.stale { color: var(--bad); }
    .actions form { display: inline-block; margin-right: 8px; }
    button { font: inherit; padding: 3px 10px; }
    button.danger { color: var(--bad); }
    .login { max-width: 340px; margin: 80px auto; background: #fff; border: 1px solid var(--line); padding: 20px 24px; }
    .login label { display: block; margin: 10px 0 4px; }
    .login input { width: 100%; padding: 6px; }
    .login button { margin-top: 16px; }
    .muted { color: var(--muted); }
    """#

    static let js = #"""
    // Berth console: live cluster events (server-sent events) and confirmations. Text only
    // goes into the page through textContent, never as HTML.
    (function () {
      "use strict";
      document.querySelectorAll("form[data-confirm]").forEach(function (form) {
        form.addEventListener("submit", function (event) {
          if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
        });
      });
      var list = document.getElementById("events");
      if (!list || !window.EventSource) { return; }
      var seen = {};
      list.querySelectorAll("li[data-id]").forEach(function (li) { seen[li.getAttribute("data-id")] = true; });
      var status = document.getElementById("live-status");
      var stateBadge = document.getElementById("cluster-state");
      var stream = list.getAttribute("data-stream");
      // The last message's id: where a new stream resumes.
      var resume = null;
      function setStatus(text, cls) { if (status) { status.textContent = text; status.className = cls; } }
      function open() {
        var source = new EventSource(resume === null ? stream : stream.replace(/after=[0-9]+/, "after=" + resume));
        source.addEventListener("open", function () { setStatus("live", "live"); });
        source.addEventListener("error", function () {
          setStatus("reconnecting…", "stale");
          // A browser gives up on a stream whose reconnect was answered with an error (the
          // console restarting, its database away): open a new one from the last place.
          if (source.readyState === EventSource.CLOSED) { window.setTimeout(open, 3000); }
        });
        source.addEventListener("event", function (message) {
          if (message.lastEventId) { resume = message.lastEventId; }
          show(message);
        });
      }
      function show(message) {
        var e = JSON.parse(message.data);
        if (seen[e.id]) { return; }
        seen[e.id] = true;
        var li = document.createElement("li");
        li.setAttribute("data-id", e.id);
        li.setAttribute("data-type", e.type);
        var at = document.createElement("span"); at.className = "at"; at.textContent = e.at;
        var type = document.createElement("span"); type.className = "type"; type.textContent = e.type;
        var text = document.createElement("span"); text.className = "message"; text.textContent = e.message;
        li.appendChild(at); li.appendChild(type); li.appendChild(text);
        list.appendChild(li);
        list.scrollTop = list.scrollHeight;
        if (e.cluster_state && stateBadge) {
          stateBadge.textContent = e.cluster_state;
          stateBadge.className = "state " + e.cluster_state;
        }
      }
      open();
    })();
    """#
}
