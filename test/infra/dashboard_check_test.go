package infra

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// The metrics AWS publishes that the dashboard may graph, with the dimension sets each is
// published under: Application Load Balancer CloudWatch metrics (ELB user guide, "CloudWatch
// metrics for your Application Load Balancer"), ECS service metrics (ECS developer guide,
// "Amazon ECS CloudWatch metrics": CPUUtilization and MemoryUtilization by ClusterName and
// ServiceName), Container Insights (CloudWatch user guide, "Amazon ECS Container Insights
// metrics": task counts by ClusterName and ServiceName) and RDS (RDS user guide, "Amazon
// CloudWatch metrics for Amazon RDS").
var published = map[string]map[string][]string{
	"AWS/ApplicationELB": {
		"RequestCount":              {"LoadBalancer", "LoadBalancer,TargetGroup"},
		"HTTPCode_ELB_4XX_Count":    {"LoadBalancer"},
		"HTTPCode_ELB_5XX_Count":    {"LoadBalancer"},
		"HTTPCode_Target_2XX_Count": {"LoadBalancer", "LoadBalancer,TargetGroup"},
		"HTTPCode_Target_4XX_Count": {"LoadBalancer", "LoadBalancer,TargetGroup"},
		"HTTPCode_Target_5XX_Count": {"LoadBalancer", "LoadBalancer,TargetGroup"},
		"TargetResponseTime":        {"LoadBalancer", "LoadBalancer,TargetGroup"},
		"HealthyHostCount":          {"LoadBalancer,TargetGroup"},
		"UnHealthyHostCount":        {"LoadBalancer,TargetGroup"},
	},
	"AWS/ECS": {
		"CPUUtilization":    {"ClusterName,ServiceName"},
		"MemoryUtilization": {"ClusterName,ServiceName"},
	},
	"ECS/ContainerInsights": {
		"RunningTaskCount": {"ClusterName,ServiceName"},
		"DesiredTaskCount": {"ClusterName,ServiceName"},
		"PendingTaskCount": {"ClusterName,ServiceName"},
	},
	"AWS/RDS": {
		"CPUUtilization": {"DBInstanceIdentifier", "DBClusterIdentifier"}, "DatabaseConnections": {"DBInstanceIdentifier", "DBClusterIdentifier"},
		"FreeableMemory": {"DBInstanceIdentifier", "DBClusterIdentifier"}, "ReadLatency": {"DBInstanceIdentifier", "DBClusterIdentifier"},
		"WriteLatency": {"DBInstanceIdentifier", "DBClusterIdentifier"},
	},
}

// dimensionTargets: the resource (type and attribute) a dimension's value must come from.
// "Ref" is the resource's Ref (a cluster's name, a DB identifier).
var dimensionTargets = map[string][2]string{
	"LoadBalancer":         {"AWS::ElasticLoadBalancingV2::LoadBalancer", "LoadBalancerFullName"},
	"TargetGroup":          {"AWS::ElasticLoadBalancingV2::TargetGroup", "TargetGroupFullName"},
	"ClusterName":          {"AWS::ECS::Cluster", "Ref"},
	"ServiceName":          {"AWS::ECS::Service", "Name"},
	"DBInstanceIdentifier": {"AWS::RDS::DBInstance", "Ref"},
	"DBClusterIdentifier":  {"AWS::RDS::DBCluster", "Ref"},
}

// emitted is one metric the service writes: namespace, name and its dimension keys, sorted
// and comma-joined; service is the Service dimension's value.
type emitted struct{ namespace, name, keys string }

// dashboardBody renders a dashboard's DashboardBody (an Fn::Join of text, Ref and GetAtt) to
// JSON, each token written as ${Ref:Id} or ${GetAtt:Id.Attribute}.
func dashboardBody(body any) (map[string]any, error) {
	var text strings.Builder
	switch b := body.(type) {
	case string:
		text.WriteString(b)
	case map[string]any:
		join, _ := b["Fn::Join"].([]any)
		if len(join) != 2 {
			return nil, fmt.Errorf("DashboardBody is neither text nor an Fn::Join: %s", jsonOf(body))
		}
		for _, part := range join[1].([]any) {
			switch p := part.(type) {
			case string:
				text.WriteString(p)
			case map[string]any:
				if ref, ok := p["Ref"].(string); ok {
					text.WriteString("${Ref:" + ref + "}")
				} else if ga, ok := p["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
					fmt.Fprintf(&text, "${GetAtt:%s.%s}", ga[0], ga[1])
				} else {
					return nil, fmt.Errorf("unexpected token in DashboardBody: %s", jsonOf(p))
				}
			}
		}
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(text.String()), &out); err != nil {
		return nil, fmt.Errorf("DashboardBody is not JSON once rendered: %w", err)
	}
	return out, nil
}

var tokenRE = regexp.MustCompile(`^\$\{(Ref|GetAtt):([A-Za-z0-9]+)(?:\.([A-Za-z0-9]+))?\}$`)

