package cost

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
)

// gib is the byte count of the GB that AWS bills data in.
const gib = 1 << 30

// knownTypes are the resource types the model understands: priced by a line below, or free.
// Keeping the list explicit makes a new billable resource show up as unpriced.
var knownTypes = map[string]string{
	"AWS::ECS::Service":                           "Fargate lines",
	"AWS::ECS::TaskDefinition":                    "Fargate lines",
	"AWS::ECS::Cluster":                           "free; Container Insights lines",
	"AWS::ElasticLoadBalancingV2::LoadBalancer":   "load balancer lines",
	"AWS::ElasticLoadBalancingV2::ListenerRule":   "rule evaluations in the LCU line",
	"AWS::ElasticLoadBalancingV2::Listener":       "free",
	"AWS::ElasticLoadBalancingV2::TargetGroup":    "free",
	"AWS::EC2::NatGateway":                        "NAT lines",
	"AWS::EC2::EIP":                               "public IPv4 line",
	"AWS::CloudWatch::Alarm":                      "alarm line",
	"AWS::CloudWatch::Dashboard":                  "dashboard line (telemetry.go)",
	"AWS::Logs::LogGroup":                         "log lines",
	"AWS::EC2::FlowLog":                           "flow log lines",
	"AWS::KMS::Key":                               "KMS line",
	"AWS::SecretsManager::Secret":                 "secrets line",
	"AWS::S3::Bucket":                             "access-log storage line (other buckets hold a few KB)",
	"AWS::KMS::Alias":                             "free",
	"AWS::S3::BucketPolicy":                       "free",
	"AWS::EC2::VPC":                               "free",
	"AWS::EC2::Subnet":                            "free",
	"AWS::EC2::RouteTable":                        "free",
	"AWS::EC2::Route":                             "free",
	"AWS::EC2::SubnetRouteTableAssociation":       "free",
	"AWS::EC2::InternetGateway":                   "free",
	"AWS::EC2::VPCGatewayAttachment":              "free",
	"AWS::EC2::SecurityGroup":                     "free",
	"AWS::EC2::SecurityGroupIngress":              "free",
	"AWS::EC2::SecurityGroupEgress":               "free",
	"AWS::IAM::Role":                              "free",
	"AWS::IAM::Policy":                            "free",
	"AWS::IAM::ManagedPolicy":                     "free",
	"AWS::IAM::OIDCProvider":                      "free",
	"AWS::IAM::User":                              "free",
	"AWS::IAM::AccessKey":                         "free",
	"AWS::ApplicationAutoScaling::ScalableTarget": "free",
	"AWS::ApplicationAutoScaling::ScalingPolicy":  "target-tracking alarm line (the policy itself is free)",
	"AWS::CertificateManager::Certificate":        "free (public ACM certificates)",
	"AWS::Route53::RecordSet":                     "free (alias queries to a load balancer are not charged; the hosted zone exists already)",
	"AWS::SNS::Topic":                             "free at alarm volume (first million publishes and 1,000 e-mails a month)",
	"AWS::SNS::TopicPolicy":                       "free",
	"AWS::CDK::Metadata":                          "free",
	"AWS::WAFv2::WebACL":                          "WAF lines",
	"AWS::WAFv2::WebACLAssociation":               "free",
	"AWS::WAFv2::LoggingConfiguration":            "WAF log lines",
}

// model prices one stage.
type model struct {
	stage  Stage
	usage  Usage
	prices map[string]Price
	hours  float64
}

// item is a line before pricing: quantities at the minimum and maximum task count.
type item struct {
	name           string
	price          string
	factor         float64 // applied to the unit price (a discount); 1 when zero
	minQty, maxQty float64
	basis          string
	// by weighs each resource's share of the line at the minimum and maximum task count (the
	// per-resource breakdown); nil when the line has no one resource to blame.
	by map[string][2]float64
}

func (m model) items(t taskCounts) []item {
	var out []item
	out = append(out, m.fargate(t)...)
	out = append(out, m.loadBalancers()...)
	out = append(out, m.nat()...)
	out = append(out, m.publicIPv4(t))
	out = append(out, m.alarms()...)
	out = append(out, m.logs(t)...)
	out = append(out, m.containerInsights(t)...)
	out = append(out, m.kms(), m.secrets(), m.accessLogs(), m.internetOut())
	out = append(out, m.database()...)
	out = append(out, m.waf()...)
	out = append(out, m.resourceItems()...)
	out = append(out, m.telemetry(t)...)
	for i := range out {
		if out[i].factor == 0 {
			out[i].factor = 1
		}
	}
	return out
}

