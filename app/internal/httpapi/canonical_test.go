package httpapi

import (
	"net/http"
	"testing"

	"github.com/keelstack/keel/app/internal/health"
)

// TestPrivatePathsOnlyCanonical: the private paths answer only in their literal form; every
// encoded or uncleaned form that net/http would route to them is a 404.
func TestPrivatePathsOnlyCanonical(t *testing.T) {
	f := newFixture(t, health.Ready)
	for _, target := range []string{"/healthz", "/readyz", "/livez"} {
		if rec := f.do("GET", target); rec.Code != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", target, rec.Code)
		}
	}
	for _, target := range []string{
		"/%68ealthz", "/healthz%2F", "/%2Fhealthz", "//healthz", "/healthz/", "/healthz/.", "/./healthz",
		"/api/../healthz", "/api/%2E%2E/readyz", "/re%61dyz", "/livez//", "/%6c%69%76%65%7a",
	} {
		if rec := f.do("GET", target); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404 (a non-canonical form of a private path)", target, rec.Code)
		}
	}
	if rec := f.do("GET", "/api/v1/greetings?name=x"); rec.Code == http.StatusNotFound {
		t.Errorf("GET /api/v1/greetings = 404: the check refuses more than the private paths")
	}
}
