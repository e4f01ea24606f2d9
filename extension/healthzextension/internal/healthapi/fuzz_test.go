package healthapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// FuzzHandler feeds arbitrary paths, methods and Authorization headers (all
// attacker-controlled on a reachable port) and checks that every answer is
// one of the documented codes, that JSON answers parse, and that the token
// never leaks into a body.
func FuzzHandler(f *testing.F) {
	for _, seed := range []struct{ method, path, auth string }{
		{"GET", "/healthz", ""},
		{"HEAD", "/readyz", ""},
		{"GET", "/metrics", "Bearer s3cret"},
		{"GET", "/metrics/prometheus", "bearer  s3cret "},
		{"POST", "/health/components", "Basic Zm9vOmJhcg=="},
		{"GET", "/%2e%2e/healthz", ""},
		{"GET", "/healthz/../metrics", "Bearer"},
		{"DELETE", "/", "Bearer \x00"},
		{"GET", "/metrics?x=<script>", ""},
	} {
		f.Add(seed.method, seed.path, seed.auth)
	}
	f.Fuzz(func(t *testing.T, method, path, auth string) {
		u, err := url.ParseRequestURI(path)
		if err != nil || method == "" {
			return
		}
		req, err := http.NewRequestWithContext(t.Context(), method, "http://127.0.0.1"+u.RequestURI(), http.NoBody)
		if err != nil {
			return
		}
		req.Header.Set("Authorization", auth)

		fx := newFixture(t, BearerToken("s3cret"))
		fx.ready()
		rec := httptest.NewRecorder()
		fx.handler.ServeHTTP(rec, req)

		switch rec.Code {
		case http.StatusOK, http.StatusUnauthorized, http.StatusNotFound, http.StatusMethodNotAllowed:
		default:
			t.Fatalf("%s %q: unexpected status %d", method, path, rec.Code)
		}
		body := rec.Body.Bytes()
		if rec.Header().Get("Content-Type") == "application/json" && method != http.MethodHead {
			var v map[string]any
			if err := json.Unmarshal(body, &v); err != nil {
				t.Fatalf("%s %q: body is not a JSON object: %v\n%s", method, path, err, body)
			}
			_, hasStatus := v["status"]
			_, hasHealth := v["health"] // the /metrics document
			if !hasStatus && !hasHealth {
				t.Fatalf("%s %q: body has no status: %s", method, path, body)
			}
		}
		if rec.Code == http.StatusUnauthorized && bytes.Contains(body, []byte("s3cret")) {
			t.Fatalf("token leaked: %s", body)
		}
	})
}
