// Package console serves the operator's web app (the single-page app in this folder, built
// by Vite into dist/) from the Go binary, so `go build` alone gives a working console.
//
// It owns the built files and how they are served: hashed assets under /assets/ with a
// year-long immutable cache, every other known file revalidated, and index.html for any
// other GET path that is not under /api/ or /v1/ (the app routes on the client). It must
// not touch the API: requests under /api/ and /v1/ that reach it get a JSON 404.
//
// dist/ is committed. After changing the app run `npm ci && npm run build` here; CI runs
// scripts/check-dist.sh, which rebuilds into a temporary directory and fails when the
// committed dist differs.
//
// For development, JINGYUN_CONSOLE_DIR names a directory of built files (vite build
// --outDir) to serve instead of the embedded ones.
package console

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/jingyun/jingyun/apierr"
)

//go:embed all:dist
var dist embed.FS

//go:embed overview-specs.json
var overviewSpecs []byte

// OverviewSpecs returns the overview page's analysis specs as JSON, an object keyed by the
// range in days ("7", "30") whose values are the arrays of specs the page sends at once
// (written from src/overviewSpecs.ts by scripts/overview-specs.mjs). The benchmark times
// them; callers must not modify the returned bytes.
func OverviewSpecs() []byte { return overviewSpecs }

// file is one built file with its strong ETag and, for text worth compressing, a gzip
// copy: all computed once, on first request.
type file struct {
	data []byte
	etag string
	gz   []byte
}

// Handler serves the console. It is safe for concurrent use and reads only the embedded
// files; register it for "/" so that every more specific API pattern still wins.
func Handler() http.Handler {
	var root fs.FS = dist
	prefix := "dist/"
	if dir := os.Getenv("JINGYUN_CONSOLE_DIR"); dir != "" {
		root, prefix = os.DirFS(dir), ""
	}
	return &handler{files: map[string]*file{}, root: root, prefix: prefix}
}

type handler struct {
	mu     sync.Mutex
	files  map[string]*file
	root   fs.FS
	prefix string
}

// contentSecurityPolicy allows only the console's own scripts; Ant Design writes its
// styles at run time, hence 'unsafe-inline' for styles only.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := path.Clean("/" + r.URL.Path)
	if p == "/api" || p == "/v1" || strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/v1/") {
		apierr.Write(w, nil, apierr.New(http.StatusNotFound, "not_found", "no such API endpoint"))
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		apierr.Write(w, nil, apierr.New(http.StatusMethodNotAllowed, "method_not_allowed", "the console answers GET and HEAD only"))
		return
	}
	name := strings.TrimPrefix(p, "/")
	f := h.open(name)
	switch {
	case f != nil && strings.HasPrefix(name, "assets/"):
		// Vite names assets by a hash of their content: a name never changes meaning.
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	case f != nil && name != "index.html":
		w.Header().Set("Cache-Control", "no-cache")
	case strings.HasPrefix(name, "assets/") || name == "favicon.ico":
		// A missing asset must not turn into index.html (a script parsed as HTML fails
		// with a confusing error); an old tab asking for a replaced chunk gets a plain 404.
		http.NotFound(w, r)
		return
	default:
		name = "index.html"
		if f = h.open(name); f == nil {
			http.Error(w, "the console is not built: run npm ci && npm run build in console/", http.StatusNotFound)
			return
		}
	}
	if name == "index.html" {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "same-origin")
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	data, etag := f.data, f.etag
	if f.gz != nil {
		w.Header().Set("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			data, etag = f.gz, strings.TrimSuffix(f.etag, `"`)+`-gz"`
			w.Header().Set("Content-Encoding", "gzip")
		}
	}
	w.Header().Set("ETag", etag)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
}

// acceptsGzip reports whether the client takes gzip (a q=0 refusal counts as no).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			return strings.ReplaceAll(params, " ", "") != "q=0"
		}
	}
	return false
}

// open returns a built file, or nil when there is none (directories included).
func (h *handler) open(name string) *file {
	if name == "" {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if f, ok := h.files[name]; ok {
		return f
	}
	var f *file
	data, err := fs.ReadFile(h.root, h.prefix+name)
	if err == nil {
		sum := sha256.Sum256(data)
		f = &file{data: data, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
		if len(data) > 1024 && (strings.HasSuffix(name, ".js") || strings.HasSuffix(name, ".css") || strings.HasSuffix(name, ".html")) {
			var b bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
			zw.Write(data)
			zw.Close()
			f.gz = b.Bytes()
		}
	}
	h.files[name] = f
	return f
}
