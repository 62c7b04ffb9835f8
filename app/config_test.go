package app

import (
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jingyun/jingyun/auth"
)

// TestConfigFileLimits: the auth, cache and import sections of a config file reach the
// parts they tune, and bad values are refused naming their section.
func TestConfigFileLimits(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "jingyun.json")
	os.WriteFile(file, []byte(`{"auth":{"secure_cookies":true},"cache":{"max_entries":5,"max_bytes":1048576,"max_age_seconds":60},
		"import":{"max_bytes":2000,"max_queued":1}}`), 0o600)
	cfg := DefaultConfig()
	cfg.DataDir = filepath.Join(dir, "data")
	if err := cfg.LoadFile(file); err != nil {
		t.Fatal(err)
	}
	s := newTestServerWith(t, cfg)
	setup := s.anon().do("POST", "/api/v1/setup", map[string]string{"email": "owner@shop.cn", "password": pw, "name": "店主"})
	if ck := setup.cookie(auth.SessionCookie); ck == nil || !ck.Secure {
		t.Fatalf("session cookie %v is not Secure with auth.secure_cookies", ck)
	}
	owner := s.signedIn(setup)
	r := owner.do("POST", "/api/v1/projects", map[string]string{"name": "A"})
	expect(t, "create A", r, 201)
	pa := uint32(r.body["project"].(map[string]any)["id"].(float64))

	expect(t, "over import.max_bytes", owner.upload(pa, "mapping", importMapping, "file", "big.csv|"+importCSV("X", 200, nil)), 413, "file_too_large", "file")

	// One upload in flight takes the project's only slot: a second is refused before its
	// file is read.
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/projects/%d/imports", s.url, pa), pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: owner.session})
	req.Header.Set(auth.CSRFHeader, owner.csrf)
	first := make(chan *http.Response, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
		}
		first <- resp
	}()
	mw.WriteField("mapping", importMapping)
	fw, _ := mw.CreateFormFile("file", "slow.csv")
	fw.Write([]byte("event,user,ts,amount\n"))
	for deadline := time.Now().Add(10 * time.Second); s.a.imports.Uploading(pa) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first upload did not reach the runner")
		}
	}
	small := "x.csv|" + importCSV("X", 2, nil)
	expect(t, "beside an upload in flight", owner.upload(pa, "mapping", importMapping, "file", small), 429, "too_many_imports")
	fw.Write([]byte(strings.TrimPrefix(importCSV("X", 2, nil), "event,user,ts,amount\n")))
	mw.Close()
	pw.Close()
	resp := <-first
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("first upload: %d", resp.StatusCode)
	}

	for _, bad := range []struct{ json, want string }{
		{`{"cache":{"max_entries":-1}}`, "cache:"},
		{`{"import":{"max_queued":-2}}`, "import:"},
		{`{"import":{"max_byte":1}}`, "max_byte"},
	} {
		os.WriteFile(file, []byte(bad.json), 0o600)
		c := DefaultConfig()
		err := c.LoadFile(file)
		if err == nil {
			err = c.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: %v, want an error naming %q", bad.json, err, bad.want)
		}
	}
}

// TestConfigDocs: every key of the configuration is in docs/configuration.md.
func TestConfigDocs(t *testing.T) {
	doc, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	var walk func(prefix string, typ reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				t.Errorf("%s%s has no JSON name", prefix, f.Name)
				continue
			}
			if f.Type.Kind() == reflect.Struct {
				walk(prefix+name+".", f.Type)
				continue
			}
			if !strings.Contains(string(doc), "| `"+prefix+name+"` |") {
				t.Errorf("docs/configuration.md has no row for %s%s", prefix, name)
			}
		}
	}
	walk("", reflect.TypeOf(Config{}))
}
