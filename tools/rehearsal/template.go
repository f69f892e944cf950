package rehearsal

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Plan is what the rehearsal reads from a stage's synthesized service template: every number
// that shapes a deployment. Nothing here is configured a second time.
type Plan struct {
	Stage    string `json:"stage"`
	Template string `json:"template"`

	DesiredCount      int    `json:"desired_count"`
	MinHealthyPercent int    `json:"minimum_healthy_percent"`
	MaxPercent        int    `json:"maximum_percent"`
	Strategy          string `json:"strategy"` // ROLLING, CANARY, LINEAR or BLUE_GREEN
	// CanaryPercent and CanaryBake (CANARY), StepPercent and StepBake (LINEAR), Bake (all
	// ECS-native strategies: both revisions up after 100 %).
	CanaryPercent float64       `json:"canary_percent,omitempty"`
	CanaryBake    time.Duration `json:"canary_bake_ns,omitempty"`
	StepPercent   float64       `json:"step_percent,omitempty"`
	StepBake      time.Duration `json:"step_bake_ns,omitempty"`
	Bake          time.Duration `json:"bake_ns,omitempty"`
	AlternateTG   bool          `json:"alternate_target_group"`

	CircuitBreaker Switch  `json:"circuit_breaker"`
	AlarmSwitch    Switch  `json:"deployment_alarms"`
	Alarms         []Alarm `json:"alarms"`
	// Unmeasured are deployment alarms on metrics the rehearsal cannot produce locally
	// (CPU, memory): named in the report, not evaluated.
	Unmeasured []string `json:"alarms_not_evaluated,omitempty"`

	HealthCheck         TGHealthCheck     `json:"target_group_health_check"`
	DeregistrationDelay time.Duration     `json:"deregistration_delay_ns"`
	GracePeriod         time.Duration     `json:"health_check_grace_period_ns"`
	ContainerCheck      *ContainerCheck   `json:"container_health_check,omitempty"`
	StopTimeout         time.Duration     `json:"stop_timeout_ns"`
	Port                int               `json:"container_port"`
	Env                 map[string]string `json:"environment"`
}

// Switch is an Enable/Rollback pair (circuit breaker, deployment alarms).
type Switch struct {
	Enable   bool `json:"enable"`
	Rollback bool `json:"rollback"`
}

// TGHealthCheck is the target group's health check.
type TGHealthCheck struct {
	Path      string        `json:"path"`
	Interval  time.Duration `json:"interval_ns"`
	Timeout   time.Duration `json:"timeout_ns"`
	Healthy   int           `json:"healthy_threshold"`
	Unhealthy int           `json:"unhealthy_threshold"`
	Matcher   string        `json:"matcher"`
}

// ContainerCheck is the essential container's health check.
type ContainerCheck struct {
	Command     []string      `json:"command"`
	Interval    time.Duration `json:"interval_ns"`
	Timeout     time.Duration `json:"timeout_ns"`
	Retries     int           `json:"retries"`
	StartPeriod time.Duration `json:"start_period_ns"`
}

// Alarm is a CloudWatch alarm that the deployment watches.
type Alarm struct {
	ID                string        `json:"id"`
	Metric            string        `json:"metric"`
	Statistic         string        `json:"statistic"`
	Comparison        string        `json:"comparison"`
	Threshold         float64       `json:"threshold"`
	Period            time.Duration `json:"period_ns"`
	EvaluationPeriods int           `json:"evaluation_periods"`
	DatapointsToAlarm int           `json:"datapoints_to_alarm"`
	// Math alarms: the metrics the expression reads, and the expression itself.
	Queries    []Query `json:"queries,omitempty"`
	Expression string  `json:"expression,omitempty"`
	expr       expr
	// steps are the expressions with ReturnData false, by id, that others read.
	steps map[string]expr
}

// Query is one metric of a metric-math alarm. TargetGroup is 0 for the service's target
// group, 1 for the alternate one, -1 for both (no TargetGroup dimension).
type Query struct {
	ID          string `json:"id"`
	Metric      string `json:"metric"`
	Stat        string `json:"stat"`
	TargetGroup int    `json:"target_group"`
}

