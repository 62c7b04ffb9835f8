package wal

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// testOptions are fast options for tests that do not test durability.
func testOptions(dir string) Options {
	return Options{Dir: dir, SegmentSize: 4 << 10, MinFreeDisk: -1, NoSync: true}
}

func openT(t testing.TB, o Options) *WAL {
	t.Helper()
	w, err := Open(o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// payloadFor returns a deterministic payload for record i of the given size.
func payloadFor(i, size int) []byte {
	p := make([]byte, size)
	for j := range p {
		p[j] = byte(i*31 + j*7)
	}
	copy(p, fmt.Sprintf("rec-%d|", i))
	return p
}

func appendT(t testing.TB, w *WAL, payload []byte) Position {
	t.Helper()
	end, err := w.Append(context.Background(), payload)
	if err != nil {
		t.Fatalf("Append(%d bytes): %v", len(payload), err)
	}
	return end
}

// readAll reads every durable record after from.
func readAll(t testing.TB, w *WAL, from Position) (payloads [][]byte, ends []Position) {
	t.Helper()
	r, err := w.NewReader(from)
	if err != nil {
		t.Fatalf("NewReader(%v): %v", from, err)
	}
	defer r.Close()
	for {
		p, end, err := r.Next()
		if err == io.EOF {
			return payloads, ends
		}
		if err != nil {
			t.Fatalf("Next after %d records: %v", len(payloads), err)
		}
		payloads = append(payloads, p)
		ends = append(ends, end)
	}
}

func checkRecords(t testing.TB, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("read %d records, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("record %d: got %d bytes %.20q, want %d bytes %.20q", i, len(got[i]), got[i], len(want[i]), want[i])
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	f := func(o Options, wantErr string) {
		t.Helper()
		err := o.Validate()
		if wantErr == "" && err != nil || wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)) {
			t.Fatalf("Validate(%+v) = %v, want error containing %q", o, err, wantErr)
		}
	}
	f(Options{Dir: "x"}, "")
	f(Options{Dir: "x", SegmentSize: 17, MaxPending: 1, MinFreeDisk: -1}, "")
	f(Options{}, "Dir is empty")
	f(Options{Dir: "x", SegmentSize: 16}, "SegmentSize 16 is too small")
	f(Options{Dir: "x", SegmentSize: -1}, "SegmentSize -1 is too small")
	f(Options{Dir: "x", MaxPending: -1}, "MaxPending -1 is negative")
}

func TestPositionLess(t *testing.T) {
	f := func(p, q Position, want bool) {
		t.Helper()
		if got := p.Less(q); got != want {
			t.Fatalf("%v.Less(%v) = %v, want %v", p, q, got, want)
		}
	}
	f(Position{}, Position{1, 8}, true)
	f(Position{1, 8}, Position{1, 8}, false)
	f(Position{1, 9}, Position{2, 8}, true)
	f(Position{2, 8}, Position{1, 900}, false)
	f(Position{3, 100}, Position{3, 101}, true)
}

func TestRoundTripAcrossSegments(t *testing.T) {
	dir := t.TempDir()
	w := openT(t, testOptions(dir))
	var want [][]byte
	var ends []Position
	sizes := []int{1, 2, 100, 4000, 10000, 3, 4080} // 10000 > SegmentSize: gets its own segment
	for i := range 300 {
		p := payloadFor(i, sizes[i%len(sizes)]+i%13)
		end := appendT(t, w, p)
		if len(ends) > 0 && !ends[len(ends)-1].Less(end) {
			t.Fatalf("Append %d returned %v, not after %v", i, end, ends[len(ends)-1])
		}
		want = append(want, p)
		ends = append(ends, end)
	}
	st := w.Stats()
	if st.Segments < 10 || st.Appends != 300 {
		t.Fatalf("Stats = %+v, want many segments and 300 appends", st)
	}
	if got := w.DurableEnd(); got != ends[len(ends)-1] {
		t.Fatalf("DurableEnd = %v, want %v", got, ends[len(ends)-1])
	}
	// No segment is larger than SegmentSize unless it holds one record.
	perSeg := map[int64]int{}
	for _, e := range ends {
		perSeg[e.Segment]++
	}
	for seg, n := range perSeg {
		fi, err := os.Stat(filepath.Join(dir, segmentName(seg)))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > 4<<10 && n > 1 {
			t.Fatalf("segment %d has %d bytes and %d records", seg, fi.Size(), n)
		}
	}
	got, gotEnds := readAll(t, w, Position{})
	checkRecords(t, got, want)
	for i := range ends {
		if gotEnds[i] != ends[i] {
			t.Fatalf("record %d: reader end %v, Append end %v", i, gotEnds[i], ends[i])
		}
	}

	// Reopen: same records, no repair, appends continue after the old end.
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w = openT(t, testOptions(dir))
	if r, ok := w.Repair(); ok {
		t.Fatalf("clean reopen repaired: %v", r)
	}
	got, _ = readAll(t, w, Position{})
	checkRecords(t, got, want)
	p := payloadFor(1000, 50)
	if end := appendT(t, w, p); !ends[len(ends)-1].Less(end) {
		t.Fatalf("Append after reopen returned %v, not after %v", end, ends[len(ends)-1])
	}
	got, _ = readAll(t, w, ends[len(ends)-1])
	checkRecords(t, got, [][]byte{p})
}

func TestAppendErrors(t *testing.T) {
	dir := t.TempDir()
	w := openT(t, testOptions(dir))
	ctx := context.Background()
	if _, err := w.Append(ctx, nil); err == nil || !strings.Contains(err.Error(), "empty payload") {
		t.Fatalf("Append(nil) = %v, want empty payload error", err)
	}
	if _, err := w.Append(ctx, make([]byte, MaxRecordSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Append(too large) = %v, want ErrTooLarge", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := w.Append(canceled, []byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Append(canceled ctx) = %v, want context.Canceled", err)
	}
	if _, err := Open(testOptions(dir)); err == nil || !strings.Contains(err.Error(), "cannot lock wal directory") {
		t.Fatalf("second Open of the same dir = %v, want lock error", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close = %v, want nil", err)
	}
	if _, err := w.Append(ctx, []byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close = %v, want ErrClosed", err)
	}
	if _, err := w.NewReader(Position{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("NewReader after Close = %v, want ErrClosed", err)
	}
	if st := w.Stats(); st.Appends != 0 || st.PendingBytes != 0 {
		t.Fatalf("Stats after refused appends = %+v", st)
	}
}

func TestConcurrentAppendGroupCommit(t *testing.T) {
	const goroutines, perG = 8, 2000
	o, h := hookOptions(t.TempDir())
	o.NoSync = false // group commit is about fsyncs
	o.SegmentSize = 256 << 10
	// synced[segment file] is the file size when its latest fsync started: an fsync covers
	// at most that, so every acknowledged record must end at or before it.
	var mu sync.Mutex
	synced := map[string]int64{}
	h.beforeSync = func(f *os.File) error {
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		mu.Lock()
		synced[filepath.Base(f.Name())] = max(synced[filepath.Base(f.Name())], fi.Size())
		mu.Unlock()
		return nil
	}
	covered := func(p Position) bool {
		mu.Lock()
		defer mu.Unlock()
		return synced[segmentName(p.Segment)] >= p.Offset
	}
	w := openT(t, o)
	ends := make([][]Position, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for seq := range perG {
				end, err := w.Append(context.Background(), fmt.Appendf(nil, "%d %d %s", g, seq, strings.Repeat("x", seq%50)))
				if err != nil {
					t.Errorf("goroutine %d Append %d: %v", g, seq, err)
					return
				}
				if !covered(end) {
					t.Errorf("goroutine %d Append %d acknowledged at %v before an fsync covered it", g, seq, end)
					return
				}
				ends[g] = append(ends[g], end)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	st := w.Stats()
	t.Logf("%d appends in %d commits with %d fsyncs over %d segments", st.Appends, st.Commits, st.Fsyncs, st.Segments)
	if st.Appends != goroutines*perG || st.PendingBytes != 0 {
		t.Fatalf("Stats = %+v, want %d appends and nothing pending", st, goroutines*perG)
	}
	if st.Fsyncs*4 > st.Appends {
		t.Fatalf("%d fsyncs for %d appends: no group commit", st.Fsyncs, st.Appends)
	}
	payloads, readEnds := readAll(t, w, Position{})
	if len(payloads) != goroutines*perG {
		t.Fatalf("read %d records, want %d", len(payloads), goroutines*perG)
	}
	next := make([]int, goroutines) // next seq expected per goroutine
	for i, p := range payloads {
		var g, seq int
		if _, err := fmt.Sscanf(string(p), "%d %d", &g, &seq); err != nil {
			t.Fatalf("record %d %q: %v", i, p, err)
		}
		if seq != next[g] {
			t.Fatalf("record %d is goroutine %d seq %d, want seq %d", i, g, seq, next[g])
		}
		next[g]++
		if ends[g][seq] != readEnds[i] {
			t.Fatalf("goroutine %d seq %d: Append returned %v, reader says %v", g, seq, ends[g][seq], readEnds[i])
		}
		if i > 0 && !readEnds[i-1].Less(readEnds[i]) {
			t.Fatalf("record %d at %v is not after %v", i, readEnds[i], readEnds[i-1])
		}
	}
}

func TestReaderResumeAndNotify(t *testing.T) {
	w := openT(t, testOptions(t.TempDir()))
	var want [][]byte
	for i := range 50 {
		want = append(want, payloadFor(i, 300))
		appendT(t, w, want[i])
	}
	r, err := w.NewReader(Position{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var mid Position
	for i := range 20 {
		p, end, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		checkRecords(t, [][]byte{p}, want[i:i+1])
		mid = end
	}
	got, _ := readAll(t, w, mid)
	checkRecords(t, got, want[20:])

	// The first reader drains, sees EOF, and continues after new appends.
	for range 30 {
		if _, _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	if _, end, err := r.Next(); err != io.EOF || end != w.DurableEnd() {
		t.Fatalf("Next at the end = %v, %v, want io.EOF at %v", end, err, w.DurableEnd())
	}
	select { // drain the notification of the earlier appends
	case <-w.Notify():
	default:
	}
	more := payloadFor(99, 5000) // crosses into a new segment
	appendT(t, w, more)
	select {
	case <-w.Notify():
	default:
		t.Fatal("Notify did not fire after a durable append")
	}
	p, _, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	checkRecords(t, [][]byte{p}, [][]byte{more})

	f := func(from Position, wantErr string) {
		t.Helper()
		_, err := w.NewReader(from)
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("NewReader(%v) = %v, want error containing %q", from, err, wantErr)
		}
	}
	end := w.DurableEnd()
	f(Position{end.Segment + 1, 0}, "past the durable end")
	f(Position{end.Segment, end.Offset + 1}, "past the durable end")
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Next(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close = %v, want ErrClosed", err)
	}
}

func TestTruncateBefore(t *testing.T) {
	dir := t.TempDir()
	w := openT(t, testOptions(dir))
	var want [][]byte
	var ends []Position
	for i := range 40 {
		want = append(want, payloadFor(i, 900)) // four records per 4 KiB segment
		ends = append(ends, appendT(t, w, want[i]))
	}
	lastEnd := map[int64]Position{} // segment -> end of its last record
	for _, e := range ends {
		lastEnd[e.Segment] = e
	}
	active := ends[len(ends)-1].Segment
	if active < 5 {
		t.Fatalf("only %d segments", active)
	}
	// A reader inside segment 2 keeps reading it after it is removed.
	inside, err := w.NewReader(ends[4])
	if err != nil {
		t.Fatal(err)
	}
	defer inside.Close()
	if _, _, err := inside.Next(); err != nil {
		t.Fatal(err)
	}

	f := func(p Position, wantRemoved int) {
		t.Helper()
		before := w.Stats().FirstSegment
		removed, err := w.TruncateBefore(p)
		if err != nil || removed != wantRemoved {
			t.Fatalf("TruncateBefore(%v) = %d, %v, want %d", p, removed, err, wantRemoved)
		}
		first := w.Stats().FirstSegment
		if first != before+int64(removed) {
			t.Fatalf("first segment %d after removing %d from %d", first, removed, before)
		}
		for seg := int64(1); seg <= active; seg++ {
			_, err := os.Stat(filepath.Join(dir, segmentName(seg)))
			if exists := err == nil; exists != (seg >= first) {
				t.Fatalf("segment %d exists = %v, first is %d", seg, exists, first)
			}
			// Every removed segment's records all end at or before p.
			if seg < first && p.Less(lastEnd[seg]) {
				t.Fatalf("segment %d removed but its last record ends at %v, after %v", seg, lastEnd[seg], p)
			}
		}
		// A reader from the start reads exactly the records of the remaining segments.
		got, _ := readAll(t, w, Position{})
		var keep [][]byte
		for i, e := range ends {
			if e.Segment >= first {
				keep = append(keep, want[i])
			}
		}
		checkRecords(t, got, keep)
	}
	f(Position{}, 0)
	f(Position{1, 8}, 0)
	f(ends[2], 0)        // inside segment 1
	f(lastEnd[1], 1)     // exactly the end of segment 1
	f(Position{3, 0}, 1) // before segment 3: removes 2
	f(Position{3, lastEnd[3].Offset - 1}, 0)
	f(lastEnd[4], 2)                 // 3 and 4
	f(w.DurableEnd(), int(active-5)) // everything but the active segment
	f(Position{active + 5, 0}, 0)    // never the active segment
	if st := w.Stats(); st.Segments != 1 || st.FirstSegment != active {
		t.Fatalf("Stats after truncating everything = %+v", st)
	}

	// The reader that was inside segment 2 still reads the rest of it and moves on to
	// the first remaining segment.
	p, _, err := inside.Next()
	if err != nil {
		t.Fatal(err)
	}
	checkRecords(t, [][]byte{p}, want[6:7])
	p, _, err = inside.Next()
	if err != nil {
		t.Fatal(err)
	}
	checkRecords(t, [][]byte{p}, want[7:8])
	_, end, err := inside.Next()
	if err != nil {
		t.Fatal(err)
	}
	if end.Segment != active {
		t.Fatalf("reader continued at %v, want segment %d", end, active)
	}

	// Reopen after truncation: numbering continues.
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w = openT(t, testOptions(dir))
	if st := w.Stats(); st.FirstSegment != active || st.LastSegment != active {
		t.Fatalf("Stats after reopen = %+v", st)
	}
}

// buildLog writes records with the given sizes to a fresh WAL in dir and returns the
// payloads and the offset where each record starts and ends.
func buildLog(t *testing.T, dir string, segmentSize int64, sizes []int) (payloads [][]byte, ends []Position) {
	t.Helper()
	o := testOptions(dir)
	o.SegmentSize = segmentSize
	w := openT(t, o)
	for i, n := range sizes {
		payloads = append(payloads, payloadFor(i, n))
		ends = append(ends, appendT(t, w, payloads[i]))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return payloads, ends
}

// copyLog copies the segment files of src into a new directory.
func copyLog(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	nums, err := listSegments(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nums {
		b, err := os.ReadFile(filepath.Join(src, segmentName(n)))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, segmentName(n)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func TestRepairTornTailAtEveryOffset(t *testing.T) {
	src := t.TempDir()
	// Segment 1 holds the first two records, segment 2 the last two.
	payloads, ends := buildLog(t, src, 1000, []int{600, 300, 250, 180})
	last := ends[len(ends)-1]
	start := ends[len(ends)-2].Offset // where the last record starts
	if last.Segment != 2 || ends[len(ends)-2].Segment != 2 {
		t.Fatalf("unexpected layout %v", ends)
	}
	for cut := start; cut < last.Offset; cut++ {
		dir := copyLog(t, src)
		seg := filepath.Join(dir, segmentName(2))
		if err := os.Truncate(seg, cut); err != nil {
			t.Fatal(err)
		}
		w, err := Open(testOptions(dir))
		if err != nil {
			t.Fatalf("cut at %d: Open: %v", cut, err)
		}
		r, ok := w.Repair()
		switch {
		case cut == start && ok:
			t.Fatalf("cut at a record boundary %d: repaired %v", cut, r)
		case cut > start && (!ok || r.Segment != 2 || r.Offset != start || r.Cut != cut-start):
			t.Fatalf("cut at %d: Repair() = %v, %v, want segment 2 cut to %d", cut, r, ok, start)
		}
		got, _ := readAll(t, w, Position{})
		checkRecords(t, got, payloads[:len(payloads)-1])
		// The next record follows the last complete one, and survives a reopen.
		extra := payloadFor(77, 40)
		if end := appendT(t, w, extra); end != (Position{2, start + 48}) {
			t.Fatalf("cut at %d: Append after repair returned %v", cut, end)
		}
		w.Close()
		w = openT(t, testOptions(dir))
		if r, ok := w.Repair(); ok {
			t.Fatalf("cut at %d: second Open repaired again: %v", cut, r)
		}
		got, _ = readAll(t, w, Position{})
		checkRecords(t, got, append(payloads[:len(payloads)-1:len(payloads)-1], extra))
		w.Close()
	}
}

func TestRepairDamage(t *testing.T) {
	src := t.TempDir()
	payloads, ends := buildLog(t, src, 1000, []int{600, 300, 250, 180, 90})
	// Layout: segment 1 = records 0,1; segment 2 = records 2,3,4.
	recStart := func(i int) int64 {
		if i == 0 || ends[i-1].Segment != ends[i].Segment {
			return segmentHeaderSize
		}
		return ends[i-1].Offset
	}
	f := func(name string, seg int64, damage func(b []byte) []byte, wantKeep int, wantReason, wantErr string) {
		t.Helper()
		dir := copyLog(t, src)
		path := filepath.Join(dir, segmentName(seg))
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, damage(b), 0o644); err != nil {
			t.Fatal(err)
		}
		w, err := Open(testOptions(dir))
		if wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), wantErr) {
				t.Fatalf("%s: Open = %v, want error containing %q", name, err, wantErr)
			}
			return
		}
		if err != nil {
			t.Fatalf("%s: Open: %v", name, err)
		}
		defer w.Close()
		r, ok := w.Repair()
		if !ok || !strings.Contains(r.Reason, wantReason) {
			t.Fatalf("%s: Repair() = %v, %v, want reason %q", name, r, ok, wantReason)
		}
		got, _ := readAll(t, w, Position{})
		checkRecords(t, got, payloads[:wantKeep])
	}
	flip := func(off int64) func([]byte) []byte {
		return func(b []byte) []byte { b[off] ^= 0x10; return b }
	}
	setLen := func(off int64, n uint32) func([]byte) []byte {
		return func(b []byte) []byte { binary.LittleEndian.PutUint32(b[off:], n); return b }
	}
	tail := func(extra []byte) func([]byte) []byte {
		return func(b []byte) []byte { return append(b, extra...) }
	}
	f("crc of last record", 2, flip(recStart(4)+5), 4, "checksum mismatch", "")
	f("payload of middle record", 2, flip(recStart(3)+20), 3, "checksum mismatch", "")
	f("payload of first record in segment", 2, flip(recStart(2)+8), 2, "checksum mismatch", "")
	f("length of middle record grows", 2, setLen(recStart(3), 181), 3, "", "")
	f("length of middle record shrinks", 2, setLen(recStart(3), 100), 3, "checksum mismatch", "")
	f("zero length", 2, setLen(recStart(4), 0), 4, "zero record length", "")
	f("huge length", 2, setLen(recStart(4), MaxRecordSize+1), 4, "over the limit", "")
	f("zero-filled tail", 2, tail(make([]byte, 4096)), 5, "zero record length", "")
	f("short garbage tail", 2, tail([]byte{1, 2, 3}), 5, "incomplete record header", "")
	f("torn header", 2, func(b []byte) []byte { return b[:3] }, 2, "incomplete segment header", "")
	f("zeroed header", 2, func(b []byte) []byte { return make([]byte, len(b)) }, 2, "zeroed segment header", "")
	f("bad magic in last segment", 2, flip(1), 0, "", "bad magic")
	f("unknown version", 2, flip(7), 0, "", "unsupported version")
	f("crc in sealed segment", 1, flip(recStart(1)+5), 0, "", "cannot open sealed segment")
	f("sealed segment cut short", 1, func(b []byte) []byte { return b[:len(b)-1] }, 0, "", "incomplete record payload")
	f("sealed segment with tail", 1, tail([]byte{0}), 0, "", "wal is corrupt")

	// A gap in the numbering is corruption too.
	dir := copyLog(t, src)
	for _, n := range []int64{3, 4} {
		if err := os.WriteFile(filepath.Join(dir, segmentName(n)), segmentHeader(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(filepath.Join(dir, segmentName(3))); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(testOptions(dir)); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "segment 3 is missing") {
		t.Fatalf("Open with a gap = %v, want ErrCorrupt naming segment 3", err)
	}
}

// hookOptions returns test options whose fsyncs and writes go through the returned hooks.
func hookOptions(dir string) (Options, *hooks) {
	h := &hooks{}
	o := testOptions(dir)
	o.hooks = h
	return o, h
}

func TestBusy(t *testing.T) {
	o, h := hookOptions(t.TempDir())
	o.MaxPending = 3*(1000+recordHeaderSize) - 1
	entered := make(chan struct{}, 10)
	release := make(chan struct{})
	var block atomic.Bool
	h.writeAt = func(f *os.File, b []byte, off int64) (int, error) {
		if block.Load() {
			entered <- struct{}{}
			<-release
		}
		return f.WriteAt(b, off)
	}
	w := openT(t, o)
	var unblock sync.Once
	releaseAll := func() { unblock.Do(func() { block.Store(false); close(release) }) }
	t.Cleanup(releaseAll) // runs before openT's Close, so a failing test cannot hang there
	block.Store(true)
	payload := payloadFor(1, 1000)
	var wg sync.WaitGroup
	appendAsync := func() {
		wg.Go(func() {
			if _, err := w.Append(context.Background(), payload); err != nil {
				t.Errorf("Append: %v", err)
			}
		})
	}
	appendAsync()
	<-entered // the writer is stuck writing record 1
	appendAsync()
	canceled := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, err := w.Append(ctx, payloadFor(3, 10))
		canceled <- err
	}()
	want := int64(2*(1000+recordHeaderSize) + 10 + recordHeaderSize)
	for w.Stats().PendingBytes != want {
		time.Sleep(time.Millisecond) // waits for a state, asserts nothing about time
	}
	// The deadline only keeps a broken build from hanging here: ErrBusy must come at once.
	guard, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	if _, err := w.Append(guard, payload); !errors.Is(err, ErrBusy) {
		t.Fatalf("Append over MaxPending = %v, want ErrBusy", err)
	}
	cancel() // the third record is still queued: it is dropped, never written
	if err := <-canceled; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled Append = %v, want context.Canceled", err)
	}
	if st := w.Stats(); st.Busy != 1 || st.PendingBytes != 2*(1000+recordHeaderSize) {
		t.Fatalf("Stats = %+v, want 1 busy and 2 records pending", st)
	}
	releaseAll()
	wg.Wait()
	appendT(t, w, payload) // room again
	got, _ := readAll(t, w, Position{})
	checkRecords(t, got, [][]byte{payload, payload, payload})

	// A record larger than MaxPending is accepted when nothing else is pending.
	o, _ = hookOptions(t.TempDir())
	o.MaxPending = 100
	w = openT(t, o)
	appendT(t, w, payloadFor(1, 1000))
}

func TestDiskFull(t *testing.T) {
	o, h := hookOptions(t.TempDir())
	o.MinFreeDisk = 1 << 20
	var free atomic.Int64
	h.statfs = func(string) (int64, error) { return free.Load(), nil }
	var failWrites atomic.Int32 // > 0: the next writes write half and fail with ENOSPC
	h.writeAt = func(f *os.File, b []byte, off int64) (int, error) {
		if failWrites.Load() > 0 {
			failWrites.Add(-1)
			n, _ := f.WriteAt(b[:len(b)/2], off)
			return n, syscall.ENOSPC
		}
		return f.WriteAt(b, off)
	}
	free.Store(1 << 19)
	w := openT(t, o)
	ctx := context.Background()
	if _, err := w.Append(ctx, []byte("a")); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("Append with little free space = %v, want ErrDiskFull", err)
	}
	free.Store(1 << 30)
	w.diskCheckedAt.Store(time.Now().UnixNano()) // as if just checked
	if _, err := w.Append(ctx, []byte("a")); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("Append before the next free-space check = %v, want ErrDiskFull (checks are periodic)", err)
	}
	w.diskCheckedAt.Store(0) // as if a second passed
	good := [][]byte{payloadFor(1, 500)}
	appendT(t, w, good[0])

	failWrites.Store(1)
	if _, err := w.Append(ctx, payloadFor(2, 500)); !errors.Is(err, ErrDiskFull) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Append with ENOSPC = %v, want ErrDiskFull wrapping ENOSPC", err)
	}
	if !w.Stats().DiskFull {
		t.Fatal("Stats.DiskFull is false after ENOSPC")
	}
	w.diskCheckedAt.Store(0)
	good = append(good, payloadFor(3, 500))
	appendT(t, w, good[1])

	// ENOSPC while creating a segment: the record fails, the log stays usable.
	failWrites.Store(1)
	if _, err := w.Append(ctx, payloadFor(4, 4000)); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("Append needing a new segment with ENOSPC = %v, want ErrDiskFull", err)
	}
	w.diskCheckedAt.Store(0)
	good = append(good, payloadFor(5, 4000))
	appendT(t, w, good[2])

	// A failed fsync is rolled back too.
	fsyncFail := errors.New("injected fsync failure")
	var failSyncs atomic.Int32
	h.beforeSync = func(*os.File) error {
		if failSyncs.Load() > 0 {
			failSyncs.Add(-1)
			return fsyncFail
		}
		return nil
	}
	w.opts.NoSync = false
	failSyncs.Store(1)
	if _, err := w.Append(ctx, payloadFor(6, 100)); !errors.Is(err, fsyncFail) {
		t.Fatalf("Append with a failing fsync = %v, want the fsync error", err)
	}
	good = append(good, payloadFor(7, 100))
	appendT(t, w, good[3])

	// If the rollback cannot be made durable either, the WAL stops taking appends.
	failSyncs.Store(2)
	if _, err := w.Append(ctx, payloadFor(8, 100)); !errors.Is(err, fsyncFail) {
		t.Fatalf("Append with a failing fsync = %v, want the fsync error", err)
	}
	if _, err := w.Append(ctx, payloadFor(9, 100)); err == nil || !strings.Contains(err.Error(), "reopen the wal") {
		t.Fatalf("Append after a failed rollback = %v, want the sticky failure", err)
	}

	got, _ := readAll(t, w, Position{})
	checkRecords(t, got, good)
	w.Close()
	w = openT(t, testOptions(o.Dir))
	if r, ok := w.Repair(); ok {
		t.Fatalf("reopen after rolled back writes repaired: %v", r)
	}
	got, _ = readAll(t, w, Position{})
	checkRecords(t, got, good)
}

// TestSyncFailureWithBatchInFlight fails an fsync while the writer has already written the
// next batch behind it: both fail, both are cut off, and the log continues from the last
// durable record.
func TestSyncFailureWithBatchInFlight(t *testing.T) {
	o, h := hookOptions(t.TempDir())
	o.NoSync = false
	syncFail := errors.New("injected fsync failure")
	var armed atomic.Bool
	entered, release := make(chan struct{}), make(chan struct{})
	h.beforeSync = func(*os.File) error {
		if armed.CompareAndSwap(true, false) {
			close(entered)
			<-release
			return syncFail
		}
		return nil
	}
	var writes atomic.Int32
	h.writeAt = func(f *os.File, b []byte, off int64) (int, error) {
		writes.Add(1)
		return f.WriteAt(b, off)
	}
	w := openT(t, o)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release) // never leave the syncer stuck when the test fails early
		}
	})
	good := payloadFor(0, 100)
	goodEnd := appendT(t, w, good)

	armed.Store(true)
	results := make(chan error, 2)
	appendAsync := func(p []byte) {
		go func() {
			_, err := w.Append(context.Background(), p)
			results <- err
		}()
	}
	appendAsync(payloadFor(1, 100))
	select {
	case <-entered: // the syncer is inside the fsync of record 1
	case <-time.After(10 * time.Second):
		t.Fatal("no fsync started for record 1")
	}
	n := writes.Load()
	appendAsync(payloadFor(2, 100))
	for writes.Load() == n {
		time.Sleep(time.Millisecond) // waits for record 2 to be written, asserts no timing
	}
	close(release)
	for range 2 {
		if err := <-results; !errors.Is(err, syncFail) {
			t.Fatalf("Append around a failed fsync = %v, want the fsync error", err)
		}
	}
	next := payloadFor(3, 100)
	if end := appendT(t, w, next); end != (Position{goodEnd.Segment, goodEnd.Offset + 108}) {
		t.Fatalf("Append after the rollback ended at %v, want right after %v", end, goodEnd)
	}
	got, _ := readAll(t, w, Position{})
	checkRecords(t, got, [][]byte{good, next})
	w.Close()
	w = openT(t, testOptions(o.Dir))
	if r, ok := w.Repair(); ok {
		t.Fatalf("reopen after the rollback repaired: %v", r)
	}
	got, _ = readAll(t, w, Position{})
	checkRecords(t, got, [][]byte{good, next})
}

