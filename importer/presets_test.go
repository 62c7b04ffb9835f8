package importer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPresets checks that the shipped presets are valid and that docs/examples shows the
// same files.
func TestPresets(t *testing.T) {
	ps := Presets()
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
		if _, err := PresetMapping(p.Name); err != nil {
			t.Errorf("preset %s: %v", p.Name, err)
		}
		doc, err := os.ReadFile(filepath.Join("..", "docs", "examples", p.Name+".json"))
		if err != nil {
			t.Errorf("preset %s is not in docs/examples: %v", p.Name, err)
		} else if !bytes.Equal(doc, []byte(p.JSON)) {
			t.Errorf("docs/examples/%s.json differs from the preset", p.Name)
		}
	}
	if got := strings.Join(names, ","); got != "online_retail,taobao_userbehavior" {
		t.Fatalf("presets %s", got)
	}
	if _, err := PresetMapping("nope"); err == nil {
		t.Fatal("an unknown preset was found")
	}
}

// TestWatch checks what Options.Watch reports in each pass: bytes grow to the file size,
// the validating pass writes nothing, the last call of the writing pass has every event.
func TestWatch(t *testing.T) {
	var b strings.Builder
	b.WriteString("user,ts\n")
	for i := 0; i < 25000; i++ {
		fmt.Fprintf(&b, "u%d,%d\n", i%100, 1700000000+i)
	}
	path := writeFile(t, "w.csv", b.String())
	size := int64(b.Len())
	m := mustMapping(t, `{"format":"csv","event":{"name":"Seen"},"person":{"user_id":"user"},"time":{"column":"ts","format":"unix"}}`)
	f := func(skipBad bool, wantPasses []int, wantWriting []bool) {
		t.Helper()
		var got []PassProgress
		rep, err := Run(context.Background(), Options{Path: path, Mapping: m, ProjectID: 1, SkipBad: skipBad,
			Watch: func(p PassProgress) { got = append(got, p) }}, &memSink{})
		if err != nil {
			t.Fatal(err)
		}
		var passes []int
		var writing []bool
		var last PassProgress
		for _, p := range got {
			if p.Pass != last.Pass {
				passes = append(passes, p.Pass)
				writing = append(writing, p.Writing)
			} else if p.Rows < last.Rows || p.Bytes < last.Bytes || p.Events < last.Events {
				t.Fatalf("progress went back: %+v after %+v", p, last)
			}
			if !p.Writing && p.Events != 0 {
				t.Fatalf("a validating pass wrote: %+v", p)
			}
			last = p
		}
		if fmt.Sprint(passes) != fmt.Sprint(wantPasses) || fmt.Sprint(writing) != fmt.Sprint(wantWriting) {
			t.Fatalf("passes %v writing %v, want %v %v", passes, writing, wantPasses, wantWriting)
		}
		if last.Rows != 25000 || last.Bytes != size || last.Events != 25000 || rep.Events != 25000 {
			t.Fatalf("last progress %+v (file %d bytes), report %d events", last, size, rep.Events)
		}
	}
	f(false, []int{1, 2}, []bool{false, true})
	f(true, []int{1}, []bool{true})
}