// value computes the alarm's datapoint from its metrics' datapoints (missing ones absent):
// the intermediate expressions first, as many passes as there are of them so that each sees
// the ones it reads, then the returned expression.
func (a Alarm) value(vals map[string]float64) float64 {
	for range len(a.steps) {
		for id, step := range a.steps {
			if v := step(vals); !math.IsNaN(v) {
				vals[id] = v
			}
		}
	}
	return a.expr(vals)
}

// Window is the alarm's evaluation time, EvaluationPeriods × Period: the span of datapoints
// it judges (an M of N alarm's N).
func (a Alarm) Window() time.Duration { return time.Duration(a.EvaluationPeriods) * a.Period }

// FindTemplate returns the template in a cloud assembly (cdk.out) that holds stage's ECS service.
func FindTemplate(cdkOut, stage string) (string, error) {
	dir := filepath.Join(cdkOut, "assembly-"+stage)
	paths, err := filepath.Glob(filepath.Join(dir, "*.template.json"))
	if err != nil || len(paths) == 0 {
		return "", fmt.Errorf("no templates in %s: run `make synth` first (or pass the right --assembly and --stage)", dir)
	}
	var found []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		if strings.Contains(string(b), `"AWS::ECS::Service"`) {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("%s: want one template with an AWS::ECS::Service, found %d", dir, len(found))
	}
	return found[0], nil
}

// LoadPlan reads a synthesized service template.
func LoadPlan(path, stage string) (Plan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Plan{}, err
	}
	var t struct {
		Resources map[string]resource `json:"Resources"`
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return Plan{}, fmt.Errorf("%s: %w", path, err)
	}
	p, err := planFrom(t.Resources)
	if err != nil {
		return Plan{}, fmt.Errorf("%s: %w", path, err)
	}
	p.Stage, p.Template = stage, path
	return p, nil
}

type resource struct {
	Type       string `json:"Type"`
	Properties obj    `json:"Properties"`
}

type obj map[string]any

func (o obj) get(key string) obj {
	m, _ := o[key].(map[string]any)
	return m
}