// both is an item whose quantity does not depend on the task count.
func both(name, price string, qty float64, basis string) item {
	return item{name: name, price: price, minQty: qty, maxQty: qty, basis: basis}
}

// taskCounts is the service's task count at rest and at full scale.
type taskCounts struct {
	min, max int
	service  resource
	task     resource
}

// taskCounts reads the Fargate service, its task definition and its autoscaling bounds. Without
// a scalable target the service runs its DesiredCount (CloudFormation's default is 1).
func (m model) taskCounts() (taskCounts, error) {
	services := m.stage.resources("AWS::ECS::Service")
	if len(services) != 1 {
		return taskCounts{}, fmt.Errorf("%d ECS services in the templates: the model prices exactly one", len(services))
	}
	svc := services[0]
	taskID, _ := get(svc.Props, "TaskDefinition", "Ref").(string)
	var task resource
	for _, td := range m.stage.resources("AWS::ECS::TaskDefinition") {
		if td.ID == taskID {
			task = td
		}
	}
	if task.ID == "" {
		return taskCounts{}, errors.New("the service's task definition is not a Ref to a task definition in the same template")
	}
	t := taskCounts{min: 1, max: 1, service: svc, task: task}
	if d, ok := number(svc.Props["DesiredCount"]); ok {
		t.min, t.max = int(d), int(d)
	}
	for _, st := range m.stage.resources("AWS::ApplicationAutoScaling::ScalableTarget") {
		id, _ := json.Marshal(st.Props["ResourceId"])
		if !strings.Contains(string(id), `"`+svc.ID+`"`) {
			continue
		}
		lo, okLo := number(st.Props["MinCapacity"])
		hi, okHi := number(st.Props["MaxCapacity"])
		if !okLo || !okHi {
			return taskCounts{}, errors.New("the service's scalable target has no numeric MinCapacity/MaxCapacity")
		}
		t.min, t.max = int(lo), int(hi)
	}
	return t, nil
}

// spotTasks is how many of n tasks a capacity provider strategy places on FARGATE_SPOT: each
// provider's base first (in order), the rest split by weight (AWS: capacity provider strategy).
func spotTasks(strategy []any, n int) float64 {
	if len(strategy) == 0 {
		return 0
	}
	var spot, weightSpot, weightAll float64
	left := float64(n)
	for _, s := range strategy {
		base, _ := number(get(s, "Base"))
		weight, _ := number(get(s, "Weight"))
		isSpot := get(s, "CapacityProvider") == "FARGATE_SPOT"
		b := math.Min(base, left)
		left -= b
		if isSpot {
			spot += b
			weightSpot += weight
		}
		weightAll += weight
	}
	if weightAll > 0 {
		spot += left * weightSpot / weightAll
	}
	return spot
}

// fargate prices vCPU and memory by the second as hours: tasks × size × hours in a month.
func (m model) fargate(t taskCounts) []item {
	cpu, _ := number(t.task.Props["Cpu"])
	mem, _ := number(t.task.Props["Memory"])
	vcpu, gb := cpu/1024, mem/1024
	arch := strings.ToLower(fmt.Sprint(get(t.task.Props, "RuntimePlatform", "CpuArchitecture")))
	if arch != "arm64" {
		arch = "x86_64"
	}
	strategy, _ := t.service.Props["CapacityProviderStrategy"].([]any)
	spotMin, spotMax := spotTasks(strategy, t.min), spotTasks(strategy, t.max)
	onMin, onMax := float64(t.min)-spotMin, float64(t.max)-spotMax
	basis := fmt.Sprintf("%d–%d tasks × %g vCPU / %g GB × %g h", t.min, t.max, vcpu, gb, m.hours)
	discount := 1 - m.prices["fargate.spot.discount"].USD
	label := strings.ToUpper(arch)
	return attribute(map[string][2]float64{t.service.ID: {1, 1}}, []item{
		{name: "Fargate vCPU (" + label + ")", price: "fargate.vcpu." + arch, minQty: onMin * vcpu * m.hours, maxQty: onMax * vcpu * m.hours, basis: basis},
		{name: "Fargate memory (" + label + ")", price: "fargate.gb." + arch, minQty: onMin * gb * m.hours, maxQty: onMax * gb * m.hours, basis: basis},
		{name: "Fargate Spot vCPU (" + label + ", assumed discount)", price: "fargate.vcpu." + arch, factor: discount, minQty: spotMin * vcpu * m.hours, maxQty: spotMax * vcpu * m.hours, basis: basis},
		{name: "Fargate Spot memory (" + label + ", assumed discount)", price: "fargate.gb." + arch, factor: discount, minQty: spotMin * gb * m.hours, maxQty: spotMax * gb * m.hours, basis: basis},
	})
}

