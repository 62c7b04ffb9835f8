package app

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryRouteIsDocumented checks that each route registered in this package has its
// path and method in api/openapi.yaml, so the contract file cannot fall behind the server.
func TestEveryRouteIsDocumented(t *testing.T) {
	spec, err := os.ReadFile("../api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(spec)
	files, _ := filepath.Glob("*.go")
	route := regexp.MustCompile(`mux\.HandleFunc\("([A-Z]+) (/[^"]*)"`)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range route.FindAllStringSubmatch(string(src), -1) {
			method, path := strings.ToLower(m[1]), m[2]
			if path == "/{$}" {
				continue // the landing page, not part of the API
			}
			n++
			i := strings.Index(doc, "\n  "+path+":\n")
			if i < 0 {
				t.Errorf("%s %s (%s) is not in api/openapi.yaml", m[1], path, f)
				continue
			}
			block := doc[i+1:]
			if j := strings.Index(block[3:], "\n  /"); j >= 0 {
				block = block[:j+3]
			}
			if k := strings.Index(block, "\ncomponents:"); k >= 0 {
				block = block[:k]
			}
			if !strings.Contains(block, "\n    "+method+":") {
				t.Errorf("%s %s (%s): api/openapi.yaml lacks the %s operation", m[1], path, f, method)
			}
		}
	}
	if n < 15 {
		t.Fatalf("found only %d routes: the pattern no longer matches how routes are registered", n)
	}
}
