package infra

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keelstack/keel/infra/settings"
	"github.com/keelstack/keel/test/internal/testenv"
)

// The Control Tower proactive controls and the cfn-guard binary that runs them ship in the
// npm package pinned in package-lock.json (scripts/install-tools cdk installs it).
const (
	cfnGuardPackage = "node_modules/@cdklabs/cdk-validator-cfnguard"
	cfnGuardBinary  = cfnGuardPackage + "/bin/ubuntu/x86_64/cfn-guard"
	controlsDir     = cfnGuardPackage + "/rules/control-tower"
)

// controlException is a control that cannot apply to this design, for the resources whose
// logical IDs match, in the stages where when says so (nil: every stage).
type controlException struct {
	control  string
	resource *regexp.Regexp
	when     func(settings.Stage) bool
	reason   string
}

var controlExceptions = []controlException{
	{"CT.S3.PR.10", regexp.MustCompile(`^IngressAccessLogs`), nil,
		"ALB access log delivery writes only to buckets encrypted with S3-managed keys (SSE-S3); a KMS key would stop the logs (ELB User Guide, access logs, bucket requirements)."},
	{"CT.S3.PR.2", regexp.MustCompile(`^IngressAccessLogs`), nil,
		"The bucket is itself the access-log sink; logging access to it needs another sink, whose access would need logging too."},
	{"CT.S3.PR.9", regexp.MustCompile(`^IngressAccessLogs`), nil,
		"A rolling log sink that the lifecycle empties after logs.retentionDays: Object Lock would keep what the retention setting promises to delete. Archive copies belong in the organisation's log archive account."},
	{"CT.CLOUDWATCH.PR.1", regexp.MustCompile(`^Alarms`), func(s settings.Stage) bool { return !s.ControlTower() && s.Alarms.TopicARN == "" },
		"The stage runs without the control-tower compliance profile and without alarms.topicArn: its alarms drive deployment rollback only."},
	{"CT.CLOUDWATCH.PR.2", regexp.MustCompile(`^(Logs|FlowLogs|DatabaseLogs)`), func(s settings.Stage) bool { return !s.ControlTower() },
		"The stage runs without the control-tower compliance profile: logs.retentionDays is shorter to save cost."},
	{"CT.CLOUDWATCH.PR.3", regexp.MustCompile(`^(Logs|FlowLogs|DatabaseLogs)`), func(s settings.Stage) bool { return !s.ControlTower() },
		"The stage runs without the control-tower compliance profile: its logs use CloudWatch Logs' own encryption, no customer-managed key."},
	{"CT.ELASTICLOADBALANCING.PR.5", regexp.MustCompile(`^IngressLoadBalancer`), func(s settings.Stage) bool { return !s.Protect },
		"The stage is disposable (protect false): deletion protection would block deleting its stack."},
	{"CT.ECS.PR.2", regexp.MustCompile(`^AppCluster`), func(s settings.Stage) bool { return !s.Task.ContainerInsights },
		"Container Insights is off in this stage by task.containerInsights, to save cost; the service's CPU and memory are still alarmed."},
	{"CT.ECS.PR.9", regexp.MustCompile(`^AppService`), func(s settings.Stage) bool { return s.Network.PublicTasks },
		"The stage runs tasks in public subnets with public IPs (network.publicTasks) so that it needs no NAT gateway; they accept traffic from the load balancer's security group only."},
	{"CT.ELASTICLOADBALANCING.PR.1", regexp.MustCompile(`^IngressLoadBalancer`), func(s settings.Stage) bool { return !s.ServesHTTPS() },
		"The stage serves plain HTTP (no domain or certificate; staging and prod refuse this without https.allowPlainHttp): there is no HTTPS to redirect to."},
	{"CT.RDS.PR.2", regexp.MustCompile(`^DatabaseInstance`), nil,
		"Enhanced Monitoring needs a role RDS assumes (monitoring.rds.amazonaws.com, the AWS managed policy AmazonRDSEnhancedMonitoringRole) and writes OS metrics to the RDSOSMetrics log group, which keeps neither the stage's retention nor its key; the AWS/RDS CloudWatch metrics (CPU, connections, ACU, storage, latency) are what the alarms and dashboard read."},
	{"CT.RDS.PR.20", regexp.MustCompile(`^DatabaseInstance`), nil,
		"PostgreSQL's default port 5432 is the service's contract (DB_PORT); the database is in isolated subnets and its security group admits only the service's tasks, so another port would hide nothing."},
	{"CT.RDS.PR.1", regexp.MustCompile(`^DatabaseInstance`), func(s settings.Stage) bool { return s.Database != nil && !s.Database.MultiAZ },
		"The stage runs its database in one availability zone by its settings (database.multiAz false) to save cost; the control-tower profile refuses this."},
	{"CT.RDS.PR.13", regexp.MustCompile(`^DatabaseInstance`), func(s settings.Stage) bool { return s.Database != nil && !s.Database.DeletionProtection },
		"The stage is disposable (database.deletionProtection false): its stack must delete cleanly; the control-tower profile refuses this."},
	{"CT.RDS.PR.8", regexp.MustCompile(`^DatabaseInstance`), func(s settings.Stage) bool { return s.Database != nil && s.Database.BackupRetentionDays < 7 },
		"The stage keeps automated backups shorter than 7 days by its settings (database.backupRetentionDays) to save cost; the control-tower profile refuses this."},
}

