package console

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	assets, err := fs.Glob(dist, "dist/assets/*.js")
	if err != nil || len(assets) == 0 {
		t.Fatalf("no built assets in dist (run npm run build): %v", err)
	}
	asset := strings.TrimPrefix(assets[0], "dist")
	h := Handler()
	f := func(method, target string, status int, cache, bodyPart string) {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
		if rec.Code != status {
			t.Fatalf("%s %s: status %d, want %d", method, target, rec.Code, status)
		}
		if got := rec.Header().Get("Cache-Control"); got != cache {
			t.Fatalf("%s %s: Cache-Control %q, want %q", method, target, got, cache)
		}
		if !strings.Contains(rec.Body.String(), bodyPart) {
			t.Fatalf("%s %s: body %.200q lacks %q", method, target, rec.Body.String(), bodyPart)
		}
	}
	f("GET", "/", 200, "no-cache", `<div id="root">`)
	f("GET", "/overview", 200, "no-cache", `<div id="root">`)
	f("GET", "/funnel?x=1", 200, "no-cache", `<div id="root">`)
	f("GET", "/index.html", 200, "no-cache", `<div id="root">`)
	f("GET", asset, 200, "public, max-age=31536000, immutable", "")
	f("GET", "/assets/missing-abc123.js", 404, "", "not found")
	f("GET", "/api/v1/nope", 404, "", `"code":"not_found"`)
	f("GET", "/v1/nope", 404, "", `"code":"not_found"`)
	f("POST", "/overview", 405, "", `"code":"method_not_allowed"`)

	req := httptest.NewRequest("GET", asset, nil)
	req.Header.Set("Accept-Encoding", "br, gzip")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatal("a large asset is not sent gzipped to a client that accepts it")
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	want, _ := fs.ReadFile(dist, assets[0])
	if !bytes.Equal(plain, want) {
		t.Fatal("the gzipped asset does not decompress to the built file")
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", asset, nil))
	req = httptest.NewRequest("GET", asset, nil)
	req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Fatalf("conditional GET: status %d, want 304", rec.Code)
	}
}
