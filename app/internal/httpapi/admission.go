package httpapi

import (
	"net/http"
	"time"

	"github.com/keelstack/keel/app/internal/admission"
)

// admit puts API requests behind the limiter (nil: none) and their deadline; health paths
// are exempt, so a busy task still answers its load balancer and container checks.
func admit(limiter *admission.Limiter, timeout time.Duration) middleware {
	return admission.Middleware{
		Limiter: limiter,
		Timeout: timeout,
		Exempt:  func(r *http.Request) bool { return healthPaths[r.URL.Path] },
		Refuse: func(w http.ResponseWriter, r *http.Request, reason error) {
			problem(w, r, http.StatusServiceUnavailable, "over capacity", "the service is busy ("+reason.Error()+"); retry after the Retry-After header's seconds")
		},
	}.Wrap
}
