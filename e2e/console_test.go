package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestConsoleInBrowser drives the embedded console in headless Chromium: a demo shop, the
// owner created through /api/v1/setup, then console/tests/browser.mjs (playwright-core with
// the system's Chromium, no browser download) signs in, opens every page in zh-CN and en,
// builds a funnel and signs out, failing on any console or page error. Without Chromium,
// node or console/node_modules it skips, except under CI=true where it fails.
func TestConsoleInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and a browser: not in -short")
	}
	missing := func(what string) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %s", what)
		}
		t.Skipf("skipping the browser test: %s", what)
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		missing("no Chromium at " + chromium + " (apt-get install chromium, or set CHROMIUM)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	dir, err := filepath.Abs(filepath.Join("..", "console"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		missing("playwright-core is not installed: run npm ci in console/")
	}

	data := t.TempDir()
	cli(t, "demo", "--data", data, "--persons", "300", "--days", "14")
	var cred struct {
		ProjectID uint32 `json:"project_id"`
		SecretKey string `json:"secret_key"`
	}
	raw, err := os.ReadFile(filepath.Join(data, "demo-credentials.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &cred); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, data)
	s.WaitCaughtUp(t, project{ID: cred.ProjectID, SecretKey: cred.SecretKey})

	const email, password = "owner@shop.cn", "correct horse 1"
	body, _ := json.Marshal(map[string]string{"email": email, "password": password, "name": "店主"})
	resp, err := http.Post(s.URL+"/api/v1/setup", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/v1/setup: status %d, want 201", resp.StatusCode)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "tests/browser.mjs", "--url", s.URL, "--email", email, "--password", password, "--chromium", chromium)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("browser test failed: %v\n%s\nserver log:\n%s", err, out, s.Log())
	}
	t.Logf("%s", out)
}