// control is one Control Tower rule file and what its metadata says about it.
type control struct {
	rule     string
	ID       string   `json:"Id"`
	Fix      string   `json:"RemediationMessage"`
	Types    []string `json:"EvaluatedResourceTypes"`
	Severity string   `json:"Severity"`
}

// violation is a control a resource fails.
type violation struct {
	control  *control
	resource string
}

// TestControlTower runs every applicable Control Tower proactive control against every
// stage's service template and fails on each violation that is not an exception above.
func TestControlTower(t *testing.T) {
	guard := testenv.Tool(t, cfnGuardBinary, "scripts/install-tools cdk")
	controls := loadControls(t)
	a := app(t)
	start := time.Now()
	used := map[int]bool{}
	byStage, calls := evaluate(t, guard, a.templates, controls)
	for _, name := range settings.Names {
		s := a.built[name].Settings
		for _, v := range byStage[name] {
			if i := exceptionFor(s, v); i >= 0 {
				used[i] = true
				continue
			}
			t.Errorf("%s: %s fails %s (%s): fix: %s", name, v.resource, v.control.ID, v.control.Severity, v.control.Fix)
		}
	}
	for i, e := range controlExceptions {
		if !used[i] {
			t.Errorf("exception %s for %s matched nothing in any stage: remove it", e.control, e.resource)
		}
	}
	t.Logf("%d cfn-guard calls (%d controls, 3 templates each) in %v", calls, len(controls), time.Since(start).Round(time.Millisecond))
}

// TestControlTowerReportsViolation: a template that breaks a control is reported with the
// control, the resource and the fix.
func TestControlTowerReportsViolation(t *testing.T) {
	guard := testenv.Tool(t, cfnGuardBinary, "scripts/install-tools cdk")
	var retention []*control
	for _, c := range loadControls(t) {
		if c.ID == "CT.CLOUDWATCH.PR.2" {
			retention = append(retention, c)
		}
	}
	var tp template
	b, _ := json.Marshal(app(t).templates["prod"])
	_ = json.Unmarshal(b, &tp)
	for _, g := range tp.resources("AWS::Logs::LogGroup") {
		g["Properties"].(map[string]any)["RetentionInDays"] = 7
	}
	byStage, _ := evaluate(t, guard, map[string]template{"prod": tp}, retention)
	violations := byStage["prod"]
	if len(violations) != 4 {
		t.Fatalf("%d violations of CT.CLOUDWATCH.PR.2 with 7-day log groups, want 4 (app, database, flow and WAF logs)", len(violations))
	}
	i := slices.IndexFunc(violations, func(v violation) bool { return strings.HasPrefix(v.resource, "FlowLogs") })
	if i < 0 || !strings.Contains(violations[i].control.Fix, "365") {
		t.Errorf("no violation on the flow log's group naming 365 days: %v", violations)
	}
}

func exceptionFor(s settings.Stage, v violation) int {
	for i, e := range controlExceptions {
		if e.control == v.control.ID && e.resource.MatchString(v.resource) && (e.when == nil || e.when(s)) {
			return i
		}
	}
	return -1
}

// loadControls reads every rule's metadata.
func loadControls(t *testing.T) []*control {
	t.Helper()
	root := testenv.RepoRoot(t)
	rules, _ := filepath.Glob(filepath.Join(root, controlsDir, "cfn-guard", "*", "*.guard"))
	if len(rules) == 0 {
		t.Fatalf("no Control Tower rules under %s", controlsDir)
	}
	controls := make([]*control, 0, len(rules))
	for _, rule := range rules {
		service, file := filepath.Base(filepath.Dir(rule)), strings.TrimSuffix(filepath.Base(rule), ".guard")
		b, err := os.ReadFile(filepath.Join(root, controlsDir, "metadata", service, file+".metadata.json"))
		if err != nil {
			t.Fatalf("metadata of %s: %v", rule, err)
		}
		c := &control{rule: rule}
		if err := json.Unmarshal(b, c); err != nil {
			t.Fatalf("metadata of %s: %v", rule, err)
		}
		controls = append(controls, c)
	}
	return controls
}

