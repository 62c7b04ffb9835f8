package persons

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/internal/chtest"
	"github.com/jingyun/jingyun/internal/storetest"
	"github.com/jingyun/jingyun/loader"
	"github.com/jingyun/jingyun/store"
)

func TestMain(m *testing.M) { chtest.Main(m) }

func TestPersonsDuckDB(t *testing.T) { scenario(t, storetest.DuckDB(t)) }

func TestPersonsClickHouse(t *testing.T) { scenario(t, storetest.ClickHouse(t)) }

// scenario loads a small shop through the real loader (identity rules, trait updates,
// merges) and checks search, profile and timeline on one store.
func scenario(t *testing.T, s store.EventStore) {
	t.Helper()
	ctx := context.Background()
	l, err := loader.New(ctx, s, loader.Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var evs []event.Event
	n := 0
	add := func(project uint32, typ event.Type, name string, ts int64, anon, user, props, traits string) {
		n++
		e := event.Event{ProjectID: project, ID: fmt.Sprintf("e%03d", n), Type: typ, Name: name, Time: ts, ReceivedAt: ts,
			AnonymousID: anon, UserID: user, Properties: json.RawMessage(props), Context: json.RawMessage(`{"scene":1007}`)}
		if typ == event.TypeIdentify {
			e.Name = event.TypeIdentify.ReservedName()
			e.Traits = json.RawMessage(traits)
		}
		evs = append(evs, e)
	}
	track := event.TypeTrack
	// Person A: anonymous on phone 1, then identified as u1.
	add(1, track, "Product Viewed", 1000, "a1", "", `{"sku":"A"}`, "")
	add(1, track, "Product Viewed", 2000, "a1", "", `{"sku":"B"}`, "")
	add(1, event.TypeIdentify, "", 3000, "a1", "u1", `{}`, `{"name":"张三","city":"上海","$set_once":{"first_scene":1007}}`)
	// Person B: anonymous on phone 2 (two events at the same ms), then merged into A.
	add(1, track, "Product Viewed", 4000, "a2", "", `{"sku":"C"}`, "")
	add(1, track, "Product Added", 4000, "a2", "", `{"sku":"C"}`, "")
	add(1, track, "Cart Viewed", 4000, "a2", "", `{}`, "")
	add(1, event.TypeIdentify, "", 5000, "a2", "u1", `{}`, `{}`)
	add(1, track, "Order Completed", 6000, "a2", "u1", `{"order_id":"o1","total":99.9,"currency":"CNY","products":[{"sku":"C"},{"sku":"A"}]}`, "")
	add(1, track, "Order Completed", 7000, "", "u1", `{"order_id":"o2","total":"0.2"}`, "")
	add(1, track, "Order Refunded", 8000, "", "u1", `{"order_id":"o1","total":99.9}`, "")
	add(1, event.TypeIdentify, "", 9000, "a2", "u1", `{}`, `{"$set":{"city":"北京"},"$set_once":{"name":"李四","first_scene":1011}}`)
	// Person C: u2 with a phone trait.
	add(1, event.TypeIdentify, "", 2500, "a3", "u2", `{}`, `{"name":"王五","phone":"13800001111","note":"50% off_fan"}`)
	add(1, track, "Product Viewed", 2600, "a3", "u2", `{"sku":"A"}`, "")
	// Person D: u3, deleted below.
	add(1, event.TypeIdentify, "", 2700, "a4", "u3", `{}`, `{"name":"赵六"}`)
	add(1, track, "Order Completed", 2800, "a4", "u3", `{"order_id":"o3","total":10}`, "")
	// Another project with the same user id.
	add(2, event.TypeIdentify, "", 1000, "a1", "u1", `{}`, `{"name":"other"}`)
	if err := l.Sink().Write(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := l.DeletePerson(ctx, 1, "u3"); err != nil || !ok {
		t.Fatalf("delete u3: %v %v", ok, err)
	}

	r, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	pa, err := r.Resolve(ctx, 1, "a1")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a2", "u1", fmt.Sprintf("person:%d", pa)} {
		if p, err := r.Resolve(ctx, 1, id); err != nil || p != pa {
			t.Fatalf("resolve %s: %d %v, want %d", id, p, err, pa)
		}
	}
	pc, err := r.Resolve(ctx, 1, "u2")
	if err != nil {
		t.Fatal(err)
	}

	// Profile: identifiers of both phones, traits with $set / $set_once, orders.
	prof, err := r.Profile(ctx, 1, "a2")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, id := range prof.Identifiers {
		ids = append(ids, fmt.Sprintf("%s/%v/%d/%d-%d", id.DistinctID, id.IsUser, id.Events, id.FirstSeen, id.LastSeen))
	}
	if got, want := strings.Join(ids, " "), "u1/true/6/3000-9000 a1/false/2/1000-2000 a2/false/3/4000-4000"; got != want {
		t.Errorf("identifiers: got %s, want %s", got, want)
	}
	if prof.DistinctID != "u1" || prof.PersonID != pa || len(prof.MergedPersonIDs) != 1 {
		t.Errorf("profile head: %+v", prof)
	}
	var traits map[string]any
	if err := json.Unmarshal(prof.Traits, &traits); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(traits); got != "map[city:北京 first_scene:1007 name:张三]" {
		t.Errorf("traits: %s", got)
	}
	if prof.CreatedAt != 1000 || prof.FirstSeen != 1000 || prof.LastSeen != 9000 || prof.EventCount != 11 {
		t.Errorf("times: created %d first %d last %d events %d", prof.CreatedAt, prof.FirstSeen, prof.LastSeen, prof.EventCount)
	}
	o := prof.Orders
	if o.Count != 2 || o.Total != 100.1 || o.Refunds != 1 || o.RefundedTotal != 99.9 || o.Net != 0.2 || o.FirstOrder != 6000 || o.LastOrder != 7000 {
		t.Errorf("orders: %+v", o)
	}
	if len(o.Recent) != 3 || o.Recent[0].Event != EventOrderRefunded || o.Recent[2].OrderID != "o1" || o.Recent[2].Products != 2 ||
		o.Recent[2].Currency != "CNY" || o.Recent[1].Total != 0.2 || !o.Recent[1].HasTotal {
		t.Errorf("recent orders: %+v", o.Recent)
	}

	// Timeline: pages of 2 across ties on ts, newest first, both phones' events.
	var all []string
	cursor := (*Cursor)(nil)
	for page := 0; ; page++ {
		tl, err := r.Timeline(ctx, 1, "u1", cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range tl.Events {
			all = append(all, fmt.Sprintf("%d:%s", e.TS, e.EventID))
		}
		if tl.NextCursor == "" {
			break
		}
		c, err := ParseCursor(tl.NextCursor)
		if err != nil {
			t.Fatal(err)
		}
		cursor = &c
		if page > 10 {
			t.Fatal("timeline does not end")
		}
	}
	want := "9000:e011 8000:e010 7000:e009 6000:e008 5000:e007 4000:e006 4000:e005 4000:e004 3000:e003 2000:e002 1000:e001"
	if got := strings.Join(all, " "); got != want {
		t.Errorf("timeline:\n got %s\nwant %s", got, want)
	}
	tl, err := r.Timeline(ctx, 1, "a1", nil, 1)
	if err != nil || len(tl.Events) != 1 || string(tl.Events[0].Properties) == "" || tl.Events[0].Type != "identify" {
		t.Errorf("first page: %+v %v", tl, err)
	}

	// Not found: unknown ids, a deleted person, a merged-away person id, another project.
	for _, key := range []string{"nobody", "u3", "a4", fmt.Sprintf("person:%d", prof.MergedPersonIDs[0]), "person:x", "person:999999", "\xff", "a\x00"} {
		if _, err := r.Profile(ctx, 1, key); !errors.Is(err, ErrNotFound) {
			t.Errorf("profile %q: %v, want not found", key, err)
		}
		if _, err := r.Timeline(ctx, 1, key, nil, 5); !errors.Is(err, ErrNotFound) {
			t.Errorf("timeline %q: %v, want not found", key, err)
		}
	}
	other, err := r.Profile(ctx, 2, "u1")
	if err != nil || other.PersonID == pa || other.EventCount != 1 || other.Orders.Count != 0 {
		t.Errorf("project 2: %+v %v", other, err)
	}

	// Search.
	search := func(q string, limit int, cursor string) ([]int64, string) {
		t.Helper()
		res, err := r.Search(ctx, 1, q, limit, cursor)
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		var out []int64
		for _, p := range res.Persons {
			out = append(out, p.PersonID)
		}
		return out, res.NextCursor
	}
	f := func(q string, want ...int64) {
		t.Helper()
		got, _ := search(q, 10, "")
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("search %q: got %v, want %v", q, got, want)
		}
	}
	newest, older := pc, pa
	if pa > pc {
		newest, older = pa, pc
	}
	f("", newest, older)
	f("u", newest, older)
	f("u1", pa)
	f("a2", pa) // a merged person's id finds the survivor
	f("北京", pa) // trait value, current
	f("上海")     // an overwritten trait value no longer matches
	f("CITY=北京")
	f("city=北京", pa)
	f("city=北")
	f("1380000", pc)
	f("王", pc)
	f("50% off_", pc)
	f("OFF_FAN", pc) // trait values match case-insensitively
	f("a%")          // LIKE wildcards are literal
	f("a_")          // idem
	f("u3")          // deleted
	f("赵六")
	f("name") // a key, not a value
	f("other")
	first, next := search("", 1, "")
	if len(first) != 1 || first[0] != newest || next == "" {
		t.Fatalf("page 1: %v %q", first, next)
	}
	second, next := search("", 1, next)
	if len(second) != 1 || second[0] != older || next != "" {
		t.Fatalf("page 2: %v %q", second, next)
	}
	res, err := r.Search(ctx, 1, "u1", 5, "")
	if err != nil || len(res.Persons) != 1 {
		t.Fatalf("search u1: %+v %v", res, err)
	}
	sum := res.Persons[0]
	if sum.DistinctID != "u1" || sum.IdentifierCount != 3 || sum.EventCount != 11 || sum.FirstSeen != 1000 || sum.LastSeen != 9000 ||
		string(sum.Traits["city"]) != `"北京"` {
		t.Errorf("summary: %+v", sum)
	}
	if _, err := r.Search(ctx, 1, "\xffa", 5, ""); !errors.Is(err, ErrBadQuery) {
		t.Errorf("invalid UTF-8: %v", err)
	}
	if _, err := r.Search(ctx, 1, "", 5, "bogus"); !errors.Is(err, ErrBadCursor) {
		t.Errorf("bad cursor: %v", err)
	}
}

func TestCursor(t *testing.T) {
	f := func(c Cursor) {
		t.Helper()
		got, err := ParseCursor(c.String())
		if err != nil || got != c {
			t.Errorf("round trip %+v: %+v %v", c, got, err)
		}
	}
	f(Cursor{TS: 1700000000000, EventID: "abc:def"})
	f(Cursor{TS: -5, EventID: "中文"})
	for _, bad := range []string{"", "!!", "eHl6", "MTIzOg", "YWJjOmQ"} {
		if _, err := ParseCursor(bad); err == nil {
			t.Errorf("ParseCursor(%q) accepted", bad)
		}
	}
}

func TestMoney(t *testing.T) {
	f := func(in string, want int64, ok bool) {
		t.Helper()
		got, gok := money(json.RawMessage(in))
		if got != want || gok != ok {
			t.Errorf("money(%s) = %d %v, want %d %v", in, got, gok, want, ok)
		}
	}
	f(`99.9`, 999000, true)
	f(`"0.2"`, 2000, true)
	f(`0.00005`, 1, true)
	f(`-0.00005`, -1, true)
	f(`0.00004`, 0, true)
	f(`1e2`, 1000000, true)
	f(`"abc"`, 0, false)
	f(`null`, 0, false)
	f(``, 0, false)
	f(`1e400`, 0, false)
}
