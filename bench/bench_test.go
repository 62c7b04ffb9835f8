package bench

import (
	"encoding/json"
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
