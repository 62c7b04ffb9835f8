package query

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.sql from the compiler's output")

// goldenZones gives a spec its project time zone; the rest use Asia/Shanghai.
var goldenZones = map[string]string{
	"funnel_breakdown":     "Europe/London",
	"trends_hour_dst":      "Europe/London",
	"retention_week_first": "Europe/London",
}

// TestGolden prints every statement of every testdata/*.spec.json for each dialect and
// compares it with testdata/NAME.DIALECT.golden.sql (go test ./query -update rewrites them).
func TestGolden(t *testing.T) {
	specs, err := filepath.Glob("testdata/*.spec.json")
	if err != nil || len(specs) == 0 {
		t.Fatalf("no specs in testdata: %v", err)
	}
	for _, file := range specs {
		name := strings.TrimSuffix(filepath.Base(file), ".spec.json")
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		spec, err := Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		tz := goldenZones[name]
		if tz == "" {
			tz = "Asia/Shanghai"
		}
		loc, err := time.LoadLocation(tz)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []Dialect{DuckDB, ClickHouse} {
			env := Env{Dialect: d, Project: 7, Calendar: Calendar{TZ: loc}, Now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}
			got := goldenText(t, spec, env)
			path := filepath.Join("testdata", name+"."+string(d)+".golden.sql")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./query -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the compiler's output (run go test ./query -update and review the diff):\n%s", path, got)
			}
		}
	}
}

func goldenText(t *testing.T, spec *Spec, env Env) string {
	t.Helper()
	p, err := Compile(spec, env)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	var b strings.Builder
	add := func(title string, c Compiled) {
		if n := strings.Count(c.SQL, "?"); n != len(c.Args) {
			t.Fatalf("%s: %d placeholders, %d args", title, n, len(c.Args))
		}
		args, _ := json.Marshal(c.Args)
		b.WriteString("-- " + title + "\n-- args: " + string(args) + "\n" + c.SQL + ";\n\n")
	}
	values := []string{"a", "b"}
	switch p.Kind {
	case KindTrends:
		for i := range p.Spec.Series {
			if p.Spec.Breakdown != nil {
				add("series "+string(rune('A'+i))+" breakdown values", p.TrendsBreakdownSQL(i, p.Range))
			}
			add("series "+string(rune('A'+i)), p.TrendsSQL(i, p.Range, values))
			var bd *string
			if p.Spec.Breakdown != nil {
				bd = &values[0]
			}
			add("series "+string(rune('A'+i))+" persons", p.TrendsPersonsSQL(i, p.Range, values, bd))
			if p.Spec.Compare {
				add("series "+string(rune('A'+i))+" previous period", p.TrendsSQL(i, p.CompareRange, values))
			}
		}
	case KindFunnel:
		if p.Spec.Breakdown != nil {
			add("breakdown values", p.FunnelBreakdownSQL())
		}
		add("funnel stream", p.FunnelSQL(values))
		if env.Dialect == ClickHouse {
			c, err := FunnelReferenceSQL(spec, env)
			if err != nil {
				t.Fatal(err)
			}
			add("reference: windowFunnel", c)
		}
	case KindProducts:
		add("order events", p.ProductsSQL())
	case KindRetention:
		add("retention stream", p.RetentionSQL())
		if env.Dialect == ClickHouse {
			c, err := RetentionReferenceSQL(spec, env)
			if err != nil {
				t.Fatal(err)
			}
			add("reference: retention", c)
		}
	}
	return b.String()
}
