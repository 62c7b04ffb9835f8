package clickhouse

import (
	"testing"

	"github.com/jingyun/jingyun/analysis/analysistest"
)

// TestScenarios runs the analysis scenarios that the DuckDB store runs too (one suite for
// every store), then checks funnels and retention against ClickHouse's own windowFunnel and
// retention functions on the same data.
func TestScenarios(t *testing.T) {
	analysistest.Run(t, openStore(t), "../../analysis/testdata/*.scenario")
}

func TestCrossCheckWithClickHouseFunctions(t *testing.T) {
	analysistest.CrossCheck(t, openStore(t), "../../analysis/testdata/*.scenario")
}
