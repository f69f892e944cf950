package infra

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/keelstack/keel/test/internal/testenv"
	"github.com/keelstack/keel/tools/cost"
)

const (
	dashboardMonth = 3.00 // $/dashboard-month (tools/cost/prices.json)
	emfLine        = 500  // bytes, tools/cost/telemetry.go
	span           = 1024 // bytes, tools/cost/telemetry.go
)

// withTelemetryLines adds, worked out by hand, the lines the service's telemetry costs in
// each default stage: one dashboard; 39 custom metrics (7 routes with the unmatched bucket × 4,
// 4 service-wide, 7 gauges: the vault's 2, admission's 3, the pool's 2); 8 EMF lines a minute
// per task; spans at the stage's sampling ratio.
func withTelemetryLines(expected map[string]want, stage string) map[string]want {
	out := maps.Clone(expected)
	tasks := map[string]want{"dev": {1, 2}, "staging": {2, 4}, "prod": {3, 12}}[stage]
	perTask := hours * 60 * 8 * emfLine / gib * logIngest
	out["CloudWatch dashboards"] = want{dashboardMonth, dashboardMonth}
	out["Service custom metrics (EMF)"] = want{39 * metric, 39 * metric}
	out["Service metric lines ingested (EMF)"] = want{tasks.min * perTask, tasks.max * perTask}
	rps, ratio := map[string]float64{"staging": 5, "prod": 50}[stage], map[string]float64{"staging": 0.1, "prod": 0.05}[stage]
	if ratio > 0 {
		spans := rps * ratio * hours * 3600 * span / gib * logIngest
		out["Trace spans ingested (X-Ray Transaction Search)"] = want{spans, spans}
	}
	return out
}

// TestCostCountsTheServiceMetrics: the counts tools/cost prices are the service's: its route
// patterns (httpapi.New's mux, plus the unmatched bucket unless "/" is one of them) and the
// metrics its EMF lines define per dimension set.
func TestCostCountsTheServiceMetrics(t *testing.T) {
	file := filepath.Join(testenv.RepoRoot(t), "app", "internal", "httpapi", "handler.go")
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	routes, catchAll := 0, false
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || len(call.Args) == 0 || (sel.Sel.Name != "HandleFunc" && sel.Sel.Name != "Handle") {
			return true
		}
		if id, ok := sel.X.(*ast.Ident); !ok || id.Name != "mux" {
			return true
		}
		routes++
		if lit, ok := call.Args[0].(*ast.BasicLit); ok {
			if p, _ := strconv.Unquote(lit.Value); p == "/" {
				catchAll = true
			}
		}
		return true
	})
	if !catchAll {
		routes++ // the unmatched bucket
	}
	if routes != cost.ServiceRoutes {
		t.Errorf("httpapi serves %d routes (with the unmatched bucket), tools/cost prices %d: update cost.ServiceRoutes", routes, cost.ServiceRoutes)
	}
	perSet := map[string]int{}
	for m := range serviceMetrics(t) {
		if m.namespace == "keel" {
			perSet[m.keys]++
		}
	}
	if perSet["Route,Service"] != cost.PerRouteMetrics || perSet["Service"] != cost.RollupMetrics+cost.GaugeMetrics {
		t.Errorf("the service writes %v metrics per dimension set, tools/cost prices %d per route and %d service-wide: update tools/cost/telemetry.go",
			perSet, cost.PerRouteMetrics, cost.RollupMetrics+cost.GaugeMetrics)
	}
}
