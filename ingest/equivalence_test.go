package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/jingyun/jingyun/apierr"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// equivalenceSeeds are batches whose every single-byte mutation the collector must answer
// as recorded in testdata/answers.golden: the decoder's fast paths must not change which
// message is accepted, nor the code, field and message of any error.
var equivalenceSeeds = []string{
	`{"batch":[{"type":"track","event":"Product Viewed","anonymousId":"dev-1-2","messageId":"b-1-0-2","timestamp":"2024-05-01T11:58:02.002Z","properties":{"product_id":"p-2","name":"精选好物 2","price":12.90,"tags":["a",1,true,null],"o":{"x":-1e3}},"context":{"scene":1007,"page":{"path":"pages/goods/detail"}}}],"sentAt":"2024-05-01T12:00:00.000Z"}`,
	`{"batch":[{"type":"identify","userId":"u\"1","anonymousId":"a1","traits":{"city":"上海","$set_once":{"k":"\u00e9"}},"integrations":{"All":true},"timestamp":1714564800000}],"context":{"ip":"1.2.3.4"}}`,
	`{"batch":[{"type":"page","anonymousId":"a","name":"首页","category":"c","properties":{"path":"/"},"options":{"x":[1]}},{"type":"alias","userId":"u2","previousId":"u1","originalTimestamp":"2024-05-01T11:00:00+08:00"}], "sentAt" : "2024-05-01T12:00:00Z", "writeKey":"wk_body_key_ignored"}`,
}

func TestAnswersMatchGolden(t *testing.T) {
	f := newFixture(t, Config{Limits: Limits{MaxDepth: 3, MaxStringBytes: 40, MaxKeys: 6}})
	uuid := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}`)
	var out bytes.Buffer
	for si, seed := range equivalenceSeeds {
		bodies := []string{seed}
		for i := 0; i < len(seed); i++ {
			for _, c := range []string{"", " ", `"`, `\`, "}", "]", ",", "1", "\x01", "\xff"} {
				bodies = append(bodies, seed[:i]+c+seed[i+1:])
			}
		}
		seen := map[string]bool{}
		for _, body := range bodies {
			if seen[body] {
				continue
			}
			seen[body] = true
			status, resp, _ := f.do(t, req{path: "/v1/batch", body: body})
			evs, _ := json.Marshal(f.events(t))
			line := fmt.Sprintf("%d %d %s %s", si, status, strings.TrimSpace(resp), evs)
			out.WriteString(strings.ReplaceAll(uuid.ReplaceAllString(line, "UUID"), f.key, "KEY"))
			out.WriteByte('\n')
		}
	}
	path := filepath.Join("testdata", "answers.golden")
	if *update {
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := out.Bytes()
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("answer %d differs:\n got %s\nwant %s", i, gl[i], wl[i])
			}
		}
		t.Fatalf("got %d answers, want %d", len(gl), len(wl))
	}
}

