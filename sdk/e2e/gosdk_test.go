package e2e

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jingyun/jingyun/sdk/go/jingyun"
)

// TestGoSDKSurvivesServerCrash sends a shop backend's events with the Go SDK while the
// server is killed (SIGKILL) and restarted on the same address: the events queued while it
// was down arrive after it comes back, and none is stored twice, even those whose answer
// was lost in the crash (the collector deduplicates by messageId).
func TestGoSDKSurvivesServerCrash(t *testing.T) {
	data := t.TempDir()
	p := createProject(t, data)
	s := startServer(t, data, "127.0.0.1:0")
	addr := strings.TrimPrefix(s.URL, "http://")
	c, err := jingyun.New(jingyun.Config{
		Endpoint: s.URL, WriteKey: p.WriteKey, BatchSize: 20, FlushInterval: 50 * time.Millisecond,
		RetryBase: 50 * time.Millisecond, RetryMax: 300 * time.Millisecond, ShutdownTimeout: time.Minute,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Context: map[string]any{"app": map[string]any{"name": "shop-server"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Before the crash: a device browses anonymously, then the member logs in and pays.
	must(c.Track(jingyun.Track{AnonymousID: "dev-1", Event: "Product Viewed", MessageID: "pre-1", Properties: map[string]any{"product_id": "P1", "price": jingyun.Amount(5990)}}))
	must(c.Identify(jingyun.Identify{AnonymousID: "dev-1", UserID: "member-1", MessageID: "pre-2", Traits: map[string]any{"city": "上海"}}))
	must(c.Track(jingyun.Track{UserID: "member-1", Event: "Order Completed", MessageID: "pre-3", Properties: map[string]any{"order_id": "O1", "total": jingyun.Amount(5990), "currency": "CNY"}}))
	ids := []string{"pre-1", "pre-2", "pre-3"}

	// During: a steady stream of server events across a crash and a restart.
	const n = 400
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < n; i++ {
			err := c.Track(jingyun.Track{UserID: fmt.Sprintf("member-%d", i%5), Event: "Stock Changed", MessageID: fmt.Sprintf("go-%d", i),
				Properties: map[string]any{"sku": fmt.Sprintf("SKU-%d", i%17), "delta": -1}})
			if err != nil {
				t.Error(err)
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	for i := 0; i < n; i++ {
		ids = append(ids, fmt.Sprintf("go-%d", i))
	}
	time.Sleep(250 * time.Millisecond)
	s.Kill()
	time.Sleep(700 * time.Millisecond) // down: the client queues and retries
	down := c.Stats()
	s = startServer(t, data, addr)
	wg.Wait()
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v\n%s", err, s.Log())
	}
	st := c.Stats()
	s.WaitCaughtUp(t, p)
	s.Stop(t)

	if down.Retries == 0 || down.Queued == 0 {
		t.Errorf("stats while down %+v: the crash did not make the client queue and retry", down)
	}
	if st.Sent < int64(len(ids)) || st.Rejected != 0 || st.Refused != 0 {
		t.Errorf("final stats %+v, want all %d sent", st, len(ids))
	}
	events, copies := readEvents(t, data, p)
	checkOnce(t, copies, ids)
	if len(copies) != len(ids) {
		t.Errorf("%d distinct events stored, want %d", len(copies), len(ids))
	}
	person := map[string]int64{}
	for _, e := range events {
		if e.ID == "pre-1" || e.ID == "pre-3" {
			person[e.ID] = e.Person
		}
		if lib, _ := e.Context["library"].(map[string]any); str(lib["name"]) != "jingyun-go" {
			t.Errorf("event %s context.library %v", e.ID, e.Context["library"])
		}
		if e.ID == "pre-3" && num(e.Props["total"]) != 59.90 {
			t.Errorf("Order Completed total %v, want 59.90", e.Props["total"])
		}
	}
	if person["pre-1"] == 0 || person["pre-1"] != person["pre-3"] {
		t.Errorf("the anonymous view and the member's order belong to persons %d and %d, want one", person["pre-1"], person["pre-3"])
	}
}
