package apierr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestWrite: internal failures are 500 and logged as errors; a request its client abandoned
// is 499 and logged at debug level only; client errors keep their status, code and field.
func TestWrite(t *testing.T) {
	f := func(err error) (int, string, string) {
		t.Helper()
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		w := httptest.NewRecorder()
		Write(w, log, err)
		return w.Code, w.Body.String(), logs.String()
	}
	code, body, logs := f(errors.New("disk on fire"))
	if code != 500 || !strings.Contains(body, `"code":"internal"`) || strings.Contains(body, "fire") || !strings.Contains(logs, "level=ERROR") {
		t.Fatalf("internal: %d %s %s", code, body, logs)
	}
	code, body, logs = f(Internal(fmt.Errorf("cannot run query: %w", context.Canceled)))
	if code != StatusClientClosed || !strings.Contains(body, `"code":"cancelled"`) || strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "level=DEBUG") {
		t.Fatalf("cancelled: %d %s %s", code, body, logs)
	}
	code, body, logs = f(Field("invalid_value", "limit", "too big"))
	if code != 400 || !strings.Contains(body, `"field":"limit"`) || logs != "" {
		t.Fatalf("bad input: %d %s %s", code, body, logs)
	}
	// A deadline is a server-side limit, not the client leaving: still an error.
	if code, _, logs = f(Internal(context.DeadlineExceeded)); code != 500 || !strings.Contains(logs, "level=ERROR") {
		t.Fatalf("deadline: %d %s", code, logs)
	}
}
