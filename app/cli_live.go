package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The `events tail` verb: the live event stream of a running server as NDJSON.

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func runEventsTail(ctx context.Context, env *cliEnv, args []string) error {
	f := newFlags(env, "events tail", `jingyun events tail --server http://127.0.0.1:8080 --key sk_… --project 1 --event "Order Completed" --event "Order Refunded"`)
	pid := projectFlag(f)
	server := f.String("server", "", "the running server's URL (the stream lives in the server process)")
	key := f.String("key", "", "the project's secret key (env JINGYUN_SECRET_KEY)")
	var events listFlag
	f.Var(&events, "event", "only events of this name (repeat for several)")
	did := f.String("distinct-id", "", "only events of this distinct id (user or anonymous id) and of its person's other ids")
	typ := f.String("type", "", "only events of this type: track, page, screen, identify, alias or group")
	backlog := f.Int("backlog", 50, "how many recent events to print first (0 to 200)")
	count := f.Int("count", 0, "exit after printing this many events (0: run until interrupted)")
	pos, err := f.parse(env, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q", pos[0])}
	}
	if *server == "" {
		return &usageError{"--server is required: the stream comes from a running server"}
	}
	if *pid == 0 {
		return &usageError{"--project is required"}
	}
	k, err := secretKey(env, *key, "--key is required (or JINGYUN_SECRET_KEY)")
	if err != nil {
		return err
	}
	q := url.Values{}
	for _, e := range events {
		q.Add("event", e)
	}
	if *did != "" {
		q.Set("distinct_id", *did)
	}
	if *typ != "" {
		q.Set("type", *typ)
	}
	q.Set("backlog", strconv.Itoa(*backlog))
	u := strings.TrimRight(*server, "/") + "/api/v1/projects/" + strconv.FormatUint(uint64(*pid), 10) + "/live/events"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	t := &tail{env: env, url: u, key: k, left: *count}
	return t.run(ctx)
}

// tail reads the stream, reconnecting (and resuming after the last event) when the
// connection drops, until ctx ends or it printed the events it was asked for.
type tail struct {
	env    *cliEnv
	url    string
	key    string
	left   int // events still to print; 0 means no limit
	lastID string
}

var errTailDone = errors.New("done")

func (t *tail) run(ctx context.Context) error {
	for {
		err := t.once(ctx)
		switch {
		case errors.Is(err, errTailDone), ctx.Err() != nil:
			return nil
		case err == nil:
			fmt.Fprintln(t.env.stderr, "jingyun events tail: the server closed the stream; reconnecting")
		default:
			var fatal *tailError
			if errors.As(err, &fatal) {
				return err
			}
			fmt.Fprintf(t.env.stderr, "jingyun events tail: %v; reconnecting\n", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(3 * time.Second):
		}
	}
}

// tailError is an answer that retrying will not change (bad key, filter or project).
type tailError struct{ msg string }

func (e *tailError) Error() string { return e.msg }

func (t *tail) once(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url, nil)
	if err != nil {
		return &tailError{fmt.Sprintf("cannot build request: %v", err)}
	}
	req.Header.Set("Authorization", "Bearer "+t.key)
	req.Header.Set("Accept", "text/event-stream")
	if t.lastID != "" {
		req.Header.Set("Last-Event-ID", t.lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach server: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		msg := fmt.Sprintf("server answered %s: %s", resp.Status, strings.TrimSpace(string(b)))
		if resp.StatusCode >= 500 {
			return errors.New(msg)
		}
		return &tailError{msg}
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	out := bufio.NewWriter(t.env.stdout)
	defer out.Flush()
	var name, id, data string
	for sc.Scan() {
		line := sc.Text()
		if line != "" {
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "event":
				name = value
			case "id":
				id = value
			case "data":
				data = value
			}
			continue
		}
		switch name {
		case "":
			if data != "" {
				out.WriteString(data)
				out.WriteByte('\n')
				if id != "" {
					t.lastID = id
				}
				if t.left > 0 {
					t.left--
					if t.left == 0 {
						return errTailDone
					}
				}
			}
		case "dropped":
			out.Flush()
			fmt.Fprintf(t.env.stderr, "jingyun events tail: the server dropped events this client was too slow to take: %s\n", data)
		case "ready":
			// Events before it were the backlog; nothing to print.
		case "bye":
			out.Flush()
			fmt.Fprintln(t.env.stderr, "jingyun events tail: the server is shutting down")
		}
		if err := out.Flush(); err != nil {
			return &tailError{fmt.Sprintf("cannot write: %v", err)}
		}
		name, id, data = "", "", ""
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("cannot read stream: %w", err)
	}
	return nil
}
