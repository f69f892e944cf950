package settings

// Admission is the service's admission control (app/internal/admission), passed to the
// container as ADMISSION_MAX_INFLIGHT, ADMISSION_BACKLOG, ADMISSION_MAX_WAIT and
// REQUEST_TIMEOUT. A zero limit is derived from task.cpu (see Limits), so that a stage that
// changes its task size keeps limits that fit it.
type Admission struct {
	// Enabled turns the limit on; the request deadline applies either way.
	Enabled bool `json:"enabled"`
	// MaxInflight is how many API requests a task runs at once; 0 derives it.
	MaxInflight int `json:"maxInflight"`
	// Backlog is how many more wait for a slot before a 503; 0 derives it.
	Backlog int `json:"backlog"`
	// MaxWaitMilliseconds is the longest a request waits in the backlog.
	MaxWaitMilliseconds int `json:"maxWaitMilliseconds"`
	// RequestTimeoutSeconds is each API request's deadline: its database and S3 calls are
	// cancelled then.
	RequestTimeoutSeconds int `json:"requestTimeoutSeconds"`
}

// The derivation rule for a zero limit, per vCPU of the task (task.cpu / 1024). The example
// API's requests are short and mostly CPU: 64 in flight per vCPU keeps every core busy while a
// few wait on I/O, and a backlog as deep as the limit drains within one service time at
// capacity, so a queued request waits about as long as it would run. Fewer than 8 slots
// would leave a 0.25 vCPU task idle behind one slow dependency call.
const (
	inflightPerVCPU = 64
	minInflight     = 8
)

// Limits returns a with its zero limits derived from taskCPU (CPU units).
func (a Admission) Limits(taskCPU int) Admission {
	if a.MaxInflight == 0 {
		a.MaxInflight = max(minInflight, inflightPerVCPU*taskCPU/1024)
	}
	if a.Backlog == 0 {
		a.Backlog = a.MaxInflight
	}
	return a
}

// WAF is the stage's web ACL in front of its load balancer (infra/waf).
type WAF struct {
	Enabled bool `json:"enabled"`
	// RequestsPerIPPerFiveMinutes blocks a client IP that sends more within any 5 minutes
	// (WAF's rate-based rule; its window is 5 minutes).
	RequestsPerIPPerFiveMinutes int `json:"requestsPerIpPerFiveMinutes"`
}

// overloadDefaults sets the stage's admission control, WAF and scaling cooldowns. Scale-out
// follows one metric period (60 s: the ALB and ECS metrics are per minute); scale-in waits
// longer where a wrong guess costs more, so that a lull between bursts does not shed tasks
// a minute before they are needed again.
func overloadDefaults(s *Stage) {
	s.Admission = Admission{Enabled: true, MaxWaitMilliseconds: 500, RequestTimeoutSeconds: 10}
	// 2,000 requests in 5 minutes is ~6.7 per second per client IP, sustained: far above what
	// one person's browser sends, well below what one scripted client can.
	s.WAF = WAF{Enabled: s.Name == "prod", RequestsPerIPPerFiveMinutes: 2000}
	s.Scaling.ScaleOutCooldownSeconds, s.Scaling.ScaleInCooldownSeconds = 60, 120
	switch s.Name {
	case "staging":
		s.Scaling.ScaleInCooldownSeconds = 180
	case "prod":
		s.Scaling.ScaleInCooldownSeconds = 300
	}
}