// TestHelperProcess is the child of TestCrashRecovery: it appends from several goroutines
// forever and prints "goroutine seq segment offset" for every acknowledged record.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv("JYWAL_CRASH_DIR")
	if dir == "" {
		t.Skip("only run as the child of TestCrashRecovery")
	}
	round, _ := strconv.Atoi(os.Getenv("JYWAL_CRASH_ROUND"))
	w, err := Open(Options{Dir: dir, SegmentSize: 64 << 10, MinFreeDisk: -1})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	for g := range 4 {
		id := round*10 + g
		go func() {
			for seq := 0; ; seq++ {
				end, err := w.Append(context.Background(), crashPayload(id, seq))
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "%d %d %d %d\n", id, seq, end.Segment, end.Offset)
				mu.Unlock()
			}
		}()
	}
	select {}
}

func crashPayload(id, seq int) []byte {
	return append(fmt.Appendf(nil, "%d %d ", id, seq), bytes.Repeat([]byte{byte(seq)}, (seq*37)%3000+1)...)
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("starts subprocesses")
	}
	dir := t.TempDir()
	type ack struct{ id, seq int }
	acked := map[ack]Position{}
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
		cmd.Env = append(os.Environ(), "JYWAL_CRASH_DIR="+dir, fmt.Sprintf("JYWAL_CRASH_ROUND=%d", round))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1024)
		go func() {
			defer close(lines)
			br := bufio.NewReader(out)
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					return // a line cut by the kill was never complete: ignore it
				}
				lines <- line
			}
		}()
		// Kill after a number of acknowledgements that varies per round, so the kill
		// lands at different moments.
		killAfter := 500 + 397*round
		n := 0
		for line := range lines {
			var id, seq int
			var p Position
			if _, err := fmt.Sscanf(line, "%d %d %d %d", &id, &seq, &p.Segment, &p.Offset); err != nil {
				t.Fatalf("child printed %q: %v", line, err)
			}
			acked[ack{id, seq}] = p
			if n++; n == killAfter {
				if err := cmd.Process.Kill(); err != nil { // SIGKILL
					t.Fatal(err)
				}
			}
		}
		err = cmd.Wait()
		if n < killAfter {
			t.Fatalf("round %d: child stopped after %d acks: %v\n%s", round, n, err, stderr.String())
		}

		w, err := Open(Options{Dir: dir, MinFreeDisk: -1})
		if err != nil {
			t.Fatalf("round %d: Open after kill: %v", round, err)
		}
		if r, ok := w.Repair(); ok {
			t.Logf("round %d: %v", round, r)
		}
		payloads, ends := readAll(t, w, Position{})
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		// Every goroutine's records are 0, 1, 2, ... in log order, each exactly once, and
		// every acknowledged record is there at the position it was acknowledged at.
		next := map[int]int{}
		found := 0
		for i, p := range payloads {
			var id, seq int
			if _, err := fmt.Sscanf(string(p), "%d %d ", &id, &seq); err != nil {
				t.Fatalf("round %d: record %d: %v", round, i, err)
			}
			if !bytes.Equal(p, crashPayload(id, seq)) {
				t.Fatalf("round %d: record %d (%d %d) has wrong content", round, i, id, seq)
			}
			if seq != next[id] {
				t.Fatalf("round %d: record %d is goroutine %d seq %d, want seq %d", round, i, id, seq, next[id])
			}
			next[id]++
			if pos, ok := acked[ack{id, seq}]; ok {
				found++
				if pos != ends[i] {
					t.Fatalf("round %d: %d %d acknowledged at %v, found at %v", round, id, seq, pos, ends[i])
				}
			}
		}
		if found != len(acked) {
			t.Fatalf("round %d: %d of %d acknowledged records survived", round, found, len(acked))
		}
		t.Logf("round %d: %d acknowledged, %d records in the log", round, len(acked), len(payloads))
	}
}