// attribute blames every item on the resources in by.
func attribute(by map[string][2]float64, items []item) []item {
	for i := range items {
		items[i].by = by
	}
	return items
}

// each weighs the given resources equally.
func each(rs []resource) map[string][2]float64 {
	by := map[string][2]float64{}
	for _, r := range rs {
		by[r.ID] = [2]float64{1, 1}
	}
	return by
}

// loadBalancers prices ALB hours and LCUs. An LCU-hour is the largest of: new connections/s
// ÷ 25, active connections ÷ 3,000, GB processed per hour ÷ 1 (ip targets), rule evaluations/s
// ÷ 1,000, where each request evaluates the rules beyond the first 10 free ones (AWS: Elastic
// Load Balancing pricing, LCU details).
func (m model) loadBalancers() []item {
	var albs []resource
	for _, lb := range m.stage.resources("AWS::ElasticLoadBalancingV2::LoadBalancer") {
		if typ, _ := lb.Props["Type"].(string); typ == "" || typ == "application" {
			albs = append(albs, lb)
		}
	}
	n := len(albs)
	if n == 0 {
		return nil
	}
	u := m.usage
	rules := len(m.stage.resources("AWS::ElasticLoadBalancingV2::ListenerRule"))
	evaluations := u.RequestsPerSecond * math.Max(0, float64(rules-10))
	gbPerHour := u.RequestsPerSecond * u.BytesPerRequest * 3600 / gib
	lcu := math.Max(math.Max(u.NewConnectionsPerSecond/25, u.ActiveConnections/3000), math.Max(gbPerHour, evaluations/1000))
	return attribute(each(albs), []item{
		both("Load balancer hours", "alb.hour", float64(n)*m.hours, fmt.Sprintf("%d ALB × %g h", n, m.hours)),
		both("Load balancer LCUs", "alb.lcu", lcu*m.hours, fmt.Sprintf("%.4f LCU (usage: %g req/s, %g B/req, %g new conn/s, %g active conn, %d rules) × %g h",
			lcu, u.RequestsPerSecond, u.BytesPerRequest, u.NewConnectionsPerSecond, u.ActiveConnections, rules, m.hours)),
	})
}

// nat prices NAT gateway hours and the data they process (usage: natGB).
func (m model) nat() []item {
	nats := m.stage.resources("AWS::EC2::NatGateway")
	n := float64(len(nats))
	if n == 0 {
		return nil
	}
	return attribute(each(nats), []item{
		both("NAT gateway hours", "nat.hour", n*m.hours, fmt.Sprintf("%g NAT × %g h", n, m.hours)),
		both("NAT gateway data processed", "nat.gb", m.usage.NatGB, "usage: natGB"),
	})
}

// publicIPv4 counts public addresses: one per subnet of an internet-facing load balancer,
// each Elastic IP (the NAT gateways'), and one per task that gets a public IP.
func (m model) publicIPv4(t taskCounts) item {
	var fixed float64
	by := map[string][2]float64{}
	for _, lb := range m.stage.resources("AWS::ElasticLoadBalancingV2::LoadBalancer") {
		if lb.Props["Scheme"] == "internet-facing" {
			subnets, _ := lb.Props["Subnets"].([]any)
			mappings, _ := lb.Props["SubnetMappings"].([]any)
			n := float64(len(subnets) + len(mappings))
			fixed += n
			by[lb.ID] = [2]float64{n, n}
		}
	}
	for _, eip := range m.stage.resources("AWS::EC2::EIP") {
		fixed++
		by[eip.ID] = [2]float64{1, 1}
	}
	var perTask float64
	if get(t.service.Props, "NetworkConfiguration", "AwsvpcConfiguration", "AssignPublicIp") == "ENABLED" {
		perTask = 1
		by[t.service.ID] = [2]float64{float64(t.min), float64(t.max)}
	}
	lo, hi := fixed+perTask*float64(t.min), fixed+perTask*float64(t.max)
	return item{name: "Public IPv4 addresses", price: "ipv4.hour", minQty: lo * m.hours, maxQty: hi * m.hours, by: by,
		basis: fmt.Sprintf("%g–%g addresses (load balancer subnets, Elastic IPs, public tasks) × %g h", lo, hi, m.hours)}
}

