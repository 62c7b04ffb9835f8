package analysistest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestContains(t *testing.T) {
	f := func(got, want string, ok bool) {
		t.Helper()
		var g, w any
		if err := json.Unmarshal([]byte(got), &g); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(want), &w); err != nil {
			t.Fatal(err)
		}
		if path, res := Contains(g, w, ""); res != ok {
			t.Fatalf("Contains(%s, %s) = %v at %q, want %v", got, want, res, path, ok)
		}
	}
	f(`{"a":1,"b":[1,2]}`, `{"a":1}`, true)
	f(`{"a":1,"b":[1,2]}`, `{"b":[1]}`, false)
	f(`{"a":0.3333333333}`, `{"a":0.333333333}`, true)
	f(`{"a":0.34}`, `{"a":0.33}`, false)
	f(`{"a":null}`, `{"a":null}`, true)
	f(`{"a":"x"}`, `{"a":null}`, false)
	f(`{"a":[{"x":1,"y":2}]}`, `{"a":[{"y":2}]}`, true)
	f(`{}`, `{"a":1}`, false)
}

func TestParseFileErrors(t *testing.T) {
	f := func(text, want string) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "x.scenario")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ParseFile(path)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("ParseFile(%q): %v, want an error with %q", text, err, want)
		}
	}
	f("events\n", "before the first scenario")
	f("scenario a\nevents\nu | yesterday | E\n", "neither local")
	f("scenario a\nevents\nu | 2024-01-01 00:00:00\n", "event line wants")
	f("scenario a\nspec\n{\"kind\":\n\n", "not valid JSON")
	f("scenario a\nspec\n{}\n", "without expect")
	f("scenario a\nexpect\n{}\n", "expect without a spec")
	f("scenario a\nfrobnicate\n", "unknown directive")
	f("scenario a\ntz Mars/Olympus\n", "unknown time zone")
}