func (o obj) list(key string) []obj {
	var out []obj
	items, _ := o[key].([]any)
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// num reads a number that CloudFormation may hold as a JSON number or a string.
func (o obj) num(key string, def float64) float64 {
	switch v := o[key].(type) {
	case float64:
		return v
	case string:
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	}
	return def
}

func (o obj) boolean(key string) bool {
	switch v := o[key].(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

func (o obj) str(key, def string) string {
	if s, ok := o[key].(string); ok {
		return s
	}
	return def
}

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

func minutes(f float64) time.Duration { return time.Duration(f * float64(time.Minute)) }

func one(res map[string]resource, typ string) (string, obj, error) {
	var ids []string
	for id, r := range res {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		return "", nil, fmt.Errorf("want one %s, found %d", typ, len(ids))
	}
	return ids[0], res[ids[0]].Properties, nil
}

// ref returns the logical ID a {"Ref": ID} points at.
func ref(v any) string {
	if m, ok := v.(map[string]any); ok {
		s, _ := m["Ref"].(string)
		return s
	}
	return ""
}

func planFrom(res map[string]resource) (Plan, error) {
	_, svc, err := one(res, "AWS::ECS::Service")
	if err != nil {
		return Plan{}, err
	}
	// The service's own task definition: a stage may hold others (the database's dbsetup task).
	td, ok := res[ref(svc["TaskDefinition"])]
	if !ok || td.Type != "AWS::ECS::TaskDefinition" {
		return Plan{}, fmt.Errorf("the service's TaskDefinition %v is not a Ref to a task definition in the template", svc["TaskDefinition"])
	}
	task := td.Properties
	var p Plan
	if err := p.readService(res, svc); err != nil {
		return Plan{}, err
	}
	if err := p.readContainer(task); err != nil {
		return Plan{}, err
	}
	return p, p.validate()
}

func (p *Plan) readService(res map[string]resource, svc obj) error {
	// DesiredCount is omitted when auto scaling owns it: CloudFormation then creates the
	// service with one task and the scalable target raises it to MinCapacity.
	p.DesiredCount = int(svc.num("DesiredCount", 0))
	if p.DesiredCount == 0 {
		p.DesiredCount = 1
		for _, r := range res {
			if r.Type == "AWS::ApplicationAutoScaling::ScalableTarget" && r.Properties.str("ScalableDimension", "") == "ecs:service:DesiredCount" {
				p.DesiredCount = max(1, int(r.Properties.num("MinCapacity", 1)))
			}
		}
	}
	dc := svc.get("DeploymentConfiguration")
	// API defaults: minimum healthy 100, maximum 200 (ecs-deployments.md 1.1, DC).
	p.MinHealthyPercent = int(dc.num("MinimumHealthyPercent", 100))
	p.MaxPercent = int(dc.num("MaximumPercent", 200))
	p.Strategy = dc.str("Strategy", "ROLLING")
	p.Bake = minutes(dc.num("BakeTimeInMinutes", 0))
	if c := dc.get("CanaryConfiguration"); p.Strategy == "CANARY" {
		// Defaults 5.0 % and 10 min (6.3, CAN).
		p.CanaryPercent, p.CanaryBake = c.num("CanaryPercent", 5), minutes(c.num("CanaryBakeTimeInMinutes", 10))
	}
	if c := dc.get("LinearConfiguration"); p.Strategy == "LINEAR" {
		// Defaults 10.0 % and 6 min (6.3, LIN).
		p.StepPercent, p.StepBake = c.num("StepPercent", 10), minutes(c.num("StepBakeTimeInMinutes", 6))
	}
	cb := dc.get("DeploymentCircuitBreaker")
	p.CircuitBreaker = Switch{cb.boolean("Enable"), cb.boolean("Rollback")}
	lbs := svc.list("LoadBalancers")
	if len(lbs) != 1 {
		return fmt.Errorf("the service has %d load balancers: the rehearsal models one ALB target group (plus its alternate)", len(lbs))
	}
	groups := map[string]int{ref(lbs[0]["TargetGroupArn"]): 0, ref(lbs[0].get("AdvancedConfiguration")["AlternateTargetGroupArn"]): 1}
	al := dc.get("Alarms")
	p.AlarmSwitch = Switch{al.boolean("Enable"), al.boolean("Rollback")}
	if p.AlarmSwitch.Enable {
		names, _ := al["AlarmNames"].([]any)
		for _, n := range names {
			a, err := alarmFrom(res, ref(n), groups)
			if err != nil {
				p.Unmeasured = append(p.Unmeasured, ref(n)+": "+err.Error())
				continue
			}
			p.Alarms = append(p.Alarms, a)
		}
	}
	p.GracePeriod = seconds(svc.num("HealthCheckGracePeriodSeconds", 0))
	p.Port = int(lbs[0].num("ContainerPort", 0))
	p.AlternateTG = lbs[0].get("AdvancedConfiguration")["AlternateTargetGroupArn"] != nil
	tgID := ref(lbs[0]["TargetGroupArn"])
	tg, ok := res[tgID]
	if !ok {
		return fmt.Errorf("the service's target group %q is not in the template", tgID)
	}
	return p.readTargetGroup(tg.Properties)
}

func (p *Plan) readTargetGroup(tg obj) error {
	// ALB defaults (3.2, TGHC): interval 30, timeout 5, healthy 5, unhealthy 2, matcher 200, path /.
	p.HealthCheck = TGHealthCheck{
		Path:      tg.str("HealthCheckPath", "/"),
		Interval:  seconds(tg.num("HealthCheckIntervalSeconds", 30)),
		Timeout:   seconds(tg.num("HealthCheckTimeoutSeconds", 5)),
		Healthy:   int(tg.num("HealthyThresholdCount", 5)),
		Unhealthy: int(tg.num("UnhealthyThresholdCount", 2)),
		Matcher:   tg.get("Matcher").str("HttpCode", "200"),
	}
	// Deregistration delay default 300 s (2.4, TGA).
	p.DeregistrationDelay = 300 * time.Second
	for _, a := range tg.list("TargetGroupAttributes") {
		if a.str("Key", "") == "deregistration_delay.timeout_seconds" {
			p.DeregistrationDelay = seconds(a.num("Value", 300))
		}
	}
	return nil
}

func (p *Plan) readContainer(task obj) error {
	var essential []obj
	for _, c := range task.list("ContainerDefinitions") {
		if _, set := c["Essential"]; !set || c.boolean("Essential") {
			essential = append(essential, c)
		}
	}
	if len(essential) != 1 {
		return fmt.Errorf("the task has %d essential containers: the rehearsal runs one", len(essential))
	}
	c := essential[0]
	// Fargate stop timeout default 30 s (2.2, CDEF).
	p.StopTimeout = seconds(c.num("StopTimeout", 30))
	p.Env = map[string]string{}
	for _, e := range c.list("Environment") {
		name := e.str("Name", "")
		value, literal := e["Value"].(string)
		if literal && !strings.HasPrefix(name, "DB_") {
			p.Env[name] = value
		}
	}
	// The rehearsal runs no database and reaches no AWS endpoint: its tasks run as a stage
	// without a database does (the DB_* settings left out; the health checks ECS and the ALB
	// judge do not depend on a database), and their traces go nowhere.
	if _, tracing := p.Env["OTEL_TRACES_EXPORTER"]; tracing {
		p.Env["OTEL_TRACES_EXPORTER"] = "none"
	}
	if hc := c.get("HealthCheck"); hc != nil {
		cc := &ContainerCheck{
			Interval: seconds(hc.num("Interval", 30)), Timeout: seconds(hc.num("Timeout", 5)),
			Retries: int(hc.num("Retries", 3)), StartPeriod: seconds(hc.num("StartPeriod", 0)),
		}
		cmd, _ := hc["Command"].([]any)
		for _, s := range cmd {
			str, _ := s.(string)
			cc.Command = append(cc.Command, str)
		}
		p.ContainerCheck = cc
	}
	return nil
}

// alarmFrom reads a deployment alarm: one metric, or metric math over metrics the balancer
// measures. An alarm the rehearsal cannot evaluate is an error naming why.
func alarmFrom(res map[string]resource, id string, groups map[string]int) (Alarm, error) {
	r, ok := res[id]
	if !ok || r.Type != "AWS::CloudWatch::Alarm" {
		return Alarm{}, errors.New("not an AWS::CloudWatch::Alarm of this template")
	}
	a := r.Properties
	out := Alarm{
		ID: id, Metric: a.str("MetricName", ""), Statistic: a.str("Statistic", a.str("ExtendedStatistic", "")),
		Comparison: a.str("ComparisonOperator", ""), Threshold: a.num("Threshold", 0),
		Period: seconds(a.num("Period", 60)), EvaluationPeriods: int(a.num("EvaluationPeriods", 1)),
	}
	out.DatapointsToAlarm = int(a.num("DatapointsToAlarm", float64(out.EvaluationPeriods)))
	if out.Metric != "" {
		if _, ok := metrics[out.Metric]; !ok {
			return Alarm{}, fmt.Errorf("metric %s is not measured locally", out.Metric)
		}
		out.Queries = []Query{{ID: "m", Metric: out.Metric, Stat: out.Statistic, TargetGroup: targetGroupOf(a, groups)}}
		out.Expression = "m"
	}
	out.steps = map[string]expr{}
	for _, m := range a.list("Metrics") {
		if e := m.str("Expression", ""); e != "" {
			if m["ReturnData"] == nil || m.boolean("ReturnData") {
				out.Expression = e
				continue
			}
			step, err := parseExpr(e)
			if err != nil {
				return Alarm{}, err
			}
			out.steps[m.str("Id", "")] = step
			continue
		}
		ms := m.get("MetricStat")
		name := ms.get("Metric").str("MetricName", "")
		if _, ok := metrics[name]; !ok {
			return Alarm{}, fmt.Errorf("metric %s is not measured locally", name)
		}
		out.Period = seconds(ms.num("Period", 60))
		out.Queries = append(out.Queries, Query{ID: m.str("Id", ""), Metric: name, Stat: ms.str("Stat", ""), TargetGroup: targetGroupOf(ms.get("Metric"), groups)})
	}
	// Named for the report: the first metric.
	if out.Metric == "" && len(out.Queries) > 0 {
		out.Metric = out.Queries[0].Metric
	}
	e, err := parseExpr(out.Expression)
	if err != nil {
		return Alarm{}, err
	}
	out.expr = e
	return out, nil
}

// targetGroupOf reads a metric's TargetGroup dimension: {"Fn::GetAtt": [ID, "TargetGroupFullName"]}.
func targetGroupOf(metric obj, groups map[string]int) int {
	for _, d := range metric.list("Dimensions") {
		if d.str("Name", "") != "TargetGroup" {
			continue
		}
		if v, ok := d["Value"].(map[string]any); ok {
			if ga, ok := v["Fn::GetAtt"].([]any); ok && len(ga) > 0 {
				if id, _ := ga[0].(string); id != "" {
					if g, ok := groups[id]; ok {
						return g
					}
				}
			}
		}
	}
	return -1
}

func (p Plan) validate() error {
	var errs []error
	if p.Port == 0 {
		errs = append(errs, errors.New("the service's load balancer names no container port"))
	}
	switch p.Strategy {
	case "ROLLING", "CANARY", "LINEAR":
	case "BLUE_GREEN":
		// All-at-once: one shift of 100 %, the same stage machine as canary (6.1).
	default:
		errs = append(errs, fmt.Errorf("deployment strategy %q is not one the rehearsal models (ROLLING, CANARY, LINEAR, BLUE_GREEN)", p.Strategy))
	}
	if p.Strategy != "ROLLING" && !p.AlternateTG {
		errs = append(errs, fmt.Errorf("strategy %s needs LoadBalancers[].AdvancedConfiguration.AlternateTargetGroupArn", p.Strategy))
	}
	if p.HealthCheck.Healthy < 1 || p.HealthCheck.Unhealthy < 1 || p.HealthCheck.Interval <= 0 {
		errs = append(errs, errors.New("the target group's health check has no interval or thresholds"))
	}
	return errors.Join(errs...)
}

// AlarmBake is how long ECS keeps watching the alarms after the new revision is complete.
// ECS computes it from the alarms' configuration and does not publish the formula (5.2, ALM).
// The ECS team, through the AWS Copilot change that added rollback alarms
// (aws/copilot-cli#4294), describes it as the alarms' evaluation time, the longest one when
// they differ; the rehearsal takes the longest EvaluationPeriods × Period (Inferred from that).
func (p Plan) AlarmBake() time.Duration {
	var d time.Duration
	for _, a := range p.Alarms {
		d = max(d, a.Window())
	}
	return d
}

// Timeout is how long a rehearsal at speed may run before it gives up: five times the waits
// the template imposes (the delay, the bakes, up to ten linear steps, a grace period for the
// old, the new and a rollback's boot), plus two minutes for the processes' own time.
func (p Plan) Timeout(speed float64) time.Duration {
	waits := p.DeregistrationDelay + p.AlarmBake() + p.Bake + p.CanaryBake + 10*p.StepBake + 3*p.GracePeriod
	return 2*time.Minute + time.Duration(5*float64(waits)/speed)
}

// BreakerThreshold is the circuit breaker's failed-task count: ceil(0.5 × desired) clamped to
// 3..200 (4.1, SDCB/TH).
func (p Plan) BreakerThreshold() int {
	return min(200, max(3, int(math.Ceil(0.5*float64(p.DesiredCount)))))
}

// Bounds returns the most tasks that may run and the fewest that must stay healthy during a
// rolling deployment: floor(N·max/100) and ceil(N·min/100) (1.1, ROLL/DC).
func (p Plan) Bounds() (ceiling, floor int) {
	n := float64(p.DesiredCount)
	return int(math.Floor(n * float64(p.MaxPercent) / 100)), int(math.Ceil(n * float64(p.MinHealthyPercent) / 100))
}

// Shifts returns the production traffic percentages the new revision receives, in order,
// for the ECS-native strategies (6.1, 6.3).
func (p Plan) Shifts() []float64 {
	switch p.Strategy {
	case "CANARY":
		return []float64{p.CanaryPercent, 100}
	case "LINEAR":
		var out []float64
		for s := p.StepPercent; s < 100-1e-9; s += p.StepPercent {
			out = append(out, math.Round(s*10)/10)
		}
		return append(out, 100)
	case "BLUE_GREEN":
		return []float64{100}
	}
	return nil
}

// ShiftBake is the wait after each shift but the last (no wait after 100 %, 6.3 LIN).
func (p Plan) ShiftBake() time.Duration {
	if p.Strategy == "CANARY" {
		return p.CanaryBake
	}
	return p.StepBake
}
