// The web dashboard: a single page (src/serve/dashboard/, compiled into the binary) that
// reads the admin JSON API from the browser. docs/dashboard.md says what it shows.
//
// Routes, all GET and open to everyone (the files hold no data; the page asks for the
// admin key and sends it as "Authorization: Bearer KEY" to the /v1/ routes itself):
//   /                   302 to /dashboard
//   /dashboard          the page (index.html); /dashboard/ too
//   /dashboard/NAME     every other embedded file (app.js, chart.js, style.css, ...)
// Every answer carries a Content-Security-Policy that allows only this origin's scripts,
// styles and API (no inline script, no third party), nosniff and no-cache.
#pragma once

namespace httplib {
class Server;
}

namespace aidmp::serve {

// The policy sent with every dashboard file; tests compare against it.
inline constexpr char kDashboardContentSecurityPolicy[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// Adds the routes above to `server`. Call before it starts listening.
void RegisterDashboardRoutes(httplib::Server* server);

}  // namespace aidmp::serve
