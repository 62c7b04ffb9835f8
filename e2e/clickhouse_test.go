package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jingyun/jingyun/internal/chtest"
)

// TestServeOnClickHouse runs the server with --store clickhouse: events sent over HTTP
// reach ClickHouse through the WAL and loader, identify merges the anonymous history into
// the user, and the query API answers a funnel from ClickHouse.
func TestServeOnClickHouse(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ClickHouse and a server: not in -short")
	}
	u := chtest.Start(t)
	db := chtest.Database(t, u)
	data := t.TempDir()
	p := createProject(t, data)
	t.Setenv("JINGYUN_CLICKHOUSE_DATABASE", db) // inherited by the server process
	s := startServer(t, data, "--store", "clickhouse", "--clickhouse-url", u)
	body := `{"batch":[
	 {"type":"track","anonymousId":"dev-1","event":"Product Viewed","timestamp":"2026-11-01T08:00:00Z"},
	 {"type":"track","anonymousId":"dev-1","event":"Product Added","timestamp":"2026-11-01T08:01:00Z"},
	 {"type":"identify","anonymousId":"dev-1","userId":"m-1","timestamp":"2026-11-01T08:02:00Z"},
	 {"type":"track","userId":"m-1","event":"Order Completed","timestamp":"2026-11-01T08:03:00Z"},
	 {"type":"track","anonymousId":"dev-2","event":"Product Viewed","timestamp":"2026-11-01T09:00:00Z"}]}`
	if status, err := post(s.URL+"/v1/batch", p.WriteKey, []byte(body)); err != nil || status != 200 {
		t.Fatalf("batch: %d %v", status, err)
	}
	s.WaitCaughtUp(t, p)
	spec := `{"kind":"funnel","window":"24h","date_range":{"from":"2026-11-01","to":"2026-11-01"},
	  "steps":[{"event":"Product Viewed"},{"event":"Product Added"},{"event":"Order Completed"}]}`
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/projects/%d/query", s.URL, p.ID), strings.NewReader(spec))
	req.Header.Set("Authorization", "Bearer "+p.SecretKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out struct {
		Result struct {
			Funnel struct {
				Steps []struct{ Persons int64 } `json:"steps"`
			} `json:"funnel"`
		} `json:"result"`
	}
	if err := json.Unmarshal(b, &out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("query: %d %s", resp.StatusCode, b)
	}
	var got []int64
	for _, st := range out.Result.Funnel.Steps {
		got = append(got, st.Persons)
	}
	if fmt.Sprint(got) != "[2 1 1]" {
		t.Fatalf("funnel on clickhouse = %v, want [2 1 1] (the order after login counts for the anonymous viewer)\n%s", got, b)
	}
	if !bytes.Contains([]byte(s.Log()), []byte(`event store (clickhouse)`)) {
		t.Fatalf("server did not use clickhouse:\n%s", s.Log())
	}
}