// encodeRecords is an independent encoder of a segment, for FuzzRepair.
func encodeRecords(payloads [][]byte) (seg []byte, ends []int64) {
	seg = []byte("JYWAL1\n\x01")
	for _, p := range payloads {
		seg = binary.LittleEndian.AppendUint32(seg, uint32(len(p)))
		seg = binary.LittleEndian.AppendUint32(seg, crc32.Checksum(p, crc32.MakeTable(crc32.Castagnoli)))
		seg = append(seg, p...)
		ends = append(ends, int64(len(seg)))
	}
	return seg, ends
}

// FuzzRepair damages the tail of a valid last segment (a cut and one flipped byte) and checks
// that Open keeps exactly the records before the damage and nothing else.
func FuzzRepair(f *testing.F) {
	f.Add([]byte{10, 20, 30}, uint16(60), uint16(0), byte(0))
	f.Add([]byte{10, 20, 30}, uint16(65535), uint16(30), byte(1))
	f.Add([]byte{200, 1, 1, 7}, uint16(100), uint16(9), byte(0x80))
	f.Add([]byte{5}, uint16(3), uint16(0), byte(0))
	f.Add([]byte{5, 5}, uint16(65535), uint16(25), byte(0xff))
	f.Fuzz(func(t *testing.T, sizes []byte, cut, flipAt uint16, xor byte) {
		var payloads [][]byte
		for i, s := range sizes {
			payloads = append(payloads, payloadFor(i, int(s)+1))
		}
		seg, ends := encodeRecords(payloads)
		damage := min(int64(cut), int64(len(seg)))
		seg = seg[:damage]
		if xor != 0 && int64(flipAt) < damage {
			seg[flipAt] ^= xor
			damage = int64(flipAt)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, segmentName(1)), seg, 0o644); err != nil {
			t.Fatal(err)
		}
		w, err := Open(testOptions(dir))
		if damage < segmentHeaderSize && len(seg) >= segmentHeaderSize {
			// A flipped header byte: not ours or an unknown version, never silently reset.
			if err == nil {
				w.Close()
				t.Fatalf("Open accepted a damaged header %q", seg[:segmentHeaderSize])
			}
			return
		}
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer w.Close()
		keep, want := 0, int64(segmentHeaderSize)
		for keep < len(ends) && ends[keep] <= damage {
			want = ends[keep]
			keep++
		}
		got, _ := readAll(t, w, Position{})
		checkRecords(t, got, payloads[:keep])
		if end := w.DurableEnd(); end != (Position{1, want}) {
			t.Fatalf("DurableEnd = %v, want %v", end, Position{1, want})
		}
		if _, ok := w.Repair(); ok != (int64(len(seg)) != want) {
			t.Fatalf("Repair reported %v for a %d-byte segment cut to %d", ok, len(seg), want)
		}
	})
}