// evaluate runs each control that evaluates a resource type of any of the templates, one
// cfn-guard call per control over all templates (so the status is per control and template),
// in parallel. It returns each template's violations sorted by resource and control, and the
// number of calls.
func evaluate(t *testing.T, guard string, templates map[string]template, controls []*control) (map[string][]violation, int) {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	names := map[string]string{} // file -> template name
	types := map[string]bool{}
	for name, tp := range templates {
		path := filepath.Join(dir, name+".json")
		b, _ := json.Marshal(tp)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		paths, names[path] = append(paths, path), name
		for _, r := range tp["Resources"].(map[string]any) {
			types[fmt.Sprint(get(r, "Type"))] = true
		}
	}
	var applicable []*control
	for _, c := range controls {
		if slices.ContainsFunc(c.Types, func(typ string) bool { return types[typ] }) {
			applicable = append(applicable, c)
		}
	}
	var (
		mu         sync.Mutex
		wg         sync.WaitGroup
		violations = map[string][]violation{}
		slots      = make(chan struct{}, 2*runtime.NumCPU())
	)
	for _, c := range applicable {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			failing, err := runGuard(guard, paths, c.rule)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("%s: %v", c.ID, err)
			}
			for path, resources := range failing {
				for _, r := range resources {
					violations[names[path]] = append(violations[names[path]], violation{control: c, resource: r})
				}
			}
		}()
	}
	wg.Wait()
	for _, vs := range violations {
		slices.SortFunc(vs, func(a, b violation) int {
			return strings.Compare(a.resource+" "+a.control.ID, b.resource+" "+b.control.ID)
		})
	}
	return violations, len(applicable)
}

var resourcePath = regexp.MustCompile(`^/Resources/([^/]+)`)

// runGuard returns, by template file, the logical IDs of the resources that fail rule.
// cfn-guard writes one JSON report per data file; it exits 0 when every template passes, 19
// when the rule fails somewhere, and otherwise on an error of its own.
func runGuard(guard string, templates []string, rule string) (map[string][]string, error) {
	args := []string{"validate", "-r", rule, "-o", "json", "--show-summary", "none"}
	for _, tp := range templates {
		args = append(args, "-d", tp)
	}
	out, err := exec.Command(guard, args...).Output()
	if err != nil {
		exit := (*exec.ExitError)(nil)
		if !errors.As(err, &exit) {
			return nil, fmt.Errorf("cfn-guard: %v", err)
		}
		if exit.ExitCode() != 19 {
			return nil, fmt.Errorf("cfn-guard: %v: %s", err, exit.Stderr)
		}
	}
	failing := map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for reports := 0; ; reports++ {
		var report struct {
			Name         string            `json:"name"`
			Status       string            `json:"status"`
			NotCompliant []json.RawMessage `json:"not_compliant"`
		}
		if err := dec.Decode(&report); err == io.EOF {
			if reports != len(templates) {
				return nil, fmt.Errorf("cfn-guard reported on %d of %d templates", reports, len(templates))
			}
			return failing, nil
		} else if err != nil {
			return nil, fmt.Errorf("cfn-guard output: %v", err)
		}
		if report.Status != "FAIL" {
			continue
		}
		ids := map[string]bool{}
		collectPaths(report.NotCompliant, ids)
		if len(ids) == 0 {
			return nil, fmt.Errorf("cfn-guard reports FAIL for %s without a resource path", report.Name)
		}
		failing[report.Name] = slices.Sorted(maps.Keys(ids))
	}
}

// collectPaths finds every traversed resource path in a cfn-guard report, however deeply
// its clauses nest.
func collectPaths(v any, ids map[string]bool) {
	switch x := v.(type) {
	case []json.RawMessage:
		for _, raw := range x {
			var inner any
			_ = json.Unmarshal(raw, &inner)
			collectPaths(inner, ids)
		}
	case map[string]any:
		if p, ok := x["path"].(string); ok {
			if m := resourcePath.FindStringSubmatch(p); m != nil {
				ids[m[1]] = true
			}
		}
		for _, inner := range x {
			collectPaths(inner, ids)
		}
	case []any:
		for _, inner := range x {
			collectPaths(inner, ids)
		}
	}
}
