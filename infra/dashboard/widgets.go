package dashboard

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	cw "github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/jsii-runtime-go"
)

// The widget list is data: each graph names its metrics by namespace, name, dimensions and
// statistic, exactly as they reach the template (test/infra cross-checks every one against
// the template's resources and the metrics the service writes).

// metric is one CloudWatch metric of a graph.
type metric struct {
	namespace, name, stat, label string
	dims                         map[string]*string
}

// search is every metric of a namespace with these dimension keys, filtered by some of
// their values: the service's per-route metrics, whose routes the app defines.
type search struct {
	namespace, name, stat, label string
	keys                         []string
	filter                       map[string]string
}

type widget interface{ build() cw.IWidget }

type graph struct {
	title   string
	metrics []metric
	// searches are graphed beside metrics.
	searches []search
	width    int
}

type alarms struct{ alarms []cw.IAlarm }

type alarm struct{ alarm cw.IAlarm }

type text struct{ markdown string }

const (
	fullWidth = 24
	period    = 60 // seconds: the load balancer's, ECS's and the service's resolution
)

func rowsOf(p Props) [][]widget {
	var rows [][]widget
	if len(p.Alarms) > 0 {
		rows = append(rows, []widget{alarms{p.Alarms}})
	}
	rows = append(rows, [][]widget{
		{traffic(p), codes(p, "Load balancer and target responses")},
		{latency(p), health(p)},
		{tasks(p), usage(p)},
	}...)
	if p.MetricsNamespace != "" {
		rows = append(rows, serviceMetrics(p)...)
	}
	if p.Database != nil {
		rows = append(rows, []widget{database(p.Database)})
	}
	var each []widget
	for _, a := range p.Alarms {
		each = append(each, alarm{a})
	}
	for i := 0; i < len(each); i += 4 {
		rows = append(rows, each[i:min(i+4, len(each))])
	}
	return rows
}

func lb(p Props) map[string]*string {
	return map[string]*string{"LoadBalancer": p.LoadBalancer.LoadBalancerFullName()}
}

func tg(p Props, i int) map[string]*string {
	return map[string]*string{"LoadBalancer": p.LoadBalancer.LoadBalancerFullName(), "TargetGroup": p.TargetGroups[i].TargetGroupFullName()}
}

func svc(p Props) map[string]*string {
	return map[string]*string{"ClusterName": p.Cluster.ClusterName(), "ServiceName": p.Service.ServiceName()}
}

// group labels a target group's line: "blue"/"green" are ECS's roles, which swap on every
// deployment, so the lines say which group, not which version.
func group(i int) string { return []string{"group 1", "group 2"}[i] }

func traffic(p Props) graph {
	g := graph{title: "Requests", width: 12, metrics: []metric{
		{"AWS/ApplicationELB", "RequestCount", "Sum", "load balancer", lb(p)},
	}}
	for i := range p.TargetGroups {
		g.metrics = append(g.metrics, metric{"AWS/ApplicationELB", "RequestCount", "Sum", group(i), tg(p, i)})
	}
	return g
}

func codes(p Props, title string) graph {
	g := graph{title: title, width: 12, metrics: []metric{
		{"AWS/ApplicationELB", "HTTPCode_ELB_4XX_Count", "Sum", "ELB 4xx", lb(p)},
		{"AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum", "ELB 5xx", lb(p)},
	}}
	for i := range p.TargetGroups {
		for _, class := range []string{"2XX", "4XX", "5XX"} {
			g.metrics = append(g.metrics, metric{"AWS/ApplicationELB", "HTTPCode_Target_" + class + "_Count", "Sum", group(i) + " " + strings.ToLower(class), tg(p, i)})
		}
	}
	return g
}

func latency(p Props) graph {
	g := graph{title: "Target response time (s)", width: 12}
	for i := range p.TargetGroups {
		for _, stat := range []string{"p50", "p90", "p99"} {
			g.metrics = append(g.metrics, metric{"AWS/ApplicationELB", "TargetResponseTime", stat, group(i) + " " + stat, tg(p, i)})
		}
	}
	return g
}

func health(p Props) graph {
	g := graph{title: "Healthy and unhealthy targets", width: 12}
	for i := range p.TargetGroups {
		g.metrics = append(g.metrics,
			metric{"AWS/ApplicationELB", "HealthyHostCount", "Minimum", group(i) + " healthy", tg(p, i)},
			metric{"AWS/ApplicationELB", "UnHealthyHostCount", "Maximum", group(i) + " unhealthy", tg(p, i)})
	}
	return g
}

func tasks(p Props) widget {
	if !p.ContainerInsights {
		return text{"### Tasks\nRunning, desired and pending task counts come from Container Insights, which is off in this stage (`task.containerInsights`)."}
	}
	return graph{title: "Tasks", width: 12, metrics: []metric{
		{"ECS/ContainerInsights", "RunningTaskCount", "Average", "running", svc(p)},
		{"ECS/ContainerInsights", "DesiredTaskCount", "Average", "desired", svc(p)},
		{"ECS/ContainerInsights", "PendingTaskCount", "Average", "pending", svc(p)},
	}}
}

func usage(p Props) graph {
	return graph{title: "CPU and memory (% of the task size)", width: 12, metrics: []metric{
		{"AWS/ECS", "CPUUtilization", "Average", "CPU average", svc(p)},
		{"AWS/ECS", "CPUUtilization", "Maximum", "CPU max", svc(p)},
		{"AWS/ECS", "MemoryUtilization", "Average", "memory average", svc(p)},
		{"AWS/ECS", "MemoryUtilization", "Maximum", "memory max", svc(p)},
	}}
}

