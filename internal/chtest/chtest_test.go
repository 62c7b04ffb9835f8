package chtest

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

func TestStart(t *testing.T) {
	u := Start(t)
	ctx := context.Background()
	v, err := ServerVersion(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if v == "" {
		t.Fatal("empty version")
	}
	t.Logf("ClickHouse %s at %s", v, u)

	// The same server is shared within the test binary.
	if u2 := Start(t); u2 != u {
		t.Fatalf("second Start = %s, want %s", u2, u)
	}

	// The server runs in UTC, so tests get the same day boundaries everywhere.
	out, err := Run(ctx, u, "SELECT toString(toDateTime(86400))")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(out); got != "1970-01-02 00:00:00" {
		t.Fatalf("toDateTime(86400) = %q, want UTC", got)
	}
}

func TestDatabase(t *testing.T) {
	u := Start(t)
	ctx := context.Background()
	var name string
	t.Run("inner", func(t *testing.T) {
		name = Database(t, u)
		if err := Exec(ctx, u, "CREATE DATABASE "+name); err != nil {
			t.Fatal(err)
		}
	})
	// Cleanup of the subtest dropped it.
	out, err := Run(ctx, u, "SELECT count() FROM system.databases WHERE name = '"+name+"'")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out) != "0" {
		t.Fatalf("database %s still exists after the test", name)
	}
}

func TestAuthUser(t *testing.T) {
	u := Start(t)
	f := func(user, password string, ok bool) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, u+"/", strings.NewReader("SELECT 1"))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(user, password)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if (resp.StatusCode == http.StatusOK) != ok {
			t.Fatalf("%s/%s: status %d, want ok=%v", user, password, resp.StatusCode, ok)
		}
	}
	f(AuthUser, AuthPassword, true)
	f("default", "", true)
	f(AuthUser, "wrong", false)
}

func TestErrorMessage(t *testing.T) {
	u := Start(t)
	_, err := Run(context.Background(), u, "SELECT no_such_column")
	if err == nil || !strings.Contains(err.Error(), "no_such_column") {
		t.Fatalf("err = %v, want the server's message", err)
	}
}
