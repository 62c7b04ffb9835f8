package analysis

import (
	"fmt"
	"testing"

	"github.com/jingyun/jingyun/query"
)

func TestRetentionEngine(t *testing.T) {
	const S, R = query.RetentionStart, query.RetentionReturn
	rows := [][3]int64{
		{1, 100, S | R}, {1, 101, R}, {1, 103, R}, // cohort 100: retained in P0 and P1
		{2, 101, S}, {2, 102, S | R}, // cohorts 101 (retained P1) and 102 (P0); first-time: 101 only
		{3, query.BeforeRange, S}, {3, 101, S | R}, // first-time: started before the range
		{4, 100, R},              // returns only
		{5, 102, S}, {5, 104, R}, // cohort 102, retained in P2 (the horizon's last period)
	}
	f := func(firstTime bool, want string) {
		t.Helper()
		e := newRetentionEngine(query.BucketRange{First: 100, Last: 102}, 2, firstTime)
		for _, r := range rows {
			if err := e.add(r[0], r[1], r[2]); err != nil {
				t.Fatal(err)
			}
		}
		e.finish()
		if got := fmt.Sprint(e.size, e.retained); got != want {
			t.Fatalf("first_time=%v: %s, want %s", firstTime, got, want)
		}
	}
	f(false, "[1 2 2] [[1 1 0] [1 1 0] [1 0 1]]")
	f(true, "[1 1 1] [[1 1 0] [0 1 0] [0 0 1]]")

	e := newRetentionEngine(query.BucketRange{First: 100, Last: 102}, 2, false)
	for _, r := range [][3]int64{{1, 100, S}, {1, 103, S}} {
		if err := e.add(r[0], r[1], r[2]); err != nil {
			return
		}
	}
	t.Fatal("a start after the range was accepted")
}
