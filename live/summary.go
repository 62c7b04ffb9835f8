package live

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jingyun/jingyun/store"
)

// Window is the span of the real-time summary, and Minute its bucket.
const (
	Window = 30 * time.Minute
	Minute = time.Minute
)

// TopN is how many names each top list of the summary holds.
const TopN = 10

// PageSample is how many of the window's latest page and screen views are read for the
// top pages and scenes.
const PageSample = 10000

// Point is one minute of the summary.
type Point struct {
	Start   int64  `json:"start"` // ms UTC, the minute's first millisecond
	At      string `json:"at"`    // the same in RFC 3339
	Events  int64  `json:"events"`
	Persons int64  `json:"persons"` // distinct persons active in the minute (merges applied)
}

// Count is a name with a count.
type Count struct {
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// Summary is the last Window of a project, per minute: the real-time panel.
type Summary struct {
	From    int64   `json:"from"` // ms UTC, inclusive
	To      int64   `json:"to"`   // ms UTC, exclusive: the end of the current minute
	Minutes []Point `json:"minutes"`
	// Events and Persons are over the whole window (Persons is not the sum of the minutes).
	Events    int64   `json:"events"`
	Persons   int64   `json:"persons"`
	TopEvents []Count `json:"top_events"`
	// TopPages and TopScenes count page and screen views by context.page.path (or the
	// properties' path, or the page name) and by context.scene, over the latest PageSample
	// views of the window; PageViewsSampled says how many were read.
	TopPages         []Count `json:"top_pages"`
	TopScenes        []Count `json:"top_scenes"`
	PageViewsSampled int64   `json:"page_views_sampled"`
}

// Summarize computes the summary of the Window ending with the minute of now (its current
// minute is partial) from the event store, with plain SQL that DuckDB and ClickHouse 18.16
// both run and persons mapped through person_overrides. Times are event times (ts).
func Summarize(ctx context.Context, st store.EventStore, projectID uint32, now time.Time) (*Summary, error) {
	to := now.UnixMilli() - now.UnixMilli()%Minute.Milliseconds() + Minute.Milliseconds()
	from := to - Window.Milliseconds()
	s := &Summary{From: from, To: to, TopEvents: []Count{}, TopPages: []Count{}, TopScenes: []Count{}}
	n := int(Window / Minute)
	s.Minutes = make([]Point, n)
	for i := range s.Minutes {
		start := from + int64(i)*Minute.Milliseconds()
		s.Minutes[i] = Point{Start: start, At: time.UnixMilli(start).UTC().Format(time.RFC3339)}
	}
	d := dialectOf(st.Name())
	pid := int64(projectID)
	persons := d.persons()
	args := []any{pid, from, to, pid}
	err := st.Query(ctx, `SELECT m, `+d.count+` AS n, `+d.distinct("person")+` AS p FROM (
  SELECT floor(ts / 60000) AS m, `+d.personOf+` AS person FROM `+persons+`
) AS s3
GROUP BY m
ORDER BY m`, args, func(row []any) error {
		m, err1 := store.Int64(row[0])
		ev, err2 := store.Int64(row[1])
		ps, err3 := store.Int64(row[2])
		if err := firstErr(err1, err2, err3); err != nil {
			return err
		}
		// m is the minute number: (ts - ts % 60000) would overflow on ClickHouse, whose
		// Int64 % UInt16 is an Int16.
		if i := m - from/Minute.Milliseconds(); i >= 0 && i < int64(n) {
			s.Minutes[i].Events, s.Minutes[i].Persons = ev, ps
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot count events per minute: %w", err)
	}
	err = st.Query(ctx, `SELECT `+d.count+` AS n, `+d.distinct("person")+` AS p FROM (
  SELECT `+d.personOf+` AS person FROM `+persons+`
) AS s3`, args, func(row []any) error {
		var err1, err2 error
		s.Events, err1 = store.Int64(row[0])
		s.Persons, err2 = store.Int64(row[1])
		return firstErr(err1, err2)
	})
	if err != nil {
		return nil, fmt.Errorf("cannot count persons: %w", err)
	}
	err = st.Query(ctx, fmt.Sprintf(`SELECT event, %s AS n FROM events
WHERE project_id = ? AND ts >= ? AND ts < ?
GROUP BY event
ORDER BY n DESC, event
LIMIT %d`, d.count, TopN), []any{pid, from, to}, func(row []any) error {
		name, _ := row[0].(string)
		c, err := store.Int64(row[1])
		s.TopEvents = append(s.TopEvents, Count{Name: name, Count: c})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("cannot count top events: %w", err)
	}
	pages, scenes := map[string]int64{}, map[string]int64{}
	err = st.Query(ctx, fmt.Sprintf(`SELECT event, properties, context FROM events
WHERE project_id = ? AND ts >= ? AND ts < ? AND type IN ('page', 'screen')
ORDER BY ts DESC
LIMIT %d`, PageSample), []any{pid, from, to}, func(row []any) error {
		s.PageViewsSampled++
		name, _ := row[0].(string)
		props, _ := row[1].(string)
		cx, _ := row[2].(string)
		page, scene := pageAndScene(name, props, cx)
		if page != "" {
			pages[page]++
		}
		if scene != "" {
			scenes[scene]++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot sample page views: %w", err)
	}
	s.TopPages, s.TopScenes = top(pages), top(scenes)
	return s, nil
}

// pageAndScene reads the page path and the scene value of a page or screen view.
func pageAndScene(name, props, cx string) (page, scene string) {
	var c struct {
		Page struct {
			Path string `json:"path"`
		} `json:"page"`
		Scene json.RawMessage `json:"scene"`
	}
	var p struct {
		Path string `json:"path"`
		Name string `json:"name"`
	}
	json.Unmarshal([]byte(cx), &c)
	switch {
	case c.Page.Path != "":
		page = c.Page.Path
	default:
		json.Unmarshal([]byte(props), &p)
		page = p.Path
		if page == "" {
			page = p.Name
		}
	}
	if sc := strings.Trim(string(c.Scene), `" `); sc != "" && sc != "null" {
		scene = sc
	}
	return page, scene
}

func top(m map[string]int64) []Count {
	out := make([]Count, 0, len(m))
	for k, v := range m {
		out = append(out, Count{Name: k, Count: v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Name < out[j].Name
	})
	if len(out) > TopN {
		out = out[:TopN]
	}
	return out
}

// dialect holds the few SQL fragments where DuckDB and ClickHouse 18.16 differ, printed the
// way package query prints them (see its golden files).
type dialect struct {
	count    string
	distinct func(col string) string
	personOf string
	join     string
	override string // the overrides subquery's new-person column
	groupBy  string
}

func dialectOf(name string) dialect {
	if name == "clickhouse" {
		// ClickHouse keeps versions of an override (ReplacingMergeTree): the largest wins.
		// Its LEFT JOIN fills a missing override with 0, not NULL.
		return dialect{count: "count()", distinct: func(c string) string { return "uniqExact(" + c + ")" },
			personOf: "if(override_person_id = 0, person_id, override_person_id)", join: "ANY LEFT JOIN",
			override: "argMax(new_person_id, version)", groupBy: "\n    GROUP BY old_person_id"}
	}
	return dialect{count: "count(*)", distinct: func(c string) string { return "count(DISTINCT " + c + ")" },
		personOf: "coalesce(override_person_id, person_id)", join: "LEFT JOIN", override: "new_person_id"}
}

// persons is the events of the window joined with their overrides. Parameters: project,
// from, to, project.
func (d dialect) persons() string {
	return `(
    SELECT person_id, ts FROM events
    WHERE project_id = ? AND ts >= ? AND ts < ?
  ) AS s1
  ` + d.join + ` (
    SELECT old_person_id AS person_id, ` + d.override + ` AS override_person_id
    FROM person_overrides
    WHERE project_id = ?` + d.groupBy + `
  ) AS s2 USING (person_id)`
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
