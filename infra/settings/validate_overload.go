package settings

// Bounds of the overload settings: the app's own (app/internal/config) and AWS WAF's.
const (
	maxRequestTimeoutSeconds = 15 // the server's read timeout, which the deadline also bounds
	minWAFRate, maxWAFRate   = 10, 2_000_000_000
	minCooldown, maxCooldown = 0, 3600
	minP99Milliseconds       = 10 // validateDeployment's floor
)

func (s Stage) validateOverload(p *problems) {
	a := s.Admission
	if a.MaxInflight < 0 {
		p.add("admission.maxInflight", a.MaxInflight, "use a positive number of requests, or 0 to derive it from task.cpu (%d per vCPU)", inflightPerVCPU)
	}
	if a.Backlog < 0 {
		p.add("admission.backlog", a.Backlog, "use a positive number of requests, or 0 for as many as admission.maxInflight")
	}
	// The alarm's own bad threshold is reported by validateDeployment; this compares with a good one.
	if limit := s.Deployment.Alarms.P99LatencyMilliseconds; a.MaxWaitMilliseconds < 1 || (limit >= minP99Milliseconds && a.MaxWaitMilliseconds >= limit) {
		p.add("admission.maxWaitMilliseconds", a.MaxWaitMilliseconds, "use 1 to %d: below deployment.alarms.p99LatencyMilliseconds, or queueing alone rolls a deployment back", limit-1)
	}
	if a.RequestTimeoutSeconds < 1 || a.RequestTimeoutSeconds > maxRequestTimeoutSeconds {
		p.add("admission.requestTimeoutSeconds", a.RequestTimeoutSeconds, "use 1 to %d (the server reads a request for at most %d s)", maxRequestTimeoutSeconds, maxRequestTimeoutSeconds)
	}
	if w := s.WAF; w.Enabled && (w.RequestsPerIPPerFiveMinutes < minWAFRate || w.RequestsPerIPPerFiveMinutes > maxWAFRate) {
		p.add("waf.requestsPerIpPerFiveMinutes", w.RequestsPerIPPerFiveMinutes, "AWS WAF's rate-based rule accepts %d to %d", minWAFRate, maxWAFRate)
	}
	sc := s.Scaling
	for _, nv := range []named[int]{{"scaling.scaleOutCooldownSeconds", sc.ScaleOutCooldownSeconds}, {"scaling.scaleInCooldownSeconds", sc.ScaleInCooldownSeconds}} {
		if nv.value < minCooldown || nv.value > maxCooldown {
			p.add(nv.name, nv.value, "use %d to %d seconds", minCooldown, maxCooldown)
		}
	}
}