// checkDashboard lists every widget metric that names nothing the stack or the service
// produces: an AWS metric not published under those dimensions, a dimension value that is not
// the named attribute of a resource of the right type in the template, a service metric the
// service does not write, an alarm that is not one of the template's, and a template alarm or
// target group the dashboard leaves out. service is the Service dimension the container's
// environment sets; insights whether the cluster publishes Container Insights.
func checkDashboard(body map[string]any, tp template, namespace, service string, insights bool, produced map[emitted]bool) []string {
	var problems []string
	seenAlarms, seenGroups := map[string]bool{}, map[string]bool{}
	resources := tp["Resources"].(map[string]any)
	resolve := func(key, value string) string {
		want := dimensionTargets[key]
		m := tokenRE.FindStringSubmatch(value)
		if m == nil {
			return fmt.Sprintf("dimension %s = %q is not a reference to a %s", key, value, want[0])
		}
		attr := m[3]
		if m[1] == "Ref" {
			attr = "Ref"
		}
		if typ := fmt.Sprint(get(resources, m[2], "Type")); typ != want[0] || attr != want[1] {
			return fmt.Sprintf("dimension %s = %s names %s %s, want the %s of a %s", key, value, typ, attr, want[1], want[0])
		}
		if key == "TargetGroup" {
			seenGroups[m[2]] = true
		}
		return ""
	}
	checkMetric := func(ns, name string, dims map[string]string) {
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range dims {
				if !yield(k) {
					return
				}
			}
		})
		joined := strings.Join(keys, ",")
		where := fmt.Sprintf("%s/%s {%s}", ns, name, joined)
		if ns == namespace {
			if !produced[emitted{ns, name, joined}] {
				problems = append(problems, where+": the service writes no such metric")
			}
			if v, ok := dims["Service"]; ok && v != service {
				problems = append(problems, fmt.Sprintf("%s: Service = %q, the container's OTEL_SERVICE_NAME is %q", where, v, service))
			}
			return
		}
		if !slices.Contains(published[ns][name], joined) {
			problems = append(problems, where+": AWS publishes no such metric")
			return
		}
		if ns == "ECS/ContainerInsights" && !insights {
			problems = append(problems, where+": Container Insights is off in this cluster")
		}
		for _, k := range keys {
			if p := resolve(k, dims[k]); p != "" {
				problems = append(problems, where+": "+p)
			}
		}
	}
	for _, w := range anySlice(body["widgets"]) {
		props, _ := get(w, "properties").(map[string]any)
		switch get(w, "type") {
		case "metric":
			for _, line := range anySlice(props["metrics"]) {
				ns, name, dims, expr := metricLine(anySlice(line))
				if expr != "" {
					ns, name, dims = parseSearch(expr)
				}
				checkMetric(ns, name, dims)
			}
			for _, a := range anySlice(get(props, "annotations", "alarms")) {
				seenAlarms[fmt.Sprint(a)] = true
			}
		case "alarm":
			for _, a := range anySlice(props["alarms"]) {
				seenAlarms[fmt.Sprint(a)] = true
			}
		}
	}
	for arn := range seenAlarms {
		m := tokenRE.FindStringSubmatch(arn)
		if m == nil || m[3] != "Arn" || get(resources, m[2], "Type") != "AWS::CloudWatch::Alarm" {
			problems = append(problems, fmt.Sprintf("alarm %s is not an alarm of the template", arn))
		}
	}
	for id, r := range resources {
		switch get(r, "Type") {
		case "AWS::CloudWatch::Alarm":
			if !seenAlarms["${GetAtt:"+id+".Arn}"] {
				problems = append(problems, "alarm "+id+" is not on the dashboard")
			}
		case "AWS::ElasticLoadBalancingV2::TargetGroup":
			if !seenGroups[id] {
				problems = append(problems, "target group "+id+" is not on the dashboard")
			}
		}
	}
	sort.Strings(problems)
	return problems
}

// metricLine reads a dashboard metric array: [namespace, name, key, value, ..., {options}],
// with "." repeating the previous line's field, or [{expression, ...}].
func metricLine(line []any) (ns, name string, dims map[string]string, expression string) {
	dims = map[string]string{}
	var fields []string
	for _, f := range line {
		switch v := f.(type) {
		case string:
			fields = append(fields, v)
		case map[string]any:
			if e, ok := v["expression"].(string); ok {
				expression = e
			}
		}
	}
	if len(fields) >= 2 {
		ns, name = fields[0], fields[1]
		for i := 2; i+1 < len(fields); i += 2 {
			dims[fields[i]] = fields[i+1]
		}
	}
	return ns, name, dims, expression
}

var searchRE = regexp.MustCompile(`^SEARCH\('\{([^,}]+),([^}]*)\}((?:\s+[A-Za-z]+="[^"]*")*)\s+MetricName="([^"]+)"',\s*'[A-Za-z0-9.]+',\s*\d+\)$`)
var filterRE = regexp.MustCompile(`([A-Za-z]+)="([^"]*)"`)

// parseSearch reads the SEARCH expressions the dashboard writes: namespace, dimension keys,
// their filtered values and the metric name. Keys without a filter get the value "*".
func parseSearch(expr string) (ns, name string, dims map[string]string) {
	m := searchRE.FindStringSubmatch(expr)
	if m == nil {
		return "unparsed SEARCH", expr, nil
	}
	dims = map[string]string{}
	for _, k := range strings.Split(m[2], ",") {
		dims[k] = "*"
	}
	for _, f := range filterRE.FindAllStringSubmatch(m[3], -1) {
		dims[f[1]] = f[2]
	}
	return m[1], m[4], dims
}
