package infra

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/keelstack/keel/app/vsync"
	"github.com/keelstack/keel/app/vsync/vsynctest"
	"github.com/keelstack/keel/infra/settings"
	"github.com/keelstack/keel/test/internal/testenv"
)

// containerEnv is the app container's environment in a service template.
func containerEnv(t *testing.T, tp template) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, kv := range anySlice(get(tp.props(t, "AWS::ECS::TaskDefinition"), "ContainerDefinitions", 0, "Environment")) {
		env[fmt.Sprint(get(kv, "Name"))] = fmt.Sprint(get(kv, "Value"))
	}
	return env
}

// TestDashboardPointsAtRealMetrics: every widget of every stage's dashboard names a metric
// that the template's resources or the service itself produce, with dimension values that are
// the template's resources; every alarm and target group of the stage is on it.
func TestDashboardPointsAtRealMetrics(t *testing.T) {
	produced := serviceMetrics(t)
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		body, err := dashboardBody(get(tp.props(t, "AWS::CloudWatch::Dashboard"), "DashboardBody"))
		if err != nil {
			t.Fatal(err)
		}
		env := containerEnv(t, tp)
		insights := strings.Contains(jsonOf(tp.props(t, "AWS::ECS::Cluster")), `{"Name":"containerInsights","Value":"enabled"}`)
		if problems := checkDashboard(body, tp, env["METRICS_NAMESPACE"], env["OTEL_SERVICE_NAME"], insights, produced); len(problems) > 0 {
			t.Errorf("%d widget problems:\n%s", len(problems), strings.Join(problems, "\n"))
		}
		if !strings.Contains(jsonOf(tp["Outputs"]), `"DashboardUrl"`) {
			t.Error("no DashboardUrl output")
		}
	})
}

// TestDashboardCheckFailsOnWidgetsPointingAtNothing: the cross-check finds a load balancer
// metric under a name that is no resource, a metric AWS does not publish, a service metric
// the service does not write, a wrong Service value and an alarm that is not the stack's.
func TestDashboardCheckFailsOnWidgetsPointingAtNothing(t *testing.T) {
	tp := app(t).templates["dev"]
	produced := map[emitted]bool{{"keel", "Requests", "Service"}: true}
	var lbID string
	for id := range tp.resources("AWS::ElasticLoadBalancingV2::LoadBalancer") {
		lbID = id
	}
	body := map[string]any{"widgets": []any{
		map[string]any{"type": "metric", "properties": map[string]any{"metrics": []any{
			[]any{"AWS/ApplicationELB", "RequestCount", "LoadBalancer", "app/keel-old/0123456789abcdef"},
			[]any{"AWS/ApplicationELB", "RequestCount", "LoadBalancer", "${GetAtt:" + lbID + ".DNSName}"},
			[]any{"AWS/ApplicationELB", "RequestsTotal", "LoadBalancer", "${GetAtt:" + lbID + ".LoadBalancerFullName}"},
			[]any{"keel", "Requestz", "Service", "keel-dev"},
			[]any{"keel", "Requests", "Service", "keel-staging"},
			[]any{map[string]any{"expression": `SEARCH('{keel,Route,Service} Service="keel-dev" MetricName="Requests"', 'Sum', 60)`}},
		}}},
		map[string]any{"type": "alarm", "properties": map[string]any{"alarms": []any{"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:gone"}}},
	}}
	problems := strings.Join(checkDashboard(body, tp, "keel", "keel-dev", false, produced), "\n")
	for _, want := range []string{
		`LoadBalancer = "app/keel-old/0123456789abcdef" is not a reference`,
		"DNSName, want the LoadBalancerFullName",
		"AWS/ApplicationELB/RequestsTotal {LoadBalancer}: AWS publishes no such metric",
		"keel/Requestz {Service}: the service writes no such metric",
		`Service = "keel-staging"`,
		"keel/Requests {Route,Service}: the service writes no such metric",
		"alarm arn:aws:cloudwatch:eu-west-1:123456789012:alarm:gone is not an alarm of the template",
		"is not on the dashboard",
	} {
		if !strings.Contains(problems, want) {
			t.Errorf("the check missed %q; it found:\n%s", want, problems)
		}
	}
}

// serviceMetrics runs the service binary (built as the Dockerfile builds it) with a 1 s
// metrics interval against a published vault, sends it requests, stops it, and returns every
// metric (namespace, name, dimension keys) its EMF lines define. Run once per test binary.
func serviceMetrics(t *testing.T) map[emitted]bool {
	t.Helper()
	produced.Lock()
	defer produced.Unlock()
	if produced.metrics == nil {
		m, err := runService(t)
		if err != nil {
			t.Fatal(err)
		}
		produced.metrics = m
	}
	return produced.metrics
}

var produced struct {
	sync.Mutex
	metrics map[emitted]bool
}

func runService(t *testing.T) (map[emitted]bool, error) {
	bin, err := testenv.BuildServerLikeDockerfile(t.TempDir(), map[string]string{"VERSION": "test"})
	if err != nil {
		return nil, err
	}
	srv := vsynctest.StartGoFakeS3(t)
	cfg := srv.Config("dashboard/", "test", "c2FsdHNhbHRzYWx0c2FsdA==", 1000)
	if _, err := vsync.Publish(context.Background(), srv.Store(), cfg, "pass", vsync.Release{KV: map[string]string{"BILLING_KEY": "x"}}, time.Now(), vsync.WithIterationFloor(1000)); err != nil {
		return nil, err
	}
	token, err := vsync.EncodeConfig(cfg)
	if err != nil {
		return nil, err
	}
	addr, err := vsynctest.LoopbackAddr()
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "serve")
	cmd.Env = []string{"VSYNC_CONFIG=" + token, "VSYNC_PASSPHRASE=pass", "LISTEN_HOST=" + host, "PORT=" + port, "METRICS_INTERVAL=1s", "METRICS_NAMESPACE=keel"}
	out := &testenv.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), `"msg":"ready"`) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	for _, path := range []string{"/api/v1/greetings?name=x", "/healthz", "/no/such/path"} {
		if resp, err := http.Get("http://" + addr + path); err == nil {
			resp.Body.Close()
		}
	}
	time.Sleep(1100 * time.Millisecond) // one interval: the vault gauges are written
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	metrics := map[emitted]bool{}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	sc.Buffer(nil, 1<<21)
	for sc.Scan() {
		var doc struct {
			AWS struct {
				CloudWatchMetrics []struct {
					Namespace  string
					Dimensions [][]string
					Metrics    []struct{ Name string }
				}
			} `json:"_aws"`
		}
		if json.Unmarshal(sc.Bytes(), &doc) != nil {
			continue
		}
		for _, d := range doc.AWS.CloudWatchMetrics {
			for _, set := range d.Dimensions {
				keys := strings.Join(slices.Sorted(slices.Values(set)), ",")
				for _, m := range d.Metrics {
					metrics[emitted{d.Namespace, m.Name, keys}] = true
				}
			}
		}
	}
	if len(metrics) == 0 {
		return nil, fmt.Errorf("the service wrote no metrics:\n%s", out)
	}
	return metrics, nil
}
