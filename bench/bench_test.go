package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestAppendBatchIsValidAndUnique(t *testing.T) {
	var body struct {
		Batch []struct {
			MessageID string `json:"messageId"`
			Event     string `json:"event"`
		} `json:"batch"`
	}
	seen := map[string]bool{}
	for seq := 0; seq < 3; seq++ {
		b := appendBatch(nil, 2, seq, 500)
		if err := json.Unmarshal(b, &body); err != nil {
			t.Fatalf("batch %d is not JSON: %v", seq, err)
		}
		if len(body.Batch) != 500 {
			t.Fatalf("batch has %d events", len(body.Batch))
		}
		for _, e := range body.Batch {
			if seen[e.MessageID] {
				t.Fatalf("messageId %s repeats: the loader would drop it as a duplicate", e.MessageID)
			}
			seen[e.MessageID] = true
		}
	}
}

func TestMarkdownStatesBarsAndRatios(t *testing.T) {
	r := &Report{Started: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), Machine: Machine{Cores: 2, MemoryGiB: 24},
		Ingest: &IngestResult{Events: 1000, Stored: 1000, EventsPerSecond: 90_000},
		Analyses: []AnalysisResult{{Events: 10_000_000, FunnelDuckDB: Timing{Best: 400 * time.Millisecond},
			FunnelNative: Timing{Best: 800 * time.Millisecond}, RetentionDuckDB: Timing{Best: time.Second},
			RetentionNative: Timing{Best: 500 * time.Millisecond}, FunnelAgree: true, RetentionAgree: true}}}
	var b strings.Builder
	if err := r.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| cores | 2 |", "**not met**", "**0.50**", "**2.00**", "10.0M"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("results lack %q:\n%s", want, b.String())
		}
	}
}

func TestMergeMarkdownKeepsSkippedSections(t *testing.T) {
	old := "# Benchmark results\n\nWritten by `jingyun bench` on 2026-11-23 10:27 UTC. Reproduce.\n\n## Machine\n\nold machine\n\n## Ingestion over HTTP, durable\n\n| a | 1 |\n\n## Console overview, server time\n\nold overview\n"
	fresh := "# Benchmark results\n\nWritten by `jingyun bench` on 2026-11-24 09:00 UTC.\n\n## Machine\n\nnew machine\n\n## Console overview, server time\n\nnew overview\n"
	got := MergeMarkdown(fresh, old)
	for _, want := range []string{"new machine", "new overview", "## Ingestion over HTTP, durable\n\n_Kept from the run of 2026-11-23 10:27 UTC", "| a | 1 |"} {
		if !strings.Contains(got, want) {
			t.Errorf("merged report lacks %q:\n%s", want, got)
		}
	}
	for _, bad := range []string{"old machine", "old overview"} {
		if strings.Contains(got, bad) {
			t.Errorf("merged report keeps %q:\n%s", bad, got)
		}
	}
	if again := MergeMarkdown(fresh, got); strings.Count(again, "_Kept from") != 1 {
		t.Errorf("merging twice marks a section twice:\n%s", again)
	}
}

// appendBatchFormat is the reference body appendBatch must reproduce byte for byte: the
// server must receive the same requests whatever way the load generator builds them.
func appendBatchFormat(b []byte, client, seq, n int) []byte {
	b = append(b, `{"batch":[`...)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		k := seq*n + i
		b = fmt.Appendf(b, `{"type":"track","event":"Product Viewed","anonymousId":"dev-%d-%d","messageId":"b-%d-%d-%d",`+
			`"timestamp":"2026-11-01T08:%02d:%02d.%03dZ","properties":{"product_id":"p-%d","sku":"SKU-%d","name":"精选好物 %d","category":"美妆","price":%d.90,"currency":"CNY"},`+
			`"context":{"scene":1007,"page":{"path":"pages/goods/detail","query":"id=%d"},"os":{"name":"iOS","version":"17.4"},"app":{"name":"精运小店","version":"2.3.1"},"library":{"name":"jingyun-miniprogram","version":"0.1.0"}}}`,
			client, k%5000, client, seq, i, k/60%60, k%60, k%1000, k%400, k%400, k%400, 10+k%200, k%400)
	}
	return append(b, `],"sentAt":"2026-11-01T09:00:00.000Z"}`...)
}

func TestAppendBatchMatchesFormat(t *testing.T) {
	f := func(client, seq, n int) {
		t.Helper()
		got, want := appendBatch(nil, client, seq, n), appendBatchFormat(nil, client, seq, n)
		if !bytes.Equal(got, want) {
			t.Fatalf("appendBatch(%d, %d, %d) differs from the format:\n got %s\nwant %s", client, seq, n, got, want)
		}
	}
	f(0, 0, 0)
	f(0, 0, 1)
	f(7, 0, 500)
	f(3, 1, 500)
	f(12, 9, 500)
	f(1, 123, 500)
	f(5, 4999, 500)
	f(0, 77, 37)
}

func TestAppendPadded(t *testing.T) {
	f := func(v, width int, want string) {
		t.Helper()
		if got := string(appendPadded(nil, v, width)); got != want {
			t.Errorf("appendPadded(%d, %d) = %q, want %q", v, width, got, want)
		}
	}
	f(0, 2, "00")
	f(9, 2, "09")
	f(10, 2, "10")
	f(59, 2, "59")
	f(0, 3, "000")
	f(7, 3, "007")
	f(42, 3, "042")
	f(999, 3, "999")
	f(1234, 3, "1234")
}
