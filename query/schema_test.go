package query

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// api/spec.schema.json is the contract of the analysis spec: the JSON Schema from which the
// console's TypeScript types are generated (console/scripts/spec-types.mjs). It is written
// from the Go types by `go test ./query -run TestSpecSchema -update`, and this test fails
// when it no longer matches them.

// schemaEnums lists the values of the string types that are enums.
var schemaEnums = map[reflect.Type][]string{
	reflect.TypeOf(Kind("")):        {string(KindTrends), string(KindFunnel), string(KindRetention), string(KindProducts)},
	reflect.TypeOf(ProductSort("")): {string(SortRevenue), string(SortOrders), string(SortUnits), string(SortBuyers)},
	reflect.TypeOf(Interval("")):    {string(Hour), string(Day), string(Week), string(Month)},
	reflect.TypeOf(Operator("")):    {string(OpEq), string(OpNeq), string(OpIn), string(OpNotIn), string(OpGt), string(OpGte), string(OpLt), string(OpLte), string(OpContains), string(OpNotContains), string(OpIsSet), string(OpIsNotSet)},
	reflect.TypeOf(Math("")):        {string(MathTotal), string(MathDAU), string(MathSum), string(MathAvg), string(MathMin), string(MathMax), string(MathMedian), string(MathP90), string(MathPerPersonAvg)},
	reflect.TypeOf(FunnelOrder("")): {string(Ordered), string(Strict), string(Unordered)},
}

// schemaDocs describes fields ("Type.field") and types ("Type") in the schema.
var schemaDocs = map[string]string{
	"Spec":                "One analysis. kind selects which of the kind-specific fields apply; fields of another kind are rejected (400 invalid_spec with the field).",
	"Spec.kind":           "trends (事件分析), funnel (漏斗分析) or retention (留存分析)",
	"Spec.filters":        "apply to every event of the analysis",
	"Spec.breakdown":      "split results by a property: trends by the series events', funnels by the step-1 event's",
	"Spec.series":         "trends only: the lines, named A, B, … in order",
	"Spec.interval":       "trends: the bucket, in the project's calendar; default day",
	"Spec.formula":        "trends: arithmetic over series letters, e.g. \"B / A\"",
	"Spec.compare":        "trends: add the previous period of the same length",
	"Spec.steps":          "funnel only: 2 to 20 steps",
	"Spec.window":         "funnel conversion window: \"30m\", \"24h\", \"7d\"; default 24h",
	"Spec.order":          "funnel: only ordered is implemented yet (the others give 400 unsupported)",
	"Spec.exclusions":     "funnel: not implemented yet (400 unsupported)",
	"Spec.start_event":    "retention: the event that puts a person in a cohort",
	"Spec.return_event":   "retention: the event that counts a person as retained",
	"Spec.period":         "retention: day, week or month; default day",
	"Spec.first_time":     "retention: cohort by the first-ever start event (else every period with a start event is a cohort of its own)",
	"Spec.periods":        "retention: N, retained in periods 0..N; default 7",
	"DateRange":           "The analysed range, in the project's calendar.",
	"DateRange.from":      "a project-calendar date \"2024-01-31\", an RFC 3339 instant, \"today\", \"now\", relative \"-24h\", \"-7d\", \"-2w\", \"-3m\", \"-1y\", or \"-1d@now\" (now's time of day a day back)",
	"DateRange.to":        "same forms; a date is inclusive (the whole day); empty means now",
	"Filter.property":     "an event property (\"price\" or \"properties.price\"), a column (\"event\", \"distinct_id\"), \"context.scene\", or a person trait (\"person.city\"); dots name keys of nested objects (\"context.page.path\", \"person.address.city\"), at most 4, never through arrays",
	"Filter.value":        "a string, number or boolean; a list of strings or numbers for in and not_in; absent for is_set and is_not_set",
	"Breakdown.limit":     "top N values (default 10); the rest are \"$other\"",
	"Series.math":         "default total; sum, avg, min, max, median and p90 need property",
	"Series.property":     "the numeric property for sum, avg, min, max, median, p90 and per_person_avg",
	"EventFilter":         "An event name with filters: a funnel step or a retention event.",
	"Exclusion.from_step": "the step after which the event cancels the conversion",
	"Exclusion.to_step":   "the step before which the event cancels the conversion",
	"Interval":            "A calendar unit of the project's time zone; weeks start on Monday.",
	"Operator":            "How a filter compares the property with value.",
	"Math":                "How a trends series aggregates the events of one interval.",
}

func specSchema() map[string]any {
	defs := map[string]any{}
	var typeOf func(t reflect.Type) map[string]any
	typeOf = func(t reflect.Type) map[string]any {
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if vals, ok := schemaEnums[t]; ok {
			if _, done := defs[t.Name()]; !done {
				def := map[string]any{"type": "string", "enum": vals}
				if d, ok := schemaDocs[t.Name()]; ok {
					def["description"] = d
				}
				defs[t.Name()] = def
			}
			return map[string]any{"$ref": "#/$defs/" + t.Name()}
		}
		switch t.Kind() {
		case reflect.String:
			return map[string]any{"type": "string"}
		case reflect.Bool:
			return map[string]any{"type": "boolean"}
		case reflect.Int, reflect.Int64:
			return map[string]any{"type": "integer"}
		case reflect.Slice:
			return map[string]any{"type": "array", "items": typeOf(t.Elem())}
		case reflect.Interface:
			return map[string]any{}
		case reflect.Struct:
			if _, done := defs[t.Name()]; !done {
				defs[t.Name()] = nil // reserve: recursive types
				props := map[string]any{}
				var required []string
				for i := 0; i < t.NumField(); i++ {
					f := t.Field(i)
					name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
					if name == "" || name == "-" {
						continue
					}
					ps := typeOf(f.Type)
					if d, ok := schemaDocs[t.Name()+"."+name]; ok {
						if _, isRef := ps["$ref"]; isRef {
							ps = map[string]any{"allOf": []any{ps}, "description": d}
						} else {
							ps["description"] = d
						}
					}
					props[name] = ps
					if !strings.Contains(opts, "omitempty") {
						required = append(required, name)
					}
				}
				def := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
				if d, ok := schemaDocs[t.Name()]; ok {
					def["description"] = d
				}
				if len(required) > 0 {
					def["required"] = required
				}
				defs[t.Name()] = def
			}
			return map[string]any{"$ref": "#/$defs/" + t.Name()}
		}
		panic("BUG: no schema for " + t.String())
	}
	typeOf(reflect.TypeOf(Spec{}))
	return map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         "https://github.com/jingyun/jingyun/api/spec.schema.json",
		"title":       "Spec",
		"description": "An analysis spec (package query): the body of POST /api/v1/projects/{project}/query and of a saved insight. Written from the Go types by `go test ./query -run TestSpecSchema -update`; do not edit.",
		"$ref":        "#/$defs/Spec",
		"$defs":       defs,
	}
}

func TestSpecSchema(t *testing.T) {
	got, err := json.MarshalIndent(specSchema(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	for k, d := range schemaDocs {
		quoted, _ := json.Marshal(d)
		if !bytes.Contains(got, quoted) {
			t.Errorf("schemaDocs[%q] is not used: no such type or field", k)
		}
	}
	const path = "../api/spec.schema.json"
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s does not match the Go types of the spec: run go test ./query -run TestSpecSchema -update, then node scripts/spec-types.mjs in console/", path)
	}
}
