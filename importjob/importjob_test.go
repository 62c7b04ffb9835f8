package importjob

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/importer"
)

// memSink keeps events, dropping ids it has seen (as the loader does). block makes the
// first write succeed and every later one wait for its context.
type memSink struct {
	mu     sync.Mutex
	seen   map[string]bool
	events []event.Event
	writes int
	block  bool
	wrote  chan struct{}
}

func newSink() *memSink { return &memSink{seen: map[string]bool{}, wrote: make(chan struct{}, 100)} }

func (s *memSink) Write(ctx context.Context, evs []event.Event) error {
	s.mu.Lock()
	s.writes++
	n := s.writes
	if !(s.block && n > 1) {
		for _, e := range evs {
			if !s.seen[e.ID] {
				s.seen[e.ID] = true
				s.events = append(s.events, e)
			}
		}
	}
	s.mu.Unlock()
	s.wrote <- struct{}{}
	if s.block && n > 1 {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func (s *memSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.events)
}

const mapping = `{"format":"csv","event":{"column":"event"},"person":{"user_id":"user"},
  "time":{"column":"ts","format":"unix"},"properties":[{"column":"price","name":"price","type":"decimal"}]}`

func csvRows(n int, bad map[int]string) string {
	var b strings.Builder
	b.WriteString("event,user,ts,price\n")
	for i := 0; i < n; i++ {
		if s, ok := bad[i]; ok {
			b.WriteString(s + "\n")
			continue
		}
		fmt.Fprintf(&b, "Seen,u%d,%d,1.50\n", i%7, 1700000000+i)
	}
	return b.String()
}

func open(t *testing.T, dir string, sink event.Sink, cfg Config) *Runner {
	t.Helper()
	cfg.Dir = dir
	cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	r, err := Open(cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func submit(t *testing.T, r *Runner, name, body, mapping string, skipBad bool) Job {
	t.Helper()
	u, err := r.Receive(1, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	j, err := r.Submit(Request{ProjectID: 1, FileName: name, Mapping: []byte(mapping), SkipBad: skipBad}, u)
	if err != nil {
		u.Discard()
		t.Fatal(err)
	}
	return j
}

// wait polls a job until it is finished.
func wait(t *testing.T, r *Runner, id string) Job {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		j, err := r.Get(1, id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State == Done || j.State == Failed || j.State == Cancelled {
			return j
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("job %s did not finish", id)
	return Job{}
}

func TestImportJob(t *testing.T) {
	dir := t.TempDir()
	sink := newSink()
	r := open(t, dir, sink, Config{})
	body := csvRows(12000, nil)
	j := submit(t, r, `C:\exports\orders.csv`, body, mapping, false)
	if j.State != Queued || j.File != "orders.csv" || j.Bytes != int64(len(body)) || j.Passes != 2 {
		t.Fatalf("submitted %+v", j)
	}
	j = wait(t, r, j.ID)
	if j.State != Done || j.Events != 12000 || j.Progress != 1 || j.RowsTotal != 12000 || j.BytesRead != j.Bytes ||
		j.Report == nil || j.Report.File != "orders.csv" || j.StartedAt == nil || j.FinishedAt == nil || j.ReceivedAt == nil {
		t.Fatalf("done job %+v", j)
	}
	if sink.count() != 12000 {
		t.Fatalf("%d events stored", sink.count())
	}
	// Ids by line number depend on the content: the same file again gives the same ids (all
	// dropped as duplicates), another file of the same name new ones.
	if j2 := wait(t, r, submit(t, r, "orders.csv", body, mapping, false).ID); j2.State != Done || sink.count() != 12000 {
		t.Fatalf("the same file again: %+v, %d events stored", j2, sink.count())
	}
	other := csvRows(12000, map[int]string{0: "Seen,u0,1700000000,9.99"})
	if j2 := wait(t, r, submit(t, r, "orders.csv", other, mapping, false).ID); j2.State != Done || sink.count() != 24000 {
		t.Fatalf("another file of the same name: %+v, %d events stored", j2, sink.count())
	}
	// Ids keyed by columns are those `jingyun import` gives a file of the same name.
	keyed := strings.Replace(mapping, `"format":"csv",`, `"format":"csv","message_id":{"key":["user","ts"]},`, 1)
	small := csvRows(5, nil)
	viaJob := newSink()
	r2 := open(t, t.TempDir(), viaJob, Config{})
	wait(t, r2, submit(t, r2, "keyed.csv", small, keyed, false).ID)
	path := filepath.Join(t.TempDir(), "keyed.csv")
	os.WriteFile(path, []byte(small), 0o644)
	cli := newSink()
	m, _ := importer.ParseMapping([]byte(keyed))
	if _, err := importer.Run(context.Background(), importer.Options{Path: path, Mapping: m, ProjectID: 1}, cli); err != nil {
		t.Fatal(err)
	}
	if len(viaJob.events) != 5 || cli.events[0].ID != viaJob.events[0].ID || cli.events[4].ID != viaJob.events[4].ID {
		t.Fatal("the job's event ids differ from the CLI's")
	}
	if _, err := os.Stat(filepath.Join(dir, j.ID+".upload")); !os.IsNotExist(err) {
		t.Fatalf("the upload is left behind: %v", err)
	}

	// A bad row: nothing written, the line reported.
	before := sink.writes
	j = submit(t, r, "bad.csv", csvRows(30, map[int]string{17: "Seen,u1,yesterday,1.50"}), mapping, false)
	j = wait(t, r, j.ID)
	if j.State != Failed || j.ErrorCode != CodeBadRows || j.BadRowCount != 1 || len(j.BadRows) != 1 || j.BadRows[0].Line != 19 ||
		j.BadRows[0].Kind != importer.KindBadTime || j.Events != 0 || sink.writes != before {
		t.Fatalf("bad file job %+v, %d writes", j, sink.writes-before)
	}
	// The same with skip_bad: the good rows.
	j = wait(t, r, submit(t, r, "bad2.csv", csvRows(30, map[int]string{17: "Seen,u1,yesterday,1.50"}), mapping, true).ID)
	if j.State != Done || j.Events != 29 || j.Report.Skipped != 1 || j.BadRows[0].Line != 19 || j.Passes != 1 {
		t.Fatalf("skip-bad job %+v", j)
	}

	// Newest first; another project sees none of them.
	if l := r.List(1, 0); len(l) != 5 || l[0].File != "bad2.csv" || l[4].File != "orders.csv" {
		t.Fatalf("list %+v", l)
	}
	if len(r.List(2, 0)) != 0 {
		t.Fatal("another project sees the jobs")
	}
	if _, err := r.Get(2, j.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another project's get: %v", err)
	}
	if _, err := r.Cancel(1, j.ID); !errors.Is(err, ErrUncancelable) {
		t.Fatalf("cancelling a finished job: %v", err)
	}

	// Records survive a restart.
	r.Close()
	r3 := open(t, dir, sink, Config{})
	if l := r3.List(1, 0); len(l) != 5 || l[4].State != Done || l[0].BadRows[0].Line != 19 {
		t.Fatalf("after restart %+v", l)
	}
}

func TestSubmitErrors(t *testing.T) {
	r := open(t, t.TempDir(), newSink(), Config{MaxBytes: 1000})
	f := func(body, mapping string, check func(error) bool) {
		t.Helper()
		u, err := r.Receive(1, strings.NewReader(body))
		if err == nil {
			defer u.Discard()
			_, err = r.Submit(Request{ProjectID: 1, FileName: "x.csv", Mapping: []byte(mapping)}, u)
		}
		if !check(err) {
			t.Fatalf("error %v (%T)", err, err)
		}
	}
	field := func(want string) func(error) bool {
		return func(err error) bool {
			var me *MappingError
			return errors.As(err, &me) && me.Field == want
		}
	}
	fileErr := func(want string) func(error) bool {
		return func(err error) bool {
			var fe *FileError
			return errors.As(err, &fe) && strings.Contains(fe.Error(), want)
		}
	}
	f(csvRows(3, nil), `{"format":"csv"}`, field("event"))
	f(csvRows(3, nil), `{"format":"csv","event":{"name":"X"},"person":{"user_id":"user"},"time":{"column":"ts","format":"unix","zone":"Mars/Base"}}`, field("time.zone"))
	f(csvRows(3, nil), `{"format":`, func(err error) bool { var me *MappingError; return errors.As(err, &me) })
	f(csvRows(3, nil), strings.Replace(mapping, `"price","name"`, `"cost","name"`, 1), fileErr(`"cost"`))
	f("\n", mapping, fileErr("empty"))
	f("", mapping, func(err error) bool { return errors.Is(err, ErrEmpty) })
	f(csvRows(100, nil), mapping, func(err error) bool { return errors.Is(err, ErrTooLarge) })
	if ents, _ := os.ReadDir(r.cfg.Dir); len(ents) != 0 {
		t.Fatalf("refused uploads left files: %v", ents)
	}
}

// TestRestartDuringLoading stops the runner after the first batch was written: the next
// Open resumes the job with the same ids, so nothing is doubled and nothing is missing.
func TestRestartDuringLoading(t *testing.T) {
	dir := t.TempDir()
	sink := newSink()
	sink.block = true
	r := open(t, dir, sink, Config{})
	j := submit(t, r, "big.csv", csvRows(12000, nil), mapping, false)
	<-sink.wrote // the first batch is stored
	<-sink.wrote // the second is waiting
	got, _ := r.Get(1, j.ID)
	if got.State != Loading || got.Events != 5000 {
		t.Fatalf("mid-load %+v", got)
	}
	if _, err := r.Cancel(1, j.ID); !errors.Is(err, ErrUncancelable) {
		t.Fatalf("cancelling a loading job: %v", err)
	}
	r.Close()
	var rec Job
	b, _ := os.ReadFile(filepath.Join(dir, j.ID+".json"))
	json.Unmarshal(b, &rec)
	if rec.State != Loading || rec.ReceivedAt == nil {
		t.Fatalf("record after shutdown %+v", rec)
	}
	sink.block = false
	r2 := open(t, dir, sink, Config{})
	done := wait(t, r2, j.ID)
	if done.State != Done || done.Resumed != 1 || sink.count() != 12000 {
		t.Fatalf("resumed %+v, %d events stored", done, sink.count())
	}

	// A loading job interrupted longer ago than ResumeWithin is not run again.
	r2.Close()
	old := rec
	old.ID = "00000000000000aa"
	t0 := time.Now().Add(-48 * time.Hour).UTC()
	old.ReceivedAt = &t0
	b, _ = json.Marshal(old)
	os.WriteFile(filepath.Join(dir, old.ID+".json"), b, 0o600)
	os.WriteFile(filepath.Join(dir, old.ID+".upload"), []byte(csvRows(10, nil)), 0o600)
	before := sink.writes
	r3 := open(t, dir, sink, Config{})
	got, _ = r3.Get(1, old.ID)
	if got.State != Failed || got.ErrorCode != CodeInterrupted || sink.writes != before {
		t.Fatalf("stale job %+v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, old.ID+".upload")); !os.IsNotExist(err) {
		t.Fatal("the stale upload is left behind")
	}

	// Nor is one too big for the loader's dedupe window to cover.
	r3.Close()
	big := rec
	big.ID = "00000000000000bb"
	t1 := time.Now().Add(-time.Minute).UTC()
	big.ReceivedAt = &t1
	big.RowsTotal = 12000
	b, _ = json.Marshal(big)
	os.WriteFile(filepath.Join(dir, big.ID+".json"), b, 0o600)
	os.WriteFile(filepath.Join(dir, big.ID+".upload"), []byte(csvRows(10, nil)), 0o600)
	before = sink.writes
	r4 := open(t, dir, sink, Config{ResumeMaxRows: 10000})
	got, _ = r4.Get(1, big.ID)
	if got.State != Failed || got.ErrorCode != CodeInterrupted || sink.writes != before || !strings.Contains(got.Error, "10000 rows") {
		t.Fatalf("job too big to resume %+v", got)
	}
}

// TestQueueAndCancel: one job at a time; a queued job can be cancelled and writes nothing.
func TestQueueAndCancel(t *testing.T) {
	sink := newSink()
	sink.block = true
	r := open(t, t.TempDir(), sink, Config{MaxQueued: 2})
	first := submit(t, r, "a.csv", csvRows(12000, nil), mapping, false)
	<-sink.wrote
	second := submit(t, r, "b.csv", csvRows(10, nil), mapping, false)
	// The third upload is refused before a byte of it is read.
	third := &countingReader{r: strings.NewReader(csvRows(10, nil))}
	if _, err := r.Receive(1, third); !errors.Is(err, ErrQueueFull) || third.n != 0 {
		t.Fatalf("third upload: %v after %d bytes", err, third.n)
	}
	// The limit is per project: another project's import is still taken.
	u2, _ := r.Receive(2, strings.NewReader(csvRows(10, nil)))
	if _, err := r.Submit(Request{ProjectID: 2, FileName: "d.csv", Mapping: []byte(mapping)}, u2); err != nil {
		t.Fatalf("another project's import refused: %v", err)
	}
	if got, _ := r.Get(1, second.ID); got.State != Queued {
		t.Fatalf("second job runs beside the first: %+v", got)
	}
	if _, err := r.Cancel(2, second.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("cancel from another project: %v", err)
	}
	if got, err := r.Cancel(1, second.ID); err != nil || got.State != Cancelled {
		t.Fatalf("cancel queued: %+v %v", got, err)
	}
	if got, _ := r.Get(1, first.ID); got.State != Loading {
		t.Fatalf("first %+v", got)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// TestUploadSlots: an upload being received holds a queue slot of its project until it is
// queued or discarded, so uploads beyond MaxQueued are refused before they are read.
func TestUploadSlots(t *testing.T) {
	sink := newSink()
	sink.block = true
	r := open(t, t.TempDir(), sink, Config{MaxQueued: 1})
	body := csvRows(10, nil)
	u1, err := r.Receive(1, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Receive(1, strings.NewReader(body)); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("second upload beside one in flight: %v", err)
	}
	// A refused submission keeps the slot until the caller discards the upload.
	if _, err := r.Submit(Request{ProjectID: 1, FileName: "x.csv", Mapping: []byte(`{`)}, u1); err == nil {
		t.Fatal("bad mapping accepted")
	}
	if _, err := r.Receive(1, strings.NewReader(body)); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("upload before the discard: %v", err)
	}
	u1.Discard()
	u1.Discard() // twice frees one slot only
	// Uploads that fail while being received give their slot back too.
	if _, err := r.Receive(1, strings.NewReader("")); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty upload: %v", err)
	}
	u2, err := r.Receive(1, strings.NewReader(body))
	if err != nil {
		t.Fatalf("upload after the discard: %v", err)
	}
	if _, err := r.Submit(Request{ProjectID: 2, FileName: "x.csv", Mapping: []byte(mapping)}, u2); err == nil {
		t.Fatal("an upload of project 1 was queued for project 2")
	}
	j, err := r.Submit(Request{ProjectID: 1, FileName: "x.csv", Mapping: []byte(mapping)}, u2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Submit(Request{ProjectID: 1, FileName: "x.csv", Mapping: []byte(mapping)}, u2); err == nil {
		t.Fatal("one upload queued twice")
	}
	u2.Discard() // after Submit: the job keeps its file and its slot
	if _, err := r.Receive(1, strings.NewReader(body)); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("upload beside a queued job: %v", err)
	}
	if got, _ := r.Cancel(1, j.ID); got.State != Cancelled && got.State != Loading {
		t.Fatalf("job %+v", got)
	}
}
