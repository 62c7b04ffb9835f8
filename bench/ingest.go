package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// IngestResult is the HTTP ingestion measurement.
type IngestResult struct {
	Clients, BatchEvents int
	Seconds              float64
	Events               int64 // acknowledged
	Requests, Refused    int64 // refused: 429/503 answers (retried by real clients)
	EventsPerSecond      float64
	BytesPerEvent        float64
	P50, P99, Max        time.Duration
	PeakRSSMiB           float64
	CatchUp              time.Duration // from the end of the load until every event was queryable
	Stored               int64
}

var servingRe = regexp.MustCompile(`msg=serving url=(http://\S+)`)

// benchIngest starts `jingyun serve` (fsync on) on a fresh data dir and sends batches from
// several clients for a fixed time.
func benchIngest(ctx context.Context, o *Options) (*IngestResult, error) {
	dir, err := os.MkdirTemp("", "jingyun-bench-ingest-")
	if err != nil {
		return nil, fmt.Errorf("cannot create bench dir: %w", err)
	}
	defer os.RemoveAll(dir)
	out, err := exec.CommandContext(ctx, o.Binary, "project", "create", "bench", "--data", dir).Output()
	if err != nil {
		return nil, fmt.Errorf("cannot create bench project: %w", err)
	}
	var p struct {
		ID        uint32 `json:"id"`
		WriteKey  string `json:"write_key"`
		SecretKey string `json:"secret_key"`
	}
	if err := json.Unmarshal(out, &p); err != nil {
		return nil, fmt.Errorf("cannot read bench project: %w", err)
	}
	cmd := exec.CommandContext(ctx, o.Binary, "serve", "--data", dir, "--addr", "127.0.0.1:0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot start server: %w", err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := servingRe.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urlc <- m[1]:
				default:
				}
			}
		}
	}()
	var base string
	select {
	case base = <-urlc:
	case <-time.After(60 * time.Second):
		return nil, fmt.Errorf("cannot start server: no serving line in 60 s")
	}

	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(p.WriteKey+":"))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.IngestClients}}
	var events, requests, refused, bodyBytes atomic.Int64
	lat := make([][]time.Duration, o.IngestClients)
	deadline := time.Now().Add(time.Duration(o.IngestSeconds) * time.Second)
	start := time.Now()
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for c := 0; c < o.IngestClients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			var body []byte
			for seq := 0; time.Now().Before(deadline) && ctx.Err() == nil; seq++ {
				body = appendBatch(body[:0], c, seq, o.BatchEvents)
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/batch", bytes.NewReader(body))
				req.Header.Set("Authorization", auth)
				req.Header.Set("Content-Type", "application/json")
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				requests.Add(1)
				switch resp.StatusCode {
				case http.StatusOK:
					events.Add(int64(o.BatchEvents))
					bodyBytes.Add(int64(len(body)))
					lat[c] = append(lat[c], d)
				case http.StatusTooManyRequests, http.StatusServiceUnavailable:
					refused.Add(1)
					time.Sleep(50 * time.Millisecond)
				default:
					firstErr.CompareAndSwap(nil, fmt.Errorf("server answered %d", resp.StatusCode))
					return
				}
			}
		}(c)
	}
	wg.Wait()
	elapsed := time.Since(start)
	if e := firstErr.Load(); e != nil {
		return nil, fmt.Errorf("cannot ingest: %v", e)
	}
	rss := peakRSS(cmd.Process.Pid)
	loadEnd := time.Now()
	if err := waitCaughtUp(ctx, base, p.ID, p.SecretKey); err != nil {
		return nil, err
	}
	catchUp := time.Since(loadEnd)
	stored, err := loaderEvents(ctx, base, p.ID, p.SecretKey)
	if err != nil {
		return nil, err
	}
	if rss2 := peakRSS(cmd.Process.Pid); rss2 > rss {
		rss = rss2
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	q := func(f float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(f*float64(len(all))))]
	}
	n := events.Load()
	res := &IngestResult{Clients: o.IngestClients, BatchEvents: o.BatchEvents, Seconds: elapsed.Seconds(), Events: n,
		Requests: requests.Load(), Refused: refused.Load(), EventsPerSecond: float64(n) / elapsed.Seconds(),
		P50: q(0.50), P99: q(0.99), PeakRSSMiB: float64(rss) / 1024, CatchUp: catchUp, Stored: stored}
	if n > 0 {
		res.BytesPerEvent = float64(bodyBytes.Load()) / float64(n)
		res.Max = all[len(all)-1]
	}
	if stored != n {
		return nil, fmt.Errorf("cannot trust the ingestion run: %d events acknowledged, %d loaded", n, stored)
	}
	return res, nil
}