// alarms prices each metric an alarm watches; a metric-math alarm pays for each metric in its
// expression, a period under 60 s is high resolution (AWS: CloudWatch pricing, alarms).
func (m model) alarms() []item {
	var std, hr float64
	stdBy, hrBy := map[string][2]float64{}, map[string][2]float64{}
	for _, a := range m.stage.resources("AWS::CloudWatch::Alarm") {
		metrics, period := 1.0, a.Props["Period"]
		if list, ok := a.Props["Metrics"].([]any); ok {
			metrics = 0
			for _, q := range list {
				if ms := get(q, "MetricStat"); ms != nil {
					metrics++
					period = get(ms, "Period")
				}
			}
		}
		if p, ok := number(period); ok && p < 60 {
			hr += metrics
			hrBy[a.ID] = [2]float64{metrics, metrics}
		} else {
			std += metrics
			stdBy[a.ID] = [2]float64{metrics, metrics}
		}
	}
	return []item{
		{name: "CloudWatch alarm metrics", price: "cloudwatch.alarm", minQty: std, maxQty: std, basis: "alarms in the templates, one per watched metric", by: stdBy},
		{name: "CloudWatch high-resolution alarm metrics", price: "cloudwatch.alarm.hr", minQty: hr, maxQty: hr, basis: "alarms with a period under 60 s", by: hrBy},
	}
}

// logs prices ingestion and storage of the app's and the flow log's groups. Storage is what
// the usage month holds (see retained), uncompressed: CloudWatch bills archived, compressed
// bytes, so this is an upper bound.
func (m model) logs(t taskCounts) []item {
	app, flow := m.logGroups()
	appDays, flowDays := app.days, flow.days
	days := m.hours / 24
	month := m.month()
	var out []item
	if appDays != 0 {
		lo, hi := float64(t.min)*m.usage.AppLogGBPerTask, float64(t.max)*m.usage.AppLogGBPerTask
		out = append(out, attribute(each([]resource{{ID: app.id}}), []item{
			{name: "App logs ingested", price: "logs.ingest", minQty: lo, maxQty: hi, basis: "usage: appLogGBPerTask × tasks"},
			{name: "App logs stored", price: "logs.store", minQty: retained(lo, appDays, days, month), maxQty: retained(hi, appDays, days, month),
				basis: retainedBasis("a month's logs", appDays, month)},
		})...)
	}
	if flowDays != 0 {
		gb := m.usage.FlowLogGB
		out = append(out, attribute(each([]resource{{ID: flow.id}}), []item{
			both("VPC flow logs ingested", "logs.vended", gb, "usage: flowLogGB"),
			both("VPC flow logs stored", "logs.store", retained(gb, flowDays, days, month), retainedBasis("a month's flow logs", flowDays, month)),
		})...)
	}
	return out
}

// month is the usage month, 12 when the usage names none (a Usage built in code).
func (m model) month() int {
	if m.usage.Month < 1 {
		return defaultMonth
	}
	return m.usage.Month
}

// logGroup is a log group's logical ID and retention in days: 0 when there is none, -1 when
// it keeps logs forever.
type logGroup struct {
	id   string
	days float64
}

// logGroups finds the app's log group (the task definition's awslogs group) and the flow
// log's group.
func (m model) logGroups() (app, flow logGroup) {
	retention := map[string]float64{}
	for _, g := range m.stage.resources("AWS::Logs::LogGroup") {
		d, ok := number(g.Props["RetentionInDays"])
		if !ok {
			d = -1
		}
		retention[g.ID] = d
	}
	for _, td := range m.stage.resources("AWS::ECS::TaskDefinition") {
		containers, _ := td.Props["ContainerDefinitions"].([]any)
		for _, c := range containers {
			if ref, ok := get(c, "LogConfiguration", "Options", "awslogs-group", "Ref").(string); ok {
				app = logGroup{ref, retention[ref]}
			}
		}
	}
	for _, fl := range m.stage.resources("AWS::EC2::FlowLog") {
		if ref, ok := get(fl.Props, "LogGroupName", "Ref").(string); ok {
			flow = logGroup{ref, retention[ref]}
		}
	}
	return app, flow
}

// containerInsights prices a cluster's Container Insights: its metrics as custom metrics and
// its performance log events as log ingestion.
func (m model) containerInsights(t taskCounts) []item {
	on := 0.0
	var clusters []resource
	for _, c := range m.stage.resources("AWS::ECS::Cluster") {
		settings, _ := c.Props["ClusterSettings"].([]any)
		for _, s := range settings {
			if get(s, "Name") == "containerInsights" && get(s, "Value") != "disabled" {
				on++
				clusters = append(clusters, c)
			}
		}
	}
	if on == 0 {
		return nil
	}
	per := m.usage.ContainerInsightsGBPerTask
	return attribute(each(clusters), []item{
		both("Container Insights metrics", "cloudwatch.metric", on*m.usage.ContainerInsightsMetrics, "usage: containerInsightsMetrics per cluster"),
		{name: "Container Insights performance logs", price: "logs.ingest", minQty: float64(t.min) * per, maxQty: float64(t.max) * per, basis: "usage: containerInsightsGBPerTask × tasks"},
	})
}

