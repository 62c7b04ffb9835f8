package clickhouse

import (
	"bytes"
	"encoding/binary"
	"io"
	"reflect"
	"strings"
	"testing"
)

// nativeBlock encodes a Native block the way the server does over HTTP.
func nativeBlock(rows int, cols ...any) []byte {
	var b bytes.Buffer
	uv := func(v uint64) { b.Write(binary.AppendUvarint(nil, v)) }
	str := func(s string) { uv(uint64(len(s))); b.WriteString(s) }
	uv(uint64(len(cols) / 3))
	uv(uint64(rows))
	for i := 0; i < len(cols); i += 3 {
		str(cols[i].(string))
		str(cols[i+1].(string))
		binary.Write(&b, binary.LittleEndian, cols[i+2])
	}
	return b.Bytes()
}

func TestNativeInt64Reader(t *testing.T) {
	var in []byte
	in = append(in, nativeBlock(2,
		"a", "Int64", []int64{1, -2},
		"b", "UInt8", []uint8{3, 255},
		"c", "Int32", []int32{-7, 8},
		"d", "UInt64", []uint64{1 << 63, 9})...)
	in = append(in, nativeBlock(0, "a", "Int64", []int64{}, "b", "UInt8", []uint8{}, "c", "Int32", []int32{}, "d", "UInt64", []uint64{})...)
	in = append(in, nativeBlock(1,
		"a", "Int64", []int64{10},
		"b", "UInt8", []uint8{0},
		"c", "Int32", []int32{0},
		"d", "UInt64", []uint64{0})...)
	r := newNativeInt64Reader(bytes.NewReader(in))
	var got [][][]int64
	for {
		cols, err := r.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		cp := make([][]int64, len(cols))
		for i := range cols {
			cp[i] = append([]int64(nil), cols[i]...)
		}
		got = append(got, cp)
	}
	want := [][][]int64{
		{{1, -2}, {3, 255}, {-7, 8}, {-1 << 63, 9}},
		{{10}, {0}, {0}, {0}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestNativeInt64ReaderErrors(t *testing.T) {
	f := func(in []byte, wantErr string) {
		t.Helper()
		r := newNativeInt64Reader(bytes.NewReader(in))
		var err error
		for err == nil {
			_, err = r.next()
		}
		if err == io.EOF || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("err = %v, want %q", err, wantErr)
		}
	}
	f(nativeBlock(1, "s", "String", []byte{0}), `column "s" has type String`)
	f(nativeBlock(1, "n", "Nullable(Int64)", []byte{0}), "not an integer type")
	f(append(nativeBlock(1, "a", "Int64", []int64{1}), "Code: 241, e.displayText() = DB::Exception: Memory limit"...), "Code: 241")
	f(nativeBlock(2, "a", "Int64", []int64{1}), "cannot read column")
}
