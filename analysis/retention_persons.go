package analysis

import (
	"context"
	"fmt"
	"slices"

	"github.com/jingyun/jingyun/query"
	"github.com/jingyun/jingyun/store"
)

// CohortPersons selects the persons behind one figure of a retention table: the cohort
// whose Start is Cohort (as the result labels it, "2026-11-02"); with Period set, those of
// it who did the return event in period Period (0…periods); with Lost as well, those who
// did not.
type CohortPersons struct {
	Cohort string `json:"cohort"`
	Period *int   `json:"period,omitempty"`
	Lost   bool   `json:"lost,omitempty"`
}

// RetentionPersons runs a retention spec like Execute and returns the persons of sel,
// ascending by person id (after merges, as the retention counts them). Their number equals
// the figure: the cohort's Size, Retained[Period], or Size − Retained[Period] when Lost.
// Spec and selection errors are *query.Error naming the field (cohort, period, lost, or
// the spec's own, such as kind).
func RetentionPersons(ctx context.Context, st store.EventStore, spec *query.Spec, env query.Env, sel CohortPersons) ([]int64, error) {
	p, err := compileKind(st, spec, env, query.KindRetention, "this lists the persons of retention cohorts; funnels have their own")
	if err != nil {
		return nil, err
	}
	cal := p.Calendar()
	cohort := -1
	var labels []string
	for i := range p.Cohorts.Len() {
		l := cal.BucketLabel(p.Period, p.Cohorts.First+int64(i))
		labels = append(labels, l)
		if l == sel.Cohort {
			cohort = i
		}
	}
	switch {
	case sel.Cohort == "":
		return nil, &query.Error{Code: "missing_field", Field: "cohort", Message: "is required: the start of a cohort, as the result labels it"}
	case cohort < 0 && len(labels) == 0:
		return nil, &query.Error{Code: "invalid_value", Field: "cohort", Message: "the table has no cohorts"}
	case cohort < 0:
		return nil, &query.Error{Code: "invalid_value", Field: "cohort", Message: fmt.Sprintf("%q is not a cohort of the result (%s … %s)", sel.Cohort, labels[0], labels[len(labels)-1])}
	case sel.Period != nil && (*sel.Period < 0 || *sel.Period > p.Periods):
		return nil, &query.Error{Code: "invalid_value", Field: "period", Message: fmt.Sprintf("must be a period of the table, 0…%d", p.Periods)}
	case sel.Lost && sel.Period == nil:
		return nil, &query.Error{Code: "invalid_value", Field: "lost", Message: "give the period the persons did not return in"}
	}
	ids := []int64{}
	if _, err := scanRetention(ctx, st, p, func(person int64, c int, returned func(n int) bool) {
		if c != cohort {
			return
		}
		if sel.Period == nil || returned(*sel.Period) != sel.Lost {
			ids = append(ids, person)
		}
	}); err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids, nil
}
