package analysis_test

import (
	"testing"

	"github.com/jingyun/jingyun/analysis/analysistest"
	"github.com/jingyun/jingyun/store/duckdb"
)

// TestScenariosDuckDB runs every scenario in testdata against an in-memory DuckDB store.
func TestScenariosDuckDB(t *testing.T) {
	st, err := duckdb.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	analysistest.Run(t, st, "testdata/*.scenario")
}
