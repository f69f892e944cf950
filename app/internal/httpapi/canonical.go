package httpapi

import (
	"net/http"
	"path"
)

// canonicalPrivatePaths answers 404 to a request that reaches a private path (healthPaths)
// only once decoded or cleaned: /%68ealthz, //healthz, /healthz/., /api/../readyz. The load
// balancer's edge rule hides the private paths from the internet by their literal form;
// net/http decodes percent-escapes into URL.Path and ServeMux cleans the rest, so another
// form could reach the handler through the edge, whatever the load balancer does with it.
// The health checks and the smoke check send the canonical form.
func canonicalPrivatePaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		clean := path.Clean("/" + r.URL.Path)
		if healthPaths[clean] && r.URL.EscapedPath() != clean {
			problem(w, r, http.StatusNotFound, "no such resource", "")
			return
		}
		next.ServeHTTP(w, r)
	})
}