// kms prices customer-managed keys by the month (requests at keel's volume are left out).
func (m model) kms() item {
	keys := m.stage.resources("AWS::KMS::Key")
	it := both("KMS customer-managed keys", "kms.key", float64(len(keys)), "keys in the templates")
	it.by = each(keys)
	return it
}

// secrets prices the secrets the stage creates and the ones its tasks read by literal ARN
// (imported secrets are billed in the same account).
func (m model) secrets() item {
	created := m.stage.resources("AWS::SecretsManager::Secret")
	n := len(created)
	by := each(created)
	imported := map[string]bool{}
	for _, td := range m.stage.resources("AWS::ECS::TaskDefinition") {
		containers, _ := td.Props["ContainerDefinitions"].([]any)
		for _, c := range containers {
			secrets, _ := get(c, "Secrets").([]any)
			for _, s := range secrets {
				if arn, ok := get(s, "ValueFrom").(string); ok && strings.Contains(arn, ":secretsmanager:") {
					imported[secretID(arn)] = true
					by[secretID(arn)] = [2]float64{1, 1}
				}
			}
		}
	}
	it := both("Secrets Manager secrets", "secretsmanager.secret", float64(n+len(imported)), "secrets created, plus those imported by ARN")
	it.by = by
	return it
}

// secretID cuts a JSON-key or version suffix (ARN:json-key:version-stage:version-id) off a
// secret ARN.
func secretID(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) > 7 {
		parts = parts[:7]
	}
	return strings.Join(parts, ":")
}

// accessLogs prices the storage of the load balancer's access logs: a month of requests × a
// stored log line, kept for the bucket's expiry (and as noncurrent versions for their expiry
// when the bucket is versioned), as much as the usage month holds (see retained).
func (m model) accessLogs() item {
	buckets := map[string]bool{}
	for _, lb := range m.stage.resources("AWS::ElasticLoadBalancingV2::LoadBalancer") {
		attrs, _ := lb.Props["LoadBalancerAttributes"].([]any)
		for _, a := range attrs {
			if get(a, "Key") == "access_logs.s3.bucket" {
				if ref, ok := get(a, "Value", "Ref").(string); ok {
					buckets[ref] = true
				}
			}
		}
	}
	days := m.hours / 24
	monthGB := m.usage.RequestsPerSecond * m.hours * 3600 * m.usage.AccessLogBytesPerRequest / gib
	var gb float64
	var kept []string
	by := map[string][2]float64{}
	for _, b := range m.stage.resources("AWS::S3::Bucket") {
		if buckets[b.ID] {
			d := bucketDays(b.Props)
			held := retained(monthGB, d, days, m.month())
			gb += held
			by[b.ID] = [2]float64{held, held}
			kept = append(kept, retainedBasis("usage: requestsPerSecond × accessLogBytesPerRequest", d, m.month()))
		}
	}
	it := both("Access logs stored (S3)", "s3.standard", gb, strings.Join(kept, "; "))
	it.by = by
	return it
}

// bucketDays is how long an object lives in a bucket: its expiry, plus the noncurrent-version
// expiry when versioning keeps expired objects; 0 is forever.
func bucketDays(props map[string]any) float64 {
	const forever = math.MaxFloat64
	rules, _ := get(props, "LifecycleConfiguration", "Rules").([]any)
	expiry, noncurrent := forever, 0.0
	for _, r := range rules {
		if get(r, "Status") != "Enabled" {
			continue
		}
		if d, ok := number(get(r, "ExpirationInDays")); ok {
			expiry = math.Min(expiry, d)
		}
		if d, ok := number(get(r, "NoncurrentVersionExpiration", "NoncurrentDays")); ok {
			noncurrent = d
		} else if d, ok := number(get(r, "NoncurrentVersionExpirationInDays")); ok {
			noncurrent = d
		}
	}
	if get(props, "VersioningConfiguration", "Status") == "Enabled" {
		if noncurrent == 0 || expiry == forever {
			return 0
		}
		return expiry + noncurrent
	}
	if expiry == forever {
		return 0
	}
	return expiry
}
