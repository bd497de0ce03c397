/// The console's pages (swift-mustache). Each extends the layout; values arrive as plain
/// strings and numbers and are HTML-escaped by `{{…}}`.
enum PageTemplates {
    static let all: [String: String] = [
        "layout": LayoutTemplate.text, "login": login, "error": error, "overview": overview, "tenants": tenants,
        "clusters": clusters, "cluster": cluster, "jobs": jobs, "job": job,
    ]

    static let login = #"""
    {{<layout}}{{$body}}
    <form method="post" action="/login" class="login" id="login-form">
      <h1>Berth console</h1>
      {{#error}}<p class="error-box" id="login-error">{{error}}</p>{{/error}}
      <input type="hidden" name="csrf" value="{{csrf}}">
      <label for="name">User</label><input id="name" name="name" autocomplete="username" value="{{name}}" required autofocus>
      <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
      <button type="submit" id="sign-in">Sign in</button>
    </form>
    {{/body}}{{/layout}}
    """#

    static let error = #"""
    {{<layout}}{{$body}}
    <h1>{{heading}}</h1>
    <p class="error-box" id="error-message">{{message}}</p>
    <p><a href="{{back}}">Back</a></p>
    {{/body}}{{/layout}}
    """#

    static let overview = #"""
    {{<layout}}{{$body}}
    <h1>Overview{{#tenant}} · {{tenant}}{{/tenant}}</h1>
    <h2>Queue</h2>
    <div class="cards">
      <div class="card"><div class="n" id="count-ready">{{ready}}</div><div class="l">ready to run</div></div>
      <div class="card"><div class="n" id="count-scheduled">{{scheduled}}</div><div class="l">scheduled later</div></div>
      <div class="card"><div class="n" id="count-running">{{running}}</div><div class="l">running</div></div>
      <div class="card"><div class="n"><a href="/jobs?state=failed" id="count-failed">{{failed}}</a></div><div class="l">failed</div></div>
      <div class="card"><div class="n" id="count-cancelled">{{cancelled}}</div><div class="l">cancelled</div></div>
      <div class="card"><div class="n" id="oldest-ready">{{oldestReady}}</div><div class="l">oldest ready job waiting</div></div>
    </div>
    <h2>Throughput</h2>
    <div class="cards">
      <div class="card"><div class="n" id="finished-minute">{{lastMinute}}</div><div class="l">jobs finished, last minute</div></div>
      <div class="card"><div class="n" id="finished-hour">{{lastHour}}</div><div class="l">jobs finished, last hour ({{succeededLastHour}} succeeded)</div></div>
      <div class="card"><div class="n" id="workers-alive">{{workers}}</div><div class="l">worker processes connected</div></div>
    </div>
    <p class="muted">Finished jobs are counted among the newest {{window}} job ids. Succeeded jobs are not counted in total: see the metrics for rates.</p>
    {{/body}}{{/layout}}
    """#

    static let tenants = #"""
    {{<layout}}{{$body}}
    <h1>Tenants</h1>
    <table id="tenants">
      <tr><th>Tenant</th><th>AWS</th><th>Region</th><th>Backend</th><th>GPU</th><th class="num">Live clusters</th><th class="num">Ready</th><th class="num">Workers</th><th class="num">Running jobs</th><th>Created</th></tr>
      {{#tenants}}
      <tr><td><a href="/clusters?tenant={{nameQuery}}">{{name}}</a></td><td>{{mode}}</td><td>{{region}}</td><td>{{backend}}</td><td>{{gpu}}</td>
          <td class="num">{{live}}</td><td class="num">{{ready}}</td><td class="num">{{workers}}</td><td class="num">{{runningJobs}}</td><td>{{created}}</td></tr>
      {{/tenants}}
      {{^tenants}}<tr><td colspan="10" class="muted">No tenants yet.</td></tr>{{/tenants}}
    </table>
    {{/body}}{{/layout}}
    """#

    static let clusters = #"""
    {{<layout}}{{$body}}
    <h1>Clusters</h1>
    <form method="get" action="/clusters" class="filters" id="cluster-filters">
      {{^boundTenant}}<input name="tenant" placeholder="tenant" value="{{filterTenant}}">{{/boundTenant}}
      <input name="name" placeholder="name starts with" value="{{filterName}}">
      <select name="state"><option value="">any state</option>{{#states}}<option{{#selected}} selected{{/selected}}>{{value}}</option>{{/states}}</select>
      <select name="backend"><option value="">any backend</option>{{#backends}}<option{{#selected}} selected{{/selected}}>{{value}}</option>{{/backends}}</select>
      <button type="submit">Filter</button>
    </form>
    <table id="clusters">
      <tr><th>Name</th><th>Tenant</th><th>State</th><th>Backend</th><th>Region</th><th class="num">Workers</th><th>Created</th><th>Error</th></tr>
      {{#clusters}}
      <tr><td><a href="/clusters/{{id}}" class="cluster-link">{{name}}</a></td><td>{{tenant}}</td><td><span class="state {{state}}">{{state}}</span></td>
          <td>{{backend}}</td><td>{{region}}</td><td class="num">{{workers}}</td><td>{{created}}</td><td>{{error}}</td></tr>
      {{/clusters}}
      {{^clusters}}<tr><td colspan="8" class="muted">No clusters match.</td></tr>{{/clusters}}
    </table>
    {{#next}}<p><a href="{{next}}" id="next-page">Older clusters →</a></p>{{/next}}
    {{/body}}{{/layout}}
    """#

    static let cluster = #"""
    {{<layout}}{{$body}}
    {{#cluster}}
    <h1>Cluster {{name}} <span class="state {{state}}" id="cluster-state">{{state}}</span></h1>
    <dl class="kv">
      <dt>Tenant</dt><dd id="cluster-tenant">{{tenant}}</dd>
      <dt>Id</dt><dd>{{id}}</dd>
      <dt>Backend</dt><dd>{{backend}} in {{region}}</dd>
      <dt>Scheduler</dt><dd id="scheduler">{{#scheduler}}{{scheduler}}{{/scheduler}}{{^scheduler}}<span class="muted">not yet</span>{{/scheduler}}</dd>
      {{#dashboard}}<dt>Dashboard</dt><dd><a href="{{dashboard}}" rel="noopener noreferrer">{{dashboard}}</a></dd>{{/dashboard}}
      {{#error}}<dt>Error</dt><dd class="error-box">{{error}}</dd>{{/error}}
      <dt>Jobs</dt><dd>{{#createJob}}<a href="/jobs/{{createJob}}" id="create-job">create {{createJob}}</a> {{/createJob}}{{#deleteJob}}<a href="/jobs/{{deleteJob}}">delete {{deleteJob}}</a>{{/deleteJob}}</dd>
      <dt>Created</dt><dd>{{created}} (updated {{updated}})</dd>
    </dl>
    {{#canDelete}}
    <div class="actions"><h2>Actions</h2>
      <form method="post" action="/clusters/{{id}}/delete" data-confirm="Delete cluster {{name}}? Its AWS resources are torn down.">
        <input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" class="danger" id="delete-cluster">Delete cluster</button>
      </form>
    </div>
    {{/canDelete}}
    <h2>Spec</h2>
    <pre id="spec">{{spec}}</pre>
    {{#showResources}}
    <h2>AWS resources</h2>
    <table id="resources"><tr><th>Step</th><th>State</th><th>Outputs</th><th>Updated</th></tr>
      {{#steps}}<tr><td>{{step}}</td><td>{{state}}</td><td><code>{{outputs}}</code></td><td>{{updated}}</td></tr>{{/steps}}
      {{^steps}}<tr><td colspan="4" class="muted">Nothing created yet.</td></tr>{{/steps}}
    </table>
    {{/showResources}}
    <h2>Events <span id="live-status" class="stale">connecting…</span></h2>
    <ol class="events" id="events" data-stream="/clusters/{{id}}/events?after={{lastEventId}}">
      {{#events}}<li data-id="{{id}}" data-type="{{type}}"><span class="at">{{at}}</span><span class="type">{{type}}</span><span class="message">{{message}}</span></li>{{/events}}
    </ol>
    {{/cluster}}
    {{/body}}{{/layout}}
    """#

    static let jobs = #"""
    {{<layout}}{{$body}}
    <h1>Jobs</h1>
    <form method="get" action="/jobs" class="filters" id="job-filters">
      <select name="state"><option value="">any state</option>{{#states}}<option{{#selected}} selected{{/selected}}>{{value}}</option>{{/states}}</select>
      <input name="kind" placeholder="kind" value="{{filterKind}}">
      {{^boundTenant}}<input name="tenant" placeholder="tenant" value="{{filterTenant}}">{{/boundTenant}}
      <button type="submit">Filter</button>
    </form>
    <table id="jobs">
      <tr><th class="num">Id</th><th>Kind</th><th>Tenant</th><th>State</th><th class="num">Attempt</th><th>Run at</th><th>Finished</th><th>Last error</th></tr>
      {{#jobs}}
      <tr><td class="num"><a href="/jobs/{{id}}">{{id}}</a></td><td>{{kind}}</td><td>{{tenant}}</td><td><span class="state {{state}}">{{state}}</span></td>
          <td class="num">{{attempt}}/{{maxAttempts}}</td><td>{{runAt}}</td><td>{{finished}}</td><td>{{lastError}}</td></tr>
      {{/jobs}}
      {{^jobs}}<tr><td colspan="8" class="muted">No jobs match.</td></tr>{{/jobs}}
    </table>
    {{#searched}}<p class="muted">{{searched}}</p>{{/searched}}
    {{#next}}<p><a href="{{next}}" id="next-page">Older jobs →</a></p>{{/next}}
    {{/body}}{{/layout}}
    """#

    static let job = #"""
    {{<layout}}{{$body}}
    {{#job}}
    <h1>Job {{id}} <span class="state {{state}}" id="job-state">{{state}}</span></h1>
    <dl class="kv">
      <dt>Kind</dt><dd>{{kind}}</dd>
      <dt>Tenant</dt><dd>{{tenant}}</dd>
      <dt>Attempt</dt><dd>{{attempt}} of {{maxAttempts}}</dd>
      <dt>Run at</dt><dd>{{runAt}}</dd>
      <dt>Created</dt><dd>{{created}}</dd>
      <dt>Finished</dt><dd>{{finished}}</dd>
      {{#lastError}}<dt>Last error</dt><dd class="error-box" id="last-error">{{lastError}}</dd>{{/lastError}}
      {{#details}}<dt>Locked by</dt><dd>{{lockedBy}}</dd><dt>Cancel requested</dt><dd>{{cancelRequested}}</dd>{{/details}}
    </dl>
    <div class="actions">
      {{#canCancel}}<form method="post" action="/jobs/{{id}}/cancel" data-confirm="Cancel job {{id}}?"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" class="danger" id="cancel-job">Cancel</button></form>{{/canCancel}}
      {{#canRetry}}<form method="post" action="/jobs/{{id}}/retry"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" id="retry-job">Retry</button></form>{{/canRetry}}
    </div>
    {{#details}}
    <h2>Arguments</h2><pre id="args">{{args}}</pre>
    <h2>Attempts and errors</h2>
    <table id="attempts"><tr><th>At</th><th class="num">Attempt</th><th>Error</th></tr>
      {{#attempts}}<tr><td>{{at}}</td><td class="num">{{attempt}}</td><td>{{error}}</td></tr>{{/attempts}}
      {{^attempts}}<tr><td colspan="3" class="muted">No failed attempts.</td></tr>{{/attempts}}
    </table>
    <h2>Output</h2><pre id="output">{{output}}</pre>
    {{/details}}
    {{/job}}
    {{/body}}{{/layout}}
    """#
}
