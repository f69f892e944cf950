package settings

// The deployment strategies, as written in settings. ECS's names are ROLLING, CANARY, LINEAR
// and BLUE_GREEN.
const (
	Rolling   = "rolling"
	Canary    = "canary"
	Linear    = "linear"
	BlueGreen = "blueGreen"
)

// Deployment is how a new version replaces the old one. Rolling replaces tasks in place
// behind one target group; canary, linear and blueGreen start the new version in full beside
// the old one, behind a second target group, and move production traffic to it in steps
// while the deployment alarms watch each target group's own traffic.
type Deployment struct {
	Strategy string `json:"strategy"`
	// CanaryPercent of production traffic goes to the new version for CanaryBakeMinutes,
	// then the rest.
	CanaryPercent     float64 `json:"canaryPercent"`
	CanaryBakeMinutes int     `json:"canaryBakeMinutes"`
	// LinearStepPercent more traffic moves every LinearStepBakeMinutes.
	LinearStepPercent     float64 `json:"linearStepPercent"`
	LinearStepBakeMinutes int     `json:"linearStepBakeMinutes"`
	// BakeMinutes keeps the old version running (and rollback instant) after all traffic has
	// moved.
	BakeMinutes int `json:"bakeMinutes"`
	// TestListenerPort serves the new version before it gets production traffic (blueGreen
	// only), to TestListenerCIDRs alone.
	TestListenerPort int `json:"testListenerPort"`
	// TestListenerCIDRs may reach the test listener. The load balancer is internet-facing:
	// callers inside the VPC reach it through NAT, so list the NAT gateways' Elastic IPs (and
	// the VPN or office ranges), never 0.0.0.0/0.
	TestListenerCIDRs []string `json:"testListenerCidrs"`

	Alarms DeploymentAlarms `json:"alarms"`
}

// DeploymentAlarms roll a deployment back on what users see, judged per target group: the
// new version's share of traffic is judged on its own requests.
type DeploymentAlarms struct {
	// Target5xxPercent of a target group's requests answered 5xx by the tasks.
	Target5xxPercent float64 `json:"target5xxPercent"`
	// MinRequestsPerMinute below which a minute's 5xx rate is not judged (one failed request
	// out of two is not 50 % of anything).
	MinRequestsPerMinute int `json:"minRequestsPerMinute"`
	// P99LatencyMilliseconds is the target response time 99 % of requests stay under.
	P99LatencyMilliseconds int `json:"p99LatencyMilliseconds"`
	// EvaluationMinutes of one-minute periods must all breach to roll back. ECS keeps
	// watching the alarms this long after the new version is complete (its alarm bake), so
	// it adds to every deploy; it is apart from alarms.evaluationMinutes, which decides
	// when someone is paged.
	EvaluationMinutes int `json:"evaluationMinutes"`
}

// Progressive reports whether the strategy runs two versions side by side behind two
// target groups (ECS's blue/green family).
func (d Deployment) Progressive() bool { return d.Strategy != Rolling }
