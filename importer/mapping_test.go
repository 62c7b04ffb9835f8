package importer

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

const trackBase = `"format":"csv","event":{"name":"Signed Up"},"person":{"user_id":"uid"},"time":{"column":"ts","format":"unix"}`

const orderBase = `"format":"csv","person":{"user_id":"uid"},"time":{"column":"ts","format":"unix"}`

func TestParseMappingBad(t *testing.T) {
	// f checks that the mapping fails with a *FieldError naming field.
	f := func(js, field string) {
		t.Helper()
		_, err := ParseMapping([]byte(js))
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Fatalf("mapping %s: want a FieldError for %q, got %v", js, field, err)
		}
		if fe.Field != field {
			t.Fatalf("mapping %s: want field %q, got %q (%v)", js, field, fe.Field, err)
		}
		if !strings.Contains(err.Error(), field) {
			t.Fatalf("error %q does not name field %q", err, field)
		}
	}
	f(`{}`, "format")
	f(`{"format":"xml"}`, "format")
	f(`{`+trackBase+`,"csv":{"delimiter":",,"}}`, "csv.delimiter")
	f(`{`+trackBase+`,"csv":{"delimiter":"\""}}`, "csv.delimiter")
	f(`{`+trackBase+`,"csv":{"header":false}}`, "csv.columns")
	f(`{`+trackBase+`,"csv":{"header":true,"columns":["a"]}}`, "csv.columns")
	f(`{`+trackBase+`,"csv":{"header":false,"columns":["uid","x"]}}`, "csv.columns")
	f(`{`+trackBase+`,"csv":{"header":false,"columns":["uid","ts","uid"]}}`, "csv.columns[2]")
	f(`{"format":"ndjson","csv":{},"event":{"name":"A"},"person":{"user_id":"uid"},"time":{"column":"ts","format":"unix"}}`, "csv")
	f(`{"format":"csv","person":{"user_id":"uid"},"time":{"column":"ts","format":"unix"}}`, "event")
	f(`{`+orderBase+`,"event":{"name":"X"},"order":{"key":"k","quantity":"q","price":"p","currency":"GBP"}}`, "event")
	f(`{"format":"csv","event":{"name":"A","column":"e"},"person":{"user_id":"uid"},"time":{"column":"ts","format":"unix"}}`, "event")
	f(`{"format":"csv","event":{"name":" "},"person":{"user_id":"uid"},"time":{"column":"ts","format":"unix"}}`, "event.name")
	f(`{"format":"csv","event":{"name":"$pageview"},"person":{"user_id":"uid"},"time":{"column":"ts","format":"unix"}}`, "event.name")
	f(`{"format":"csv","event":{"column":"e","values":{"pv":"P"},"unmapped":"drop"},"person":{"user_id":"uid"},"time":{"column":"ts","format":"unix"}}`, "event.unmapped")
	f(`{"format":"csv","event":{"column":"e","unmapped":"skip"},"person":{"user_id":"uid"},"time":{"column":"ts","format":"unix"}}`, "event.unmapped")
	f(`{"format":"csv","event":{"column":"e","values":{"pv":""}},"person":{"user_id":"uid"},"time":{"column":"ts","format":"unix"}}`, `event.values["pv"]`)
	f(`{"format":"csv","event":{"name":"A"},"person":{},"time":{"column":"ts","format":"unix"}}`, "person")
	f(`{"format":"csv","event":{"name":"A"},"person":{"anonymous_id":"a","user_id_integer":true},"time":{"column":"ts","format":"unix"}}`, "person.user_id_integer")
	f(`{"format":"csv","event":{"name":"A"},"person":{"user_id":"u","guest_prefix":"g-"},"time":{"column":"ts","format":"unix"}}`, "person.guest_prefix")
	f(`{"format":"csv","event":{"name":"A"},"person":{"user_id":"u"},"time":{"column":"","format":"unix"}}`, "time.column")
	f(`{"format":"csv","event":{"name":"A"},"person":{"user_id":"u"},"time":{"column":"ts"}}`, "time.format")
	f(`{"format":"csv","event":{"name":"A"},"person":{"user_id":"u"},"time":{"column":"ts","format":"YYYY-MM-DD","zone":"UTC"}}`, "time.format")
	f(`{"format":"csv","event":{"name":"A"},"person":{"user_id":"u"},"time":{"column":"ts","format":"15:04"}}`, "time.format")
	f(`{"format":"csv","event":{"name":"A"},"person":{"user_id":"u"},"time":{"column":"ts","format":"2006-01-02 15:04:05"}}`, "time.zone")
	f(`{"format":"csv","event":{"name":"A"},"person":{"user_id":"u"},"time":{"column":"ts","format":"2006-01-02","zone":"Europe/Londn"}}`, "time.zone")
	f(`{`+trackBase+`,"valid_range":{"from":"2017-11-25"}}`, "time.zone")
	f(`{"format":"csv","event":{"name":"A"},"person":{"user_id":"u"},"time":{"column":"ts","format":"unix","zone":"UTC"},"valid_range":{"from":"25/11/2017"}}`, "valid_range.from")
	f(`{"format":"csv","event":{"name":"A"},"person":{"user_id":"u"},"time":{"column":"ts","format":"unix","zone":"UTC"},"valid_range":{"to":"2017-13-01"}}`, "valid_range.to")
	f(`{"format":"csv","event":{"name":"A"},"person":{"user_id":"u"},"time":{"column":"ts","format":"unix","zone":"UTC"},"valid_range":{"from":"2017-12-04","to":"2017-12-03"}}`, "valid_range")
	f(`{"format":"csv","event":{"name":"A"},"person":{"user_id":"u"},"time":{"column":"ts","format":"unix","zone":"UTC"},"valid_range":{}}`, "valid_range")
	f(`{`+trackBase+`,"properties":[{"column":"a","name":"a"},{"column":"b","name":"b","type":"money"}]}`, "properties[1].type")
	f(`{`+trackBase+`,"properties":[{"column":"a","name":"a"},{"column":"b","name":"a"}]}`, "properties[1].name")
	f(`{`+trackBase+`,"properties":[{"column":"","name":"a"}]}`, "properties[0].column")
	f(`{`+trackBase+`,"skip":[{"name":"x","when":[{"column":"a","prefix":"A","empty":true}]}]}`, "skip[0].when[0]")
	f(`{`+trackBase+`,"skip":[{"name":"x","when":[{"column":"a"}]}]}`, "skip[0].when[0]")
	f(`{`+trackBase+`,"skip":[{"name":"x","when":[]}]}`, "skip[0].when")
	f(`{`+trackBase+`,"skip":[{"name":"x","when":[{"column":"a","empty":true}]},{"name":"x","when":[{"column":"a","empty":true}]}]}`, "skip[1].name")
	f(`{`+orderBase+`,"order":{"key":"k","quantity":"q","price":"p"}}`, "order.currency")
	f(`{`+orderBase+`,"order":{"key":"k","quantity":"q","price":"p","currency":"pound"}}`, "order.currency")
	f(`{`+orderBase+`,"order":{"key":"k","quantity":"q","price":"p","currency":"GBP","currency_column":"c"}}`, "order.currency")
	f(`{`+orderBase+`,"order":{"quantity":"q","price":"p","currency":"GBP"}}`, "order.key")
	f(`{`+orderBase+`,"order":{"key":"k","price":"p","currency":"GBP"}}`, "order.quantity")
	f(`{`+orderBase+`,"order":{"key":"k","quantity":"q","currency":"GBP"}}`, "order.price")
	f(`{`+orderBase+`,"order":{"key":"k","quantity":"q","price":"p","currency":"GBP","products":[{"column":"p","name":"price"}]}}`, "order.products[0].name")
	f(`{`+orderBase+`,"order":{"key":"k","quantity":"q","price":"p","currency":"GBP","refund":{"when":[]}}}`, "order.refund.when")
	f(`{`+orderBase+`,"order":{"key":"k","quantity":"q","price":"p","currency":"GBP","refund":{"when":[{"column":"k","prefix":"C"}],"event":"Order Completed"}}}`, "order.refund.event")
	f(`{`+orderBase+`,"properties":[{"column":"x","name":"total"}],"order":{"key":"k","quantity":"q","price":"p","currency":"GBP"}}`, "properties[0].name")
	f(`{`+orderBase+`,"message_id":{"key":["k"]},"order":{"key":"k","quantity":"q","price":"p","currency":"GBP"}}`, "message_id.key")
}

func TestParseMappingSyntax(t *testing.T) {
	// f checks that a mapping that is not well-formed fails with a message containing want.
	f := func(js, want string) {
		t.Helper()
		_, err := ParseMapping([]byte(js))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("mapping %s: want error containing %q, got %v", js, want, err)
		}
	}
	f(`{`+trackBase+`,"formt":"csv"}`, `unknown field "formt"`)
	f(`{`+trackBase+`,"csv":{"header":"yes"}}`, `field "csv.header"`)
	f(`{`+trackBase+`,"properties":[{"column":"a","name":"a","required":"no"}]}`, `field "properties.required"`)
	f(`{`+trackBase+`} {}`, "trailing data")
	f(`{`+trackBase, "cannot parse mapping")
}

func TestExampleMappings(t *testing.T) {
	for _, name := range []string{"online_retail.json", "taobao_userbehavior.json"} {
		if _, err := LoadMapping(filepath.Join("..", "docs", "examples", name)); err != nil {
			t.Errorf("example %s: %v", name, err)
		}
	}
}
