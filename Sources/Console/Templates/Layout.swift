/// The page frame every console page extends (`{{<layout}}{{$body}}…{{/body}}{{/layout}}`).
/// `{{…}}` escapes HTML (`& < > " '`); no template uses the unescaped `{{{…}}}` form, because
/// every name shown comes from a user. No inline script: the CSP allows `/static/` only.
enum LayoutTemplate {
    static let text = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{title}} · Berth</title>
    <link rel="stylesheet" href="/static/console.css">
    </head>
    <body>
    {{#user}}
    <header>
      <nav>
        <a href="/" class="brand">Berth</a>
        <a href="/">Overview</a>
        {{#isOperator}}<a href="/tenants">Tenants</a>{{/isOperator}}
        <a href="/clusters">Clusters</a>
        <a href="/jobs">Jobs</a>
      </nav>
      <div class="who">
        <span id="who">{{name}}</span> · {{#isOperator}}operator{{/isOperator}}{{^isOperator}}tenant <b>{{tenant}}</b>{{/isOperator}}
        <form method="post" action="/logout" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" id="logout">Sign out</button></form>
      </div>
    </header>
    {{/user}}
    <main>
    {{#notice}}<p class="notice" id="notice">{{notice}}</p>{{/notice}}
    {{$body}}{{/body}}
    </main>
    <script src="/static/console.js"></script>
    </body>
    </html>
    """#
}