// serviceMetrics are the service's own EMF metrics: the service-wide rollup, then per route.
func serviceMetrics(p Props) [][]widget {
	service := map[string]*string{"Service": jsii.String(p.ServiceName)}
	m := func(name, stat, label string) metric { return metric{p.MetricsNamespace, name, stat, label, service} }
	route := func(name, stat string) search {
		return search{p.MetricsNamespace, name, stat, "", []string{"Route", "Service"}, map[string]string{"Service": p.ServiceName}}
	}
	return [][]widget{
		{
			graph{title: "Service: requests and errors", width: 8, metrics: []metric{m("Requests", "Sum", "requests"), m("Errors4xx", "Sum", "4xx"), m("Errors5xx", "Sum", "5xx")}},
			graph{title: "Service: latency (ms)", width: 8, metrics: []metric{m("Latency", "p50", "p50"), m("Latency", "p90", "p90"), m("Latency", "p99", "p99")}},
			graph{title: "Vault: generation and freshness age (s)", width: 8, metrics: []metric{m("VaultGeneration", "Maximum", "generation"), m("VaultFreshnessAge", "Maximum", "age (s)")}},
		},
		{
			graph{title: "Admission: in flight and refused", width: 8, metrics: []metric{m("AdmissionInflight", "Maximum", "in flight"), m("AdmissionRefused", "Sum", "refused")}},
			graph{title: "Waiting (ms): admission queue and pool acquire", width: 8, metrics: []metric{m("AdmissionQueueTime", "Sum", "admission queue"), m("DBPoolAcquireWait", "Sum", "pool acquire")}},
			graph{title: "Database pool: connections in use", width: 8, metrics: []metric{m("DBPoolInUse", "Maximum", "in use")}},
		},
		{
			graph{title: "Requests by route", width: 8, searches: []search{route("Requests", "Sum")}},
			graph{title: "5xx by route", width: 8, searches: []search{route("Errors5xx", "Sum")}},
			graph{title: "p99 latency by route (ms)", width: 8, searches: []search{route("Latency", "p99")}},
		},
	}
}

func database(d *Database) graph {
	dims := map[string]*string{"DBInstanceIdentifier": d.InstanceIdentifier}
	if d.ClusterIdentifier != nil {
		dims = map[string]*string{"DBClusterIdentifier": d.ClusterIdentifier}
	}
	return graph{title: "Database", width: fullWidth, metrics: []metric{
		{"AWS/RDS", "CPUUtilization", "Average", "CPU %", dims},
		{"AWS/RDS", "DatabaseConnections", "Maximum", "connections", dims},
		{"AWS/RDS", "FreeableMemory", "Minimum", "freeable memory", dims},
		{"AWS/RDS", "ReadLatency", "Average", "read latency", dims},
		{"AWS/RDS", "WriteLatency", "Average", "write latency", dims},
	}}
}

func (m metric) build() cw.IMetric {
	return cw.NewMetric(&cw.MetricProps{
		Namespace: jsii.String(m.namespace), MetricName: jsii.String(m.name), DimensionsMap: &m.dims,
		Statistic: jsii.String(m.stat), Label: jsii.String(m.label), Period: awscdk.Duration_Seconds(jsii.Number(period)),
	})
}

// expression is CloudWatch's SEARCH syntax: '{Namespace,Key,...} Key="value" MetricName="name"'.
func (s search) expression() string {
	keys := append([]string(nil), s.keys...)
	sort.Strings(keys)
	var filter []string
	for _, k := range keys {
		if v, ok := s.filter[k]; ok {
			filter = append(filter, fmt.Sprintf("%s=%q", k, v))
		}
	}
	return fmt.Sprintf("SEARCH('{%s,%s} %s MetricName=%q', '%s', %d)", s.namespace, strings.Join(keys, ","), strings.Join(filter, " "), s.name, s.stat, period)
}

func (g graph) build() cw.IWidget {
	var left []cw.IMetric
	for _, m := range g.metrics {
		left = append(left, m.build())
	}
	for _, s := range g.searches {
		left = append(left, cw.NewMathExpression(&cw.MathExpressionProps{
			Expression: jsii.String(s.expression()), UsingMetrics: &map[string]cw.IMetric{},
			Label: jsii.String(s.label), Period: awscdk.Duration_Seconds(jsii.Number(period)),
		}))
	}
	return cw.NewGraphWidget(&cw.GraphWidgetProps{Title: jsii.String(g.title), Left: &left, Width: jsii.Number(float64(g.width)), Height: jsii.Number(6)})
}

func (a alarms) build() cw.IWidget {
	refs := make([]interfacesawscloudwatch.IAlarmRef, len(a.alarms))
	for i, al := range a.alarms {
		refs[i] = al
	}
	return cw.NewAlarmStatusWidget(&cw.AlarmStatusWidgetProps{Title: jsii.String("Alarms"), Alarms: &refs, Width: jsii.Number(fullWidth), Height: jsii.Number(3)})
}

func (a alarm) build() cw.IWidget {
	return cw.NewAlarmWidget(&cw.AlarmWidgetProps{Alarm: a.alarm, Title: a.alarm.AlarmName(), Width: jsii.Number(6), Height: jsii.Number(6)})
}

func (t text) build() cw.IWidget {
	return cw.NewTextWidget(&cw.TextWidgetProps{Markdown: jsii.String(t.markdown), Width: jsii.Number(12), Height: jsii.Number(6)})
}