// appendBatch writes a /v1/batch body of realistic mini-program events with unique ids.
// It runs on the same cores as the server under test, so it appends the digits itself
// instead of going through fmt (which took two thirds of the load generator's CPU); the
// bytes are those of the format kept in the test (TestAppendBatchMatchesFormat).
func appendBatch(b []byte, client, seq, n int) []byte {
	b = append(b, `{"batch":[`...)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		k := seq*n + i
		b = append(b, `{"type":"track","event":"Product Viewed","anonymousId":"dev-`...)
		b = strconv.AppendInt(b, int64(client), 10)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(k%5000), 10)
		b = append(b, `","messageId":"b-`...)
		b = strconv.AppendInt(b, int64(client), 10)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(seq), 10)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `","timestamp":"2026-11-01T08:`...)
		b = appendPadded(b, k/60%60, 2)
		b = append(b, ':')
		b = appendPadded(b, k%60, 2)
		b = append(b, '.')
		b = appendPadded(b, k%1000, 3)
		b = append(b, `Z","properties":{"product_id":"p-`...)
		b = strconv.AppendInt(b, int64(k%400), 10)
		b = append(b, `","sku":"SKU-`...)
		b = strconv.AppendInt(b, int64(k%400), 10)
		b = append(b, `","name":"精选好物 `...)
		b = strconv.AppendInt(b, int64(k%400), 10)
		b = append(b, `","category":"美妆","price":`...)
		b = strconv.AppendInt(b, int64(10+k%200), 10)
		b = append(b, `.90,"currency":"CNY"},`+
			`"context":{"scene":1007,"page":{"path":"pages/goods/detail","query":"id=`...)
		b = strconv.AppendInt(b, int64(k%400), 10)
		b = append(b, `"},"os":{"name":"iOS","version":"17.4"},"app":{"name":"精运小店","version":"2.3.1"},"library":{"name":"jingyun-miniprogram","version":"0.1.0"}}}`...)
	}
	return append(b, `],"sentAt":"2026-11-01T09:00:00.000Z"}`...)
}

// appendPadded appends the non-negative v in decimal, zero-padded to width digits (%0*d).
func appendPadded(b []byte, v, width int) []byte {
	for p, w := 10, 1; w < width; p, w = p*10, w+1 {
		if v < p {
			b = append(b, '0')
		}
	}
	return strconv.AppendInt(b, int64(v), 10)
}

// peakRSS reads VmHWM (KiB) of a process.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			n, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return n
		}
	}
	return 0
}

func status(ctx context.Context, base string, project uint32, key string) (map[string]json.RawMessage, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/v1/projects/%d/status", base, project), nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot read status: %w", err)
	}
	defer resp.Body.Close()
	var st map[string]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return nil, fmt.Errorf("cannot read status: %w", err)
	}
	return st, nil
}

func waitCaughtUp(ctx context.Context, base string, project uint32, key string) error {
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		st, err := status(ctx, base, project, key)
		if err != nil {
			return err
		}
		if string(st["caught_up"]) == "true" {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("cannot catch up: the loader is still behind after 5 minutes")
}

func loaderEvents(ctx context.Context, base string, project uint32, key string) (int64, error) {
	st, err := status(ctx, base, project, key)
	if err != nil {
		return 0, err
	}
	var l struct {
		Events int64 `json:"events"`
	}
	if err := json.Unmarshal(st["loader"], &l); err != nil {
		return 0, fmt.Errorf("cannot read loader status: %w", err)
	}
	return l.Events, nil
}