// FuzzFastPathsAgree checks the decoder's fast paths against the plain ones: the batch
// split while walking against skipValue plus splitArray, and the objects validated while
// decoding a message against objectField.
func FuzzFastPathsAgree(f *testing.F) {
	for _, s := range equivalenceSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"batch":[1"]"]}`))
	f.Add([]byte(`{"batch":[{"properties":{"a":1},"properties":{"b":[1,2]}}]}`))
	f.Add([]byte(`{"batch":[{"context":{ "a" : "x" },"traits":{}}]}`))
	lim := scanLimits{maxDepth: 3, maxString: 40, maxKeys: 6}
	f.Fuzz(func(t *testing.T, in []byte) {
		var fast, ref batchBody
		errFast, errPlain := decodeBatch(in, &fast), decodeBatchPlain(in, &ref)
		if (errFast == nil) != (errPlain == nil) || errFast != nil && *errFast != *errPlain {
			t.Fatalf("%q: fast %v, plain %v", in, errFast, errPlain)
		}
		if errFast != nil {
			return
		}
		plain := ref.Batch
		if !bytes.Equal(fast.SentAt, ref.SentAt) || !bytes.Equal(fast.Context, ref.Context) || fast.WriteKey != ref.WriteKey {
			t.Fatalf("%q: batch fields differ: %+v, plain %+v", in, fast, ref)
		}
		if len(fast.Batch) != len(plain) {
			t.Fatalf("%q: fast split %d messages, plain %d", in, len(fast.Batch), len(plain))
		}
		for i := range plain {
			if !bytes.Equal(fast.Batch[i], plain[i]) {
				t.Fatalf("%q: message %d is %q, plain %q", in, i, fast.Batch[i], plain[i])
			}
			var m1, m2 message
			var s1, s2 []byte
			e1, e2 := decodeMessage(plain[i], &m1, &s1, &lim), decodeMessage(plain[i], &m2, &s2, nil)
			if (e1 == nil) != (e2 == nil) || e1 != nil && *e1 != *e2 {
				t.Fatalf("%q: decodeMessage %v with objects checked, %v without", plain[i], e1, e2)
			}
			if e1 != nil {
				continue
			}
			for slot, raw := range []json.RawMessage{m2.Properties, m2.Context, m2.Traits} {
				want, werr := objectField(raw, "x", lim, &s2)
				got, gerr := m1.object(slot, raw, "x", lim, &s1)
				if (werr == nil) != (gerr == nil) || werr != nil && *werr != *gerr || !bytes.Equal(got, want) || (got == nil) != (want == nil) {
					t.Fatalf("%q slot %d: got %q %v, want %q %v", plain[i], slot, got, gerr, want, werr)
				}
			}
		}
	})
}

// decodeBatchPlain is decodeBatch without the split while walking: every value delimited
// by skipValue, the batch split afterwards.
func decodeBatchPlain(body []byte, b *batchBody) *apierr.Error {
	var scratch []byte
	return walkObject(body, nil, func(key []byte, val []byte) *apierr.Error {
		switch string(key) {
		case "batch":
			if val[0] != '[' {
				return apierr.Field("invalid_type", "batch", "batch must be an array of messages")
			}
			items, err := splitArray(val)
			if err != nil {
				return err
			}
			b.Batch = items
			if b.Batch == nil {
				b.Batch = []json.RawMessage{}
			}
			return nil
		case "sentAt":
			b.SentAt = val
		case "context":
			b.Context = val
		case "writeKey":
			s, ok := fastString(val)
			if !ok {
				return apierr.Field("invalid_type", "writeKey", "writeKey must be a string")
			}
			b.WriteKey = s
		case "integrations", "_metadata", "metadata", "messageId", "type":
		default:
			return &apierr.Error{Status: 400, Code: "unknown_field", Field: string(key), Message: fmt.Sprintf("unknown key %q", key)}
		}
		out, err := compactValue(scratch[:0], val, envelopeLimits)
		if err != nil {
			return apierr.Field("malformed_json", string(key), err.Error())
		}
		scratch = out
		return nil
	})
}

// FuzzCompactValueMatchesReference checks compactValue, which builds error paths only on
// failure, against the former scanner: same output, same error text.
func FuzzCompactValueMatchesReference(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}]}`, `{"x":"\u4e2d"}`, `[]`, `{"a":-0.5e-3}`, `{"":{"":[[{"b":01}]]}}`,
		`{"a":{"b":{"c":{"d":1}}}}`, `[{"a":[1,2,"toolongstringxx"]}]`, `{"a":1,"b":2,"c":3,"d":4,"e":5}`} {
		f.Add([]byte(s))
	}
	lim := scanLimits{maxDepth: 4, maxString: 12, maxKeys: 4}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, gerr := compactValue(nil, in, lim)
		want, werr := refCompactValue(nil, in, lim)
		if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() || !bytes.Equal(got, want) {
			t.Fatalf("%q: got %q %v, want %q %v", in, got, gerr, want, werr)
		}
		if gerr != nil {
			if pe, ok := gerr.(*pathError); ok {
				if re := werr.(*refPathError); pe.Path != re.Path || pe.Msg != re.Msg {
					t.Fatalf("%q: path %q msg %q, want %q %q", in, pe.Path, pe.Msg, re.Path, re.Msg)
				}
			}
		}
		if i := bytes.IndexByte(in, '{'); i >= 0 {
			out, end, err := compactPrefix(nil, in, i, lim)
			if err == nil {
				if again, err2 := compactValue(nil, in[i:end], lim); err2 != nil || !bytes.Equal(again, out) {
					t.Fatalf("%q: prefix from %d gave %q to %d, the value alone %q %v", in, i, out, end, again, err2)
				}
			}
		}
	})
}

func TestBodyTextAgreesWithFastString(t *testing.T) {
	body := []byte(`{"a":"dev-1","b":"u\"1","c":"精选","d":"","e":"` + "\xff" + `","f":12}`)
	tx := &bodyText{body: body}
	f := func(raw []byte) {
		t.Helper()
		got, gok := tx.str(raw)
		want, wok := fastString(raw)
		if got != want || gok != wok {
			t.Errorf("str(%q) = %q, %v; fastString %q, %v", raw, got, gok, want, wok)
		}
	}
	err := walkObject(body, nil, func(key, val []byte) *apierr.Error {
		f(val)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f([]byte(`"not in the body"`))
	f([]byte(`"`))
	f(nil)
	// Strings of the body cost nothing once the body's copy exists.
	val := body[5:12]
	if n := testing.AllocsPerRun(100, func() { tx.str(val) }); n != 0 {
		t.Errorf("str of a body slice allocates %.0f times", n)
	}
}

func TestReadAllWithHint(t *testing.T) {
	data := bytes.Repeat([]byte("精运"), 3000)
	for _, hint := range []int64{-1, 0, 10, int64(len(data)) - 1, int64(len(data)), int64(len(data)) + 100} {
		got, err := readAll(bytes.NewReader(data), hint)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("hint %d: read %d bytes, %v", hint, len(got), err)
		}
	}
	boom := errors.New("boom")
	if _, err := readAll(io.MultiReader(bytes.NewReader(data), iotest.ErrReader(boom)), int64(len(data))); !errors.Is(err, boom) {
		t.Fatalf("error %v, want %v", err, boom)
	}
	rd := bytes.NewReader(nil)
	if n := testing.AllocsPerRun(10, func() { rd.Reset(data); readAll(rd, int64(len(data))) }); n != 1 {
		t.Errorf("a body of known size takes %.0f allocations, want 1", n)
	}
}
