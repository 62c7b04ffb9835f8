package app

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"strings"
	"testing"
	"time"
)

// form builds a multipart body from name/value pairs; the field "file" is sent as a file
// named by the value before "|" with the content after it.
func form(t *testing.T, kv ...string) (body, contentType string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == "file" {
			name, content, _ := strings.Cut(kv[i+1], "|")
			fw, err := mw.CreateFormFile("file", name)
			if err != nil {
				t.Fatal(err)
			}
			fw.Write([]byte(content))
			continue
		}
		mw.WriteField(kv[i], kv[i+1])
	}
	mw.Close()
	return b.String(), mw.FormDataContentType()
}

// upload posts a form to the project's imports.
func (c *client) upload(project uint32, kv ...string) reply {
	c.s.t.Helper()
	body, ct := form(c.s.t, kv...)
	cc := *c
	cc.header = map[string]string{"Content-Type": ct}
	return cc.do("POST", fmt.Sprintf("/api/v1/projects/%d/imports", project), body)
}

// waitImport polls an import until it has ended.
func (c *client) waitImport(project uint32, id string) map[string]any {
	c.s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r := c.do("GET", fmt.Sprintf("/api/v1/projects/%d/imports/%s", project, id), nil)
		expect(c.s.t, "poll import", r, 200)
		job := r.body["import"].(map[string]any)
		switch job["state"] {
		case "done", "failed", "cancelled":
			return job
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.s.t.Fatalf("import %s did not end", id)
	return nil
}

// countEvents asks the query API how many events of a name the last 7 days hold.
func (c *client) countEvents(project uint32, name string) int {
	c.s.t.Helper()
	r := c.do("POST", fmt.Sprintf("/api/v1/projects/%d/query", project), map[string]any{"kind": "trends", "interval": "day",
		"date_range": map[string]any{"from": "-6d", "to": "today"}, "series": []any{map[string]any{"event": name, "math": "total"}}})
	expect(c.s.t, "query "+name, r, 200)
	n := 0.0
	series := r.body["result"].(map[string]any)["trends"].(map[string]any)["series"].([]any)
	for _, p := range series[0].(map[string]any)["points"].([]any) {
		n += p.(map[string]any)["value"].(float64)
	}
	return int(n)
}

const importMapping = `{"format":"csv","event":{"column":"event"},"person":{"user_id":"user"},
 "time":{"column":"ts","format":"unix"},"properties":[{"column":"amount","name":"amount","type":"decimal"}]}`

// importCSV gives n rows of the event name, an hour apart up to an hour ago; bad holds
// replacement lines by row index.
func importCSV(name string, n int, bad map[int]string) string {
	var b strings.Builder
	b.WriteString("event,user,ts,amount\n")
	now := time.Now().Unix()
	for i := 0; i < n; i++ {
		if s, ok := bad[i]; ok {
			b.WriteString(s + "\n")
			continue
		}
		fmt.Fprintf(&b, "%s,u%d,%d,%d.50\n", name, i%5, now-int64(3600*(i+1)), i)
	}
	return b.String()
}

func TestImportOverHTTP(t *testing.T) {
	w := newWorld(t)
	admin := w.clients["admin"]

	// A good file: accepted, then done, and every row is an event.
	r := admin.upload(w.pa, "mapping", importMapping, "file", "visits.csv|"+importCSV("Visit Imported", 40, nil))
	expect(t, "upload", r, 202)
	job := r.body["import"].(map[string]any)
	if job["state"] != "queued" || job["file"] != "visits.csv" || job["created_by"] != "admin@shop.cn" {
		t.Fatalf("accepted %v", job)
	}
	if loc := r.header.Get("Location"); !strings.HasSuffix(loc, "/imports/"+job["id"].(string)) {
		t.Fatalf("Location %q", loc)
	}
	job = admin.waitImport(w.pa, job["id"].(string))
	if job["state"] != "done" || job["events"] != 40.0 || job["progress"] != 1.0 || job["bytes_read"] != job["bytes"] {
		t.Fatalf("done %v", job)
	}
	if rep := job["report"].(map[string]any); rep["file"] != "visits.csv" || rep["rows_imported"] != 40.0 || rep["complete"] != true {
		t.Fatalf("report %v", rep)
	}
	if n := admin.countEvents(w.pa, "Visit Imported"); n != 40 {
		t.Fatalf("%d events stored, want 40", n)
	}

	// A bad row (line 8: the header is line 1): failed, the line reported, nothing stored.
	r = admin.upload(w.pa, "file", "broken.csv|"+importCSV("Broken Imported", 20, map[int]string{6: "Broken Imported,u1,soon,1.00"}),
		"mapping", importMapping)
	expect(t, "upload with a bad row", r, 202)
	job = admin.waitImport(w.pa, r.body["import"].(map[string]any)["id"].(string))
	bad := job["bad_rows"].([]any)
	if job["state"] != "failed" || job["error_code"] != "bad_rows" || job["bad_row_count"] != 1.0 || len(bad) != 1 ||
		bad[0].(map[string]any)["line"] != 8.0 || bad[0].(map[string]any)["column"] != "ts" {
		t.Fatalf("bad file %v", job)
	}
	if n := admin.countEvents(w.pa, "Broken Imported"); n != 0 {
		t.Fatalf("a refused file stored %d events", n)
	}
	// With skip_bad the other rows go in.
	r = admin.upload(w.pa, "file", "broken.csv|"+importCSV("Broken Imported", 20, map[int]string{6: "Broken Imported,u1,soon,1.00"}),
		"mapping", importMapping, "skip_bad", "true")
	job = admin.waitImport(w.pa, r.body["import"].(map[string]any)["id"].(string))
	if job["state"] != "done" || job["report"].(map[string]any)["skipped"] != 1.0 || admin.countEvents(w.pa, "Broken Imported") != 19 {
		t.Fatalf("skip-bad %v", job)
	}

	// A preset by name, with the secret key: the Taobao mapping refuses its out-of-range row.
	r = w.clients["key"].do("GET", fmt.Sprintf("/api/v1/projects/%d/import-presets", w.pa), nil)
	expect(t, "presets", r, 200)
	if ps := r.body["presets"].([]any); len(ps) != 2 || !strings.Contains(ps[1].(map[string]any)["mapping"].(string), `"pv"`) {
		t.Fatalf("presets %v", ps)
	}
	r = w.clients["key"].upload(w.pa, "preset", "taobao_userbehavior", "file",
		"tb.csv|1,10,100,pv,1511658000\n1,10,100,buy,1511658060\n2,11,100,cart,1505117799\n")
	expect(t, "preset upload", r, 202)
	job = w.clients["key"].waitImport(w.pa, r.body["import"].(map[string]any)["id"].(string))
	if job["state"] != "failed" || job["preset"] != "taobao_userbehavior" || job["bad_rows"].([]any)[0].(map[string]any)["kind"] != "out_of_range" {
		t.Fatalf("preset job %v", job)
	}

	// The list, newest first; the owner sees the admin's imports.
	r = w.clients["owner"].do("GET", fmt.Sprintf("/api/v1/projects/%d/imports", w.pa), nil)
	expect(t, "list", r, 200)
	if l := r.body["imports"].([]any); len(l) != 4 || l[0].(map[string]any)["file"] != "tb.csv" || l[3].(map[string]any)["file"] != "visits.csv" {
		t.Fatalf("list %v", l)
	}
	// The list leaves out mappings, bad rows and reports: GET one has them.
	if first := r.body["imports"].([]any)[0].(map[string]any); first["mapping"] != nil || first["bad_rows"] != nil || first["report"] != nil || first["bad_row_count"] != 1.0 {
		t.Fatalf("list item %v", first)
	}
	id := job["id"].(string)
	expect(t, "cancel an ended import", admin.do("DELETE", fmt.Sprintf("/api/v1/projects/%d/imports/%s", w.pa, id), nil), 409, "import_not_cancelable")

	// Access: below admin 403, another project's members and keys 404, nobody 401, no CSRF 403.
	pa := fmt.Sprintf("/api/v1/projects/%d/imports", w.pa)
	for _, who := range []string{"analyst", "operator", "viewer"} {
		expect(t, who+" uploads", w.clients[who].upload(w.pa, "mapping", importMapping, "file", "x.csv|"+importCSV("X", 1, nil)), 403, "forbidden")
		expect(t, who+" lists", w.clients[who].do("GET", pa, nil), 403, "forbidden")
		expect(t, who+" polls", w.clients[who].do("GET", pa+"/"+id, nil), 403, "forbidden")
	}
	for _, who := range []string{"outsider", "key of B"} {
		expect(t, who+" uploads", w.clients[who].upload(w.pa, "mapping", importMapping, "file", "x.csv|"+importCSV("X", 1, nil)), 404, "project_not_found")
		expect(t, who+" polls", w.clients[who].do("GET", pa+"/"+id, nil), 404, "project_not_found")
	}
	// A job of A is not found through B, even by B's owner.
	expect(t, "A's job via B", w.clients["outsider"].do("GET", fmt.Sprintf("/api/v1/projects/%d/imports/%s", w.pb, id), nil), 404, "import_not_found")
	expect(t, "nobody", w.clients["nobody"].upload(w.pa, "mapping", importMapping, "file", "x.csv|a"), 401)
	noCSRF := &client{s: w.s, session: admin.session}
	expect(t, "no CSRF token", noCSRF.upload(w.pa, "mapping", importMapping, "file", "x.csv|a"), 403, "csrf_failed")
}

// TestImportBadInput: each bad request gets a 4xx with a stable code and the field at fault,
// and queues nothing.
func TestImportBadInput(t *testing.T) {
	w := newWorld(t)
	admin := w.clients["admin"]
	good := "file"
	csv := "x.csv|" + importCSV("X", 3, nil)
	f := func(what string, status int, code, field string, kv ...string) {
		t.Helper()
		expect(t, what, admin.upload(w.pa, kv...), status, code, field)
	}
	f("no file", 400, "missing_field", "file", "mapping", importMapping)
	f("no mapping", 400, "missing_field", "mapping", good, csv)
	f("mapping and preset", 400, "invalid_value", "preset", good, csv, "mapping", importMapping, "preset", "online_retail")
	f("unknown preset", 400, "unknown_preset", "preset", good, csv, "preset", "shopify")
	f("mapping not JSON", 400, "invalid_mapping", "mapping", good, csv, "mapping", "{format: csv}")
	f("mapping field", 400, "invalid_mapping", "mapping.time.zone", good, csv, "mapping",
		strings.Replace(importMapping, `"format":"unix"`, `"format":"2006-01-02","zone":"Mars/Olympus"`, 1))
	f("unknown mapping key", 400, "invalid_mapping", "mapping", good, csv, "mapping", strings.Replace(importMapping, `"format":"csv"`, `"format":"csv","formt":1`, 1))
	f("column not in header", 400, "invalid_file", "file", good, "x.csv|event,user,when,amount\nX,u,1,1\n", "mapping", importMapping)
	f("empty file", 400, "empty_file", "file", good, "x.csv|", "mapping", importMapping)
	f("two files", 400, "duplicate_field", "file", good, csv, good, csv, "mapping", importMapping)
	f("bad skip_bad", 400, "invalid_value", "skip_bad", good, csv, "mapping", importMapping, "skip_bad", "maybe")
	f("unknown field", 400, "unknown_field", "format", good, csv, "mapping", importMapping, "format", "csv")
	f("preset is a path", 400, "unknown_preset", "preset", good, csv, "preset", "../../etc/passwd")
	// Not multipart at all.
	r := admin.do("POST", fmt.Sprintf("/api/v1/projects/%d/imports", w.pa), map[string]any{"mapping": importMapping})
	expect(t, "JSON body", r, 415, "unsupported_media_type", "Content-Type")
	cut := *admin
	cut.header = map[string]string{"Content-Type": "multipart/form-data; boundary=xyz"}
	expect(t, "truncated form", cut.do("POST", fmt.Sprintf("/api/v1/projects/%d/imports", w.pa), "--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nabc"), 400, "malformed_form")
	expect(t, "bad limit", admin.do("GET", fmt.Sprintf("/api/v1/projects/%d/imports?limit=0", w.pa), nil), 400, "invalid_value", "limit")
	expect(t, "unknown id", admin.do("GET", fmt.Sprintf("/api/v1/projects/%d/imports/nope", w.pa), nil), 404, "import_not_found")
	r = admin.do("GET", fmt.Sprintf("/api/v1/projects/%d/imports", w.pa), nil)
	if l := r.body["imports"].([]any); len(l) != 0 {
		t.Fatalf("refused uploads were queued: %v", l)
	}
}
